//! `cargo run --release -p loadgen -- [--bin target/release/sgsched] [--connections 64]
//! [--seconds 5] [--scenarios get,post,calendar] [--calendar-connections 1,8,64]`
//!
//! Starts the real server on a fresh data dir (API rate limit off), creates tokens and data,
//! then drives each scenario with N keep-alive connections for a fixed time and prints
//! requests/s, p50 and p99, beside `GET /healthz` measured in the same run as the baseline:
//! `GET /v1/schedules/{id}`, `POST /v1/schedules` (durable), and the month calendar of a user
//! owning exactly 1,000 schedules of mixed rules (its own user, so the POST scenario does not
//! grow it), asked for the same month (which the server keeps until the user's data changes)
//! and for a new window each time (computed every time). The measured requests go through
//! `raw.rs`, a minimal keep-alive client, so the tool's own CPU (it shares the cores with the
//! server) does not cap the figures.

use loadgen::{Node, cpu_time, raw};
use std::ffi::OsStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/sgsched")]
    bin: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Which scenarios to run besides the /healthz baseline: get, post, calendar.
    #[arg(long, value_delimiter = ',', default_value = "get,post,calendar")]
    scenarios: Vec<String>,
    /// Connection counts the calendar is measured at (latency at 1 is the request's own cost;
    /// beyond the core count requests queue for CPU).
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    calendar_connections: Vec<usize>,
    /// Schedules the calendar user owns.
    #[arg(long, default_value_t = 1000)]
    calendar_schedules: usize,
}

struct Outcome {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
    /// Server CPU time (user + system) per request: steadier than requests/s on a machine
    /// whose cores are shared with other work.
    cpu_per_request: Option<Duration>,
}

