//! `cargo bench -p sgsched --bench executor` (`SGSCHED_BENCH=grouped` or `=lag`: one phase only;
//! `SGSCHED_BENCH_LAGS=1` lists the late lag samples)
//!
//! - 10,000 `once` schedules due at the same instant, built-in `export` plugin, local job
//!   system (each execution a real plugin call and durable records): time until all completed,
//!   as executions/s (target >= 10,000/s), beside the same with one commit per write (group
//!   commit off), ratio printed;
//! - scheduling lag (due -> running, `started_at - scheduled_for` on the system clock) p50/p99
//!   with 100,000 active schedules, 1,000 of them falling due over ~5 s (target p99 <= 10 ms).
//!
//! Limits are raised so the figures are the executor's, not the configured rate limits.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use sgsched::clock::{Clock, ManualClock, SystemClock};
use sgsched::executor::ExecutorConfig;
use sgsched::jobsystem::LocalJobSystem;
use sgsched::model::*;
use sgsched::plugins::{PluginHost, PluginHostConfig};
use sgsched::service::Scheduler;
use sgsched::store::prelude::*;
use sgsched::store::{Store, StoreOptions};
use uuid::Uuid;

const DUE: usize = 10_000;
const ACTIVE: usize = 100_000;
const LAG_SAMPLES: usize = 1_000;

fn wide() -> ExecutorConfig {
    ExecutorConfig {
        max_concurrent: 512,
        max_concurrent_per_user: 512,
        user_rate_per_minute: 10_000_000,
        global_rate_per_minute: 10_000_000,
        claim_batch: 512,
        ..ExecutorConfig::default()
    }
}

fn schedule(user: UserId, at: chrono::DateTime<Utc>) -> Schedule {
    let config = serde_json::json!({
        "project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90",
        "format": "mp4",
        "resolution": "1080p",
        "fps": 30,
        "quality": "high",
        "destination": {"kind": "s3", "path": "s3://story-genius-exports/octopus/"},
        "include_captions": true,
    });
    fixtures::schedule(user, at)
        .name("bench")
        .job("export", config)
        .build()
}

async fn put_all(store: &Store, schedules: Vec<Schedule>) {
    common::put_schedules(store, schedules).await;
}

