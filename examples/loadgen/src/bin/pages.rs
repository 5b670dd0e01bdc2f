//! `cargo run --release -p loadgen --bin pages -- [--bin target/release/sgsched]
//! [--schedules 1000] [--requests 1000]`
//!
//! The month page against the JSON calendar for the same query, through a real `sgsched
//! serve`: one user with `--schedules` schedules (daily, weekday, twice-monthly and six-hourly
//! rules in four zones), signed in through `/login`. Each of `--requests` rounds asks for a
//! month not asked before, as the page (`/calendar?view=month`) and as JSON
//! (`/v1/schedules/calendar?group_by=month` over the page's own weeks), so neither is served
//! from a kept result; then the JSON again for one month, as its cache serves it. Prints p50
//! and p99 of each, the page's cost over the JSON's, and the page's size.

use std::time::{Duration, Instant};

use chrono::{Datelike, Months, NaiveDate};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/sgsched")]
    bin: String,
    #[arg(long, default_value_t = 1000)]
    schedules: usize,
    /// Rounds; a p99 needs some hundreds to be more than the worst few.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
}

const USER: &str = "0193a1b2-0000-7000-8000-00000000c0de";
const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
];

fn schedule(i: usize) -> Value {
    let rule = match i % 4 {
        0 => json!({"frequency": "daily", "time_of_day": format!("{:02}:15", i % 24)}),
        1 => {
            json!({"frequency": "weekly", "days_of_week": [1, 2, 3, 4, 5], "time_of_day": "18:00"})
        }
        2 => json!({"frequency": "monthly", "days_of_month": [1, 15], "time_of_day": "09:30"}),
        _ => json!({"frequency": "hourly", "interval": 6, "time_of_day": "00:00"}),
    };
    json!({
        "name": format!("Schedule {i}"), "job_type": "export", "schedule_type": "recurring",
        "timezone": ZONES[i % ZONES.len()], "recurrence_rule": rule,
        "job_config": {"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"}
    })
}

/// Monday of the week holding `d`.
fn monday(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timed(req: reqwest::RequestBuilder) -> (Duration, usize) {
    let t = Instant::now();
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let len = resp.bytes().await.unwrap().len();
    (t.elapsed(), len)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let target = ["--data-dir".as_ref(), dir.path().as_os_str()];
    let token = loadgen::token(&args.bin, USER, &target);
    let node = loadgen::Node::start(
        &args.bin,
        dir.path(),
        &["--api-rate-per-minute".to_string(), "0".to_string()],
    );
    let base = node.base();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for chunk in (0..args.schedules).collect::<Vec<_>>().chunks(500) {
        let body = json!({"schedules": chunk.iter().map(|&i| schedule(i)).collect::<Vec<_>>()});
        let resp = http
            .post(format!("{base}/v1/schedules/bulk"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "bulk create: {}", resp.status());
    }
    let signed = http
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("signed in")
        .to_string();
    let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let (mut page, mut api, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    for k in 0..args.requests {
        let month = first + Months::new(k as u32);
        let last = month + Months::new(1) - chrono::Duration::days(1);
        let (start, end) = (monday(month), monday(last) + chrono::Duration::days(6));
        let (t, len) = timed(
            http.get(format!(
                "{base}/calendar?view=month&date={month}&timezone=Europe%2FBerlin"
            ))
            .header("cookie", &cookie),
        )
        .await;
        page.push(t);
        size = size.max(len);
        let (t, _) = timed(
            http.get(format!(
                "{base}/v1/schedules/calendar?start_date={start}&end_date={end}\
                 &timezone=Europe/Berlin&group_by=month"
            ))
            .bearer_auth(&token),
        )
        .await;
        api.push(t);
        let (t, _) = timed(
            http.get(format!(
                "{base}/v1/schedules/calendar?start_date=2026-12-28&end_date=2027-01-31\
                 &timezone=Europe/Berlin&group_by=month"
            ))
            .bearer_auth(&token),
        )
        .await;
        kept.push(t);
    }
    for v in [&mut page, &mut api, &mut kept] {
        v.sort();
    }
    let row = |name: &str, v: &[Duration]| {
        println!(
            "{name:<38} p50 {:>7.2} ms   p99 {:>7.2} ms",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99))
        )
    };
    println!(
        "{} schedules, {} months asked once each",
        args.schedules, args.requests
    );
    row("JSON calendar, computed (baseline)", &api);
    row("month page, computed", &page);
    row("JSON calendar, kept (for reference)", &kept);
    let ratio = |p: f64| ms(percentile(&page, p)) / ms(percentile(&api, p));
    println!(
        "page vs JSON: p50 {:.2}x, p99 {:.2}x (target <= 1.5x); page size {} bytes",
        ratio(0.5),
        ratio(0.99),
        size
    );
}
