//! `cargo run --release -p loadgen -- [--bin target/release/sgsched] [--connections 64]
//! [--seconds 5]`
//!
//! Starts the real server on a fresh data dir (API rate limit off), creates a token and data,
//! then drives each scenario with N keep-alive connections for a fixed time and prints
//! requests/s, p50 and p99, beside `GET /healthz` measured in the same run as the baseline:
//! `GET /v1/schedules/{id}`, `POST /v1/schedules` (durable), and the month calendar over 1,000
//! schedules.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/sgsched")]
    bin: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

struct Outcome {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// Run `make(i)` requests on `conns` connections for `secs`; every connection has its own
/// client so connections are not shared.
async fn drive<F>(conns: usize, secs: u64, make: F) -> Outcome
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut i = c * 1_000_000;
            while Instant::now() < until {
                let t = Instant::now();
                match make(&client, i).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
                i += 1;
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Outcome {
        rps: all.len() as f64 / secs as f64,
        p50: pick(0.5),
        p99: pick(0.99),
        errors,
    }
}

fn report(name: &str, o: &Outcome, base: &Outcome) {
    println!(
        "{name:<34} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {:>4}  vs /healthz {:.2}x",
        o.rps,
        o.p50.as_secs_f64() * 1e3,
        o.p99.as_secs_f64() * 1e3,
        o.errors,
        o.rps / base.rps.max(1.0)
    );
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(&args.bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--api-rate-per-minute",
            "0",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sgsched (build it with cargo build --release -p sgsched)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(a) = line.strip_prefix("listening on ") {
            break a.to_string();
        }
    };
    let token = String::from_utf8(
        Command::new(&args.bin)
            .args([
                "token",
                "create",
                "--user-id",
                "0193a1b2-0000-7000-8000-00000000f001",
                "--data-dir",
            ])
            .arg(dir.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let base = format!("http://{addr}");
    let body = |i: usize| {
        json!({"name": format!("load {i}"), "job_type": "export", "schedule_type": "recurring",
               "job_config": {"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"},
               "recurrence_rule": {"frequency": "daily", "time_of_day": format!("{:02}:{:02}", i % 24, i % 60), "start_date": "2027-01-01"},
               "timezone": "Europe/Berlin"})
    };
    // 1,000 schedules for reads and the calendar.
    let client = reqwest::Client::new();
    let mut id = String::new();
    for i in 0..1000 {
        let r: serde_json::Value = client
            .post(format!("{base}/v1/schedules"))
            .bearer_auth(&token)
            .json(&body(i))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if i == 0 {
            id = r["schedule_id"].as_str().unwrap().to_string();
        }
    }
    let (c, s) = (args.connections, args.seconds);
    println!("{c} connections, {s} s per scenario, server {addr}");
    let b = base.clone();
    let health = drive(c, s, move |cl, _| cl.get(format!("{b}/healthz"))).await;
    report("GET /healthz (baseline)", &health, &health);
    let (b, t) = (base.clone(), token.clone());
    let get = drive(c, s, move |cl, _| {
        cl.get(format!("{b}/v1/schedules/{id}")).bearer_auth(&t)
    })
    .await;
    report("GET /v1/schedules/{id}", &get, &health);
    let (b, t) = (base.clone(), token.clone());
    let post = drive(c, s, move |cl, i| {
        cl.post(format!("{b}/v1/schedules"))
            .bearer_auth(&t)
            .json(&body(i))
    })
    .await;
    report("POST /v1/schedules (durable)", &post, &health);
    let (b, t) = (base.clone(), token.clone());
    let cal = drive(8, s, move |cl, _| {
        cl.get(format!(
            "{b}/v1/schedules/calendar?start_date=2027-01-01&end_date=2027-01-31&group_by=month"
        ))
        .bearer_auth(&t)
    })
    .await;
    report("GET calendar month (1,000+ sched.)", &cal, &health);
    println!("targets: GET >= 50,000/s; POST >= 10,000/s; calendar month p99 <= 20 ms");
    let _ = child.kill();
    let _ = child.wait();
}