async fn open(
    dir: &std::path::Path,
    group_commit: bool,
    clock: Arc<dyn Clock>,
) -> (Store, Scheduler) {
    let store = Store::open_with(
        &dir.join("sgsched.redb"),
        StoreOptions {
            group_commit,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let jobs = Arc::new(LocalJobSystem::new(Arc::new(store.clone())));
    // A cache shared by the runs, so what is measured is not Cranelift compiling the plugins.
    let config = PluginHostConfig {
        cache_dir: Some(std::env::temp_dir().join("sgsched-bench-plugin-cache")),
        ..PluginHostConfig::default()
    };
    let plugins = PluginHost::load(config, jobs).await.unwrap();
    let sched = Scheduler::new(Arc::new(store.clone()), plugins, clock);
    (store, sched)
}

/// CPU seconds (user + system) used so far by this process and by the store's writer thread,
/// from Linux `/proc` (`None` elsewhere). Steadier than wall time on a shared machine.
fn cpu_seconds() -> Option<(f64, f64)> {
    let ticks = |stat: &str| -> Option<f64> {
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let t: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(t as f64 / 100.0)
    };
    let process = ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let mut writer = 0.0;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == "sgsched-store-w" {
            writer += ticks(&std::fs::read_to_string(task.path().join("stat")).ok()?)?;
        }
    }
    Some((process, writer))
}

/// Seconds until `DUE` schedules due at one instant have all completed, and the CPU used
/// meanwhile (process, writer thread) per execution in microseconds.
async fn throughput(group_commit: bool) -> (f64, Option<(f64, f64)>) {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let (store, sched) = open(dir.path(), group_commit, clock.clone()).await;
    let user = Uuid::now_v7();
    let at = t0 + chrono::Duration::minutes(1);
    put_all(&store, (0..DUE).map(|_| schedule(user, at)).collect()).await;
    let dispatcher = sgsched::executor::start(sched.clone(), wide())
        .await
        .unwrap();
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    clock.set(at);
    sched.wakeup().wake();
    // Done = nothing due, nothing queued, nothing running. Watched in memory: polling the
    // store for 10,000 records every few ms would cost more than what is measured.
    loop {
        let idle = {
            let q = dispatcher.queue.lock().unwrap();
            q.is_empty() && q.running() == 0
        };
        if idle && store.due(at, 1).await.unwrap().is_empty() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "not done");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let per = |a: f64, b: f64| (b - a) * 1e6 / DUE as f64;
    let cpu = cpu_before
        .zip(cpu_seconds())
        .map(|((p0, w0), (p1, w1))| (per(p0, p1), per(w0, w1)));
    let done = store
        .executions_with_status(ExecutionStatus::Completed, DUE + 1)
        .await
        .unwrap()
        .len();
    assert_eq!(done, DUE);
    let failed = store
        .executions_with_status(ExecutionStatus::Failed, 10)
        .await
        .unwrap();
    assert!(failed.is_empty(), "{:?}", failed[0].error_message);
    (elapsed, cpu)
}

fn cpu_note(cpu: Option<(f64, f64)>) -> String {
    cpu.map_or(String::new(), |(p, w)| {
        format!("; CPU per execution {p:.0} us, of which the store writer {w:.0} us")
    })
}

/// Due -> running lag on the system clock, with `ACTIVE` active schedules.
async fn lag() -> (f64, f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let (store, sched) = open(dir.path(), true, Arc::new(SystemClock)).await;
    let user = Uuid::now_v7();
    let base = Utc::now() + chrono::Duration::seconds(3);
    let far = Utc::now() + chrono::Duration::days(30);
    let mut all: Vec<Schedule> = (0..LAG_SAMPLES)
        .map(|i| schedule(user, base + chrono::Duration::milliseconds(5 * i as i64)))
        .collect();
    let due_ids: Vec<ScheduleId> = all.iter().map(|s| s.id).collect();
    all.extend(
        (0..ACTIVE - LAG_SAMPLES)
            .map(|i| schedule(user, far + chrono::Duration::seconds(i as i64))),
    );
    put_all(&store, all).await;
    assert!(Utc::now() < base, "setup took too long for the lag window");
    sgsched::executor::start(sched.clone(), wide())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = store
            .executions_with_status(ExecutionStatus::Completed, LAG_SAMPLES + 1)
            .await
            .unwrap()
            .len();
        if done >= LAG_SAMPLES {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut lags = Vec::new();
    for id in due_ids {
        let e = store.executions(id, None, None, 1).await.unwrap();
        let e = &e[0];
        lags.push(
            (e.started_at.unwrap() - e.scheduled_for)
                .num_microseconds()
                .unwrap() as f64
                / 1000.0,
        );
    }
    if std::env::var("SGSCHED_BENCH_LAGS").is_ok() {
        for (i, l) in lags.iter().enumerate().filter(|(_, l)| **l > 10.0) {
            eprintln!("late sample {i}: {l:.1} ms");
        }
    }
    lags.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |q: f64| lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)];
    (p(0.5), p(0.99), lags[lags.len() - 1])
}

/// As in the binary (`src/main.rs`), so the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    sgsched::cli::quiet_library_backtraces();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // `SGSCHED_BENCH=grouped` runs only the group-commit throughput (for a profiler).
    let only_grouped = std::env::var("SGSCHED_BENCH").as_deref() == Ok("grouped");
    let only_lag = std::env::var("SGSCHED_BENCH").as_deref() == Ok("lag");
    rt.block_on(async {
        if only_lag {
            let (p50, p99, max) = lag().await;
            println!("executor: lag p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
            return;
        }
        let (grouped, cpu) = throughput(true).await;
        if only_grouped {
            println!(
                "executor: {DUE} due at once: {:.0} executions/s{}",
                DUE as f64 / grouped,
                cpu_note(cpu)
            );
            return;
        }
        let (single, _) = throughput(false).await;
        let g = DUE as f64 / grouped;
        let s = DUE as f64 / single;
        println!(
            "executor: {DUE} due at once -> all completed in {grouped:.2} s = {g:.0} executions/s (target >= 10,000/s: {:.2}x of target){}",
            g / 10_000.0,
            cpu_note(cpu)
        );
        println!(
            "executor: same with one commit per write: {single:.2} s = {s:.0} executions/s; group commit / single = {:.1}x",
            g / s
        );
        let (p50, p99, max) = lag().await;
        println!(
            "executor: scheduling lag due -> running with {ACTIVE} active schedules, {LAG_SAMPLES} samples: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms (target p99 <= 10 ms: {:.2}x of target)",
            p99 / 10.0
        );
    });
}