/// Send `make(i)` requests on `conns` keep-alive connections to `addr` for `secs`.
async fn drive<F>(addr: &str, server: u32, conns: usize, secs: u64, make: F) -> Outcome
where
    F: Fn(usize) -> Arc<[u8]> + Send + Sync + 'static,
{
    let cpu_before = cpu_time(server);
    let make = Arc::new(make);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (make, addr) = (make.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut i = c * 1_000_000;
            let mut conn = None;
            while Instant::now() < until {
                let req = make(i);
                i += 1;
                let t = Instant::now();
                if conn.is_none() {
                    conn = raw::Conn::connect(&addr).await.ok();
                }
                let Some(open) = conn.as_mut() else {
                    errors += 1;
                    continue;
                };
                match open.roundtrip(&req).await {
                    Ok(status) if (200..300).contains(&status) => lat.push(t.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = None;
                    }
                }
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
    let cpu_per_request = cpu_before
        .zip(cpu_time(server))
        .map(|(a, b)| (b.saturating_sub(a)) / (all.len().max(1) as u32));
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
        cpu_per_request,
    }
}

fn report(name: &str, o: &Outcome, base: &Outcome) {
    let cpu = |o: &Outcome| {
        o.cpu_per_request
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
    };
    println!(
        "{name:<40} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {:>4}  vs /healthz {:.2}x  \
         server CPU {:.1} us/req ({:.2}x /healthz's)",
        o.rps,
        o.p50.as_secs_f64() * 1e3,
        o.p99.as_secs_f64() * 1e3,
        o.errors,
        o.rps / base.rps.max(1.0),
        cpu(o),
        cpu(o) / cpu(base)
    );
}

/// The read/write scenarios' schedule: daily, at a time spread over the day.
fn daily(i: usize) -> Value {
    json!({"name": format!("load {i}"), "job_type": "export", "schedule_type": "recurring",
           "job_config": {"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"},
           "recurrence_rule": {"frequency": "daily", "time_of_day": format!("{:02}:{:02}", i % 24, i % 60), "start_date": "2027-01-01"},
           "timezone": "Europe/Berlin"})
}

/// The calendar user's schedules: per 1,000, 4 minutely, 96 hourly, 500 daily and 400 weekly
/// (some on chosen weekdays), over four timezones, all starting before the month shown.
fn mixed(i: usize) -> Value {
    let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
    let tod = format!("{:02}:{:02}", i % 24, (i * 7) % 60);
    let rule = match i % 250 {
        0 => json!({"frequency": "minutely", "interval": 1 + i % 3, "time_of_day": "00:00"}),
        1..=24 => json!({"frequency": "hourly", "time_of_day": tod}),
        25..=149 => json!({"frequency": "daily", "time_of_day": tod}),
        150..=199 => json!({"frequency": "weekly", "time_of_day": tod}),
        _ => json!({"frequency": "weekly", "time_of_day": tod,
                    "days_of_week": [1 + i % 5, 1 + (i + 2) % 5]}),
    };
    let mut rule = rule;
    rule["start_date"] = json!("2026-12-01");
    json!({"name": format!("cal {i}"), "job_type": "export", "schedule_type": "recurring",
           "job_config": {"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"},
           "recurrence_rule": rule, "timezone": zones[i % zones.len()]})
}

/// Create `n` schedules with `body(i)`, 16 requests at a time; returns the first one's id.
async fn create(base: &str, token: &str, n: usize, body: fn(usize) -> Value) -> String {
    let client = reqwest::Client::new();
    let mut first = String::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (client, url, token) = (
                client.clone(),
                format!("{base}/v1/schedules"),
                token.to_string(),
            );
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body(i))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "create {i}: {}", r.status());
                r.json::<Value>().await.unwrap()["schedule_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }));
        }
        for (j, t) in tasks.into_iter().enumerate() {
            let id = t.await.unwrap();
            if chunk[j] == 0 {
                first = id;
            }
        }
    }
    first
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let wants = |s: &str| args.scenarios.iter().any(|x| x == s);
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(
        &args.bin,
        dir.path(),
        &["--api-rate-per-minute".into(), "0".into()],
    );
    let (addr, base) = (node.addr.clone(), node.base());
    let target = [OsStr::new("--data-dir"), dir.path().as_os_str()];
    let token_a = loadgen::token(&args.bin, "0193a1b2-0000-7000-8000-00000000f001", &target);
    let token_c = loadgen::token(&args.bin, "0193a1b2-0000-7000-8000-00000000f002", &target);
    let id = create(&base, &token_a, 1000, daily).await;
    if wants("calendar") {
        create(&base, &token_c, args.calendar_schedules, mixed).await;
    }
    println!(
        "server {addr} (pid {}), {} s per scenario",
        node.pid(),
        args.seconds
    );
    let (c, s, pid) = (args.connections, args.seconds, node.pid());
    let fixed = |req: Vec<u8>| {
        let req: Arc<[u8]> = req.into();
        move |_: usize| req.clone()
    };
    let health = drive(
        &addr,
        pid,
        c,
        s,
        fixed(raw::request("GET", &addr, "/healthz", None, None)),
    )
    .await;
    report(&format!("GET /healthz (baseline) x{c}"), &health, &health);
    if wants("get") {
        let path = format!("/v1/schedules/{id}");
        let req = raw::request("GET", &addr, &path, Some(&token_a), None);
        let get = drive(&addr, pid, c, s, fixed(req)).await;
        report(&format!("GET /v1/schedules/{{id}} x{c}"), &get, &health);
    }
    if wants("post") {
        let (a, t) = (addr.clone(), token_a.clone());
        let post = drive(&addr, pid, c, s, move |i| {
            let body = serde_json::to_vec(&daily(i)).unwrap();
            raw::request("POST", &a, "/v1/schedules", Some(&t), Some(&body)).into()
        })
        .await;
        report(
            &format!("POST /v1/schedules (durable) x{c}"),
            &post,
            &health,
        );
    }
    if wants("calendar") {
        for &n in &args.calendar_connections {
            let path = "/v1/schedules/calendar?start_date=2027-01-01&end_date=2027-01-31&group_by=month&timezone=Europe/Berlin";
            let req = raw::request("GET", &addr, path, Some(&token_c), None);
            let cal = drive(&addr, pid, n, s, fixed(req)).await;
            let name = format!("calendar month, {} sched. x{n}", args.calendar_schedules);
            report(&name, &cal, &health);
        }
        // The server keeps a rendered calendar until the user's data changes, so asking for
        // the same month measures that copy. Here every request asks for another 31-day
        // window (a start day of 2027 and a timezone: 2,920 of them, more than it keeps), so
        // each one is computed from the store.
        for &n in &args.calendar_connections {
            let (a, t) = (addr.clone(), token_c.clone());
            let cal = drive(&addr, pid, n, s, move |i| {
                let zones = ["Europe/Berlin", "UTC", "America/New_York", "Asia/Tokyo",
                             "Australia/Lord_Howe", "America/Santiago", "Africa/Cairo", "Asia/Kolkata"];
                let start = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
                    + chrono::Duration::days((i % 365) as i64);
                let end = start + chrono::Duration::days(30);
                let zone = zones[(i / 365) % zones.len()];
                let path = format!("/v1/schedules/calendar?start_date={start}&end_date={end}&group_by=month&timezone={zone}");
                raw::request("GET", &a, &path, Some(&t), None).into()
            })
            .await;
            let name = format!("calendar 31 days, new window each, x{n}");
            report(&name, &cal, &health);
        }
    }
    println!("targets: GET >= 50,000/s; POST >= 10,000/s; calendar month p99 <= 20 ms");
}
