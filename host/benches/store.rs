//! `cargo bench -p sgsched --bench store`
//!
//! - durable creates through `Storage::write` with 64 concurrent callers (target >= 30,000/s),
//!   group commit beside one commit per create in the same run, with the ratio;
//! - point reads `Storage::schedule`, one reader and 64 concurrent readers (target >= 200,000/s);
//! - open to serving and resident memory for a large database (target <= 2 s, <= 1 GiB):
//!   1,000,000 schedules with `SGSCHED_BENCH_LARGE=1`, otherwise 100,000 (said in the output).
//!   The open runs in a child process so its RSS is the store's alone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group};
use sgsched::model::*;
use sgsched::store::prelude::*;
use sgsched::store::{Store, StoreOptions, WriteSet};
use uuid::Uuid;

const CALLERS: usize = 64;
const CHILD_ENV: &str = "SGSCHED_BENCH_OPEN_CHILD";

fn schedule(user: UserId, i: u64) -> Schedule {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
        + chrono::Duration::seconds((i % 100_000) as i64);
    let config = serde_json::json!({"prompt": "a cat explains taxes", "duration_seconds": 60, "style": "cartoon"});
    fixtures::schedule(user, at)
        .name(format!("episode {i}"))
        .description("a weekly video for the channel")
        .job("video_generation", config)
        .timezone(chrono_tz::Europe::Paris)
        .priority(Priority::ALL[(i % 4) as usize])
        .revision(0)
        .build()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Creates/s from `CALLERS` tasks each creating one schedule per write, for `run`.
fn creates_per_second(rt: &tokio::runtime::Runtime, options: StoreOptions, run: Duration) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("bench.redb"), options).unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let user = Uuid::now_v7();
    let elapsed = rt.block_on(async {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CALLERS {
            let (store, done, stop) = (store.clone(), done.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut i = c as u64;
                while !stop.load(Ordering::Relaxed) {
                    let s = schedule(user, i);
                    store
                        .write(Box::new(move |_| {
                            Ok(WriteSet {
                                put_schedules: vec![s.clone()],
                                ..Default::default()
                            })
                        }))
                        .await
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    i += CALLERS as u64;
                }
            }));
        }
        tokio::time::sleep(run).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        start.elapsed()
    });
    done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

fn creates() {
    let rt = runtime();
    let group = creates_per_second(&rt, StoreOptions::default(), Duration::from_secs(4));
    let no_qr = creates_per_second(
        &rt,
        StoreOptions {
            quick_repair: false,
            ..Default::default()
        },
        Duration::from_secs(4),
    );
    let single = creates_per_second(
        &rt,
        StoreOptions {
            group_commit: false,
            ..Default::default()
        },
        Duration::from_secs(4),
    );
    println!(
        "durable creates, {CALLERS} concurrent callers: group commit {group:.0}/s (target >= 30,000/s: {:.2}x of target); \
         one commit per create {single:.0}/s; ratio {:.1}x; group commit without quick-repair \
         (faster commits, full repair scan after a crash) {no_qr:.0}/s",
        group / 30_000.0,
        group / single.max(1e-9)
    );
}

/// Fill a store with `n` schedules of one user in large groups; returns some of their ids.
fn fill(rt: &tokio::runtime::Runtime, store: &Store, user: UserId, n: u64) -> Vec<ScheduleId> {
    const BATCH: u64 = 5_000;
    rt.block_on(async {
        let mut sample = Vec::new();
        let mut i = 0;
        while i < n {
            let batch: Vec<Schedule> = (i..(i + BATCH).min(n)).map(|j| schedule(user, j)).collect();
            sample.extend(batch.iter().step_by(97).map(|s| s.id));
            i += batch.len() as u64;
            store
                .write(Box::new(move |_| {
                    Ok(WriteSet {
                        put_schedules: batch.clone(),
                        ..Default::default()
                    })
                }))
                .await
                .unwrap();
        }
        sample
    })
}

fn reads_per_second(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    user: UserId,
    ids: &Arc<Vec<ScheduleId>>,
    readers: usize,
    per_reader: usize,
) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for r in 0..readers {
            let (store, ids) = (store.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                for k in 0..per_reader {
                    let id = ids[(r * 7919 + k * 31) % ids.len()];
                    assert!(store.schedule(user, id).await.unwrap().is_some());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        (readers * per_reader) as f64 / start.elapsed().as_secs_f64()
    })
}

fn reads(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.redb")).unwrap();
    let user = Uuid::now_v7();
    let ids = Arc::new(fill(&rt, &store, user, 20_000));
    let one = reads_per_second(&rt, &store, user, &ids, 1, 50_000);
    let many = reads_per_second(&rt, &store, user, &ids, CALLERS, 5_000);
    println!(
        "point reads Storage::schedule: {many:.0}/s with {CALLERS} concurrent readers (target >= 200,000/s: {:.2}x of target); \
         {one:.0}/s from one sequential reader",
        many / 200_000.0
    );

    let mut g = c.benchmark_group("store");
    let mut k = 0usize;
    g.bench_function("point_read", |b| {
        b.to_async(&rt).iter(|| {
            k = k.wrapping_add(1);
            let id = ids[k % ids.len()];
            let store = &store;
            async move { store.schedule(user, id).await.unwrap() }
        })
    });
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 13, 0, 0).unwrap();
    g.bench_function("due_100", |b| {
        b.to_async(&rt)
            .iter(|| async { store.due(now, 100).await.unwrap() })
    });
    g.finish();
}

/// The child's job: open the database, serve a few reads, report time and memory.
fn open_child(path: &Path) {
    let start = Instant::now();
    let store = Store::open(path).unwrap();
    let rt = runtime();
    let first = rt.block_on(async { store.next_due_at().await.unwrap() });
    let serving = start.elapsed();
    assert!(first.is_some());
    let due = rt.block_on(async { store.due(Utc::now(), 1_000).await.unwrap().len() });
    println!(
        "child: serving after {} ms, due page {due}, VmRSS {} KiB, VmHWM {} KiB",
        serving.as_millis(),
        vm_kib("VmRSS:"),
        vm_kib("VmHWM:")
    );
}

fn large() {
    let big = std::env::var("SGSCHED_BENCH_LARGE").is_ok_and(|v| v == "1");
    let n: u64 = if big { 1_000_000 } else { 100_000 };
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("large.redb");
    let rt = runtime();
    let build = Instant::now();
    {
        let store = Store::open(&path).unwrap();
        fill(&rt, &store, Uuid::now_v7(), n);
    }
    let built = build.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut timings = Vec::new();
    let mut rss = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, &path)
            .output()
            .unwrap();
        let took = start.elapsed();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "open child failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text
            .lines()
            .find(|l| l.starts_with("child:"))
            .unwrap_or_default()
            .to_string();
        let ms: u64 = line
            .split_whitespace()
            .nth(3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        rss = rss.max(
            line.split("VmHWM ")
                .nth(1)
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0),
        );
        timings.push((ms, took.as_millis()));
    }
    let open_ms = timings.iter().map(|t| t.0).max().unwrap_or(0);
    println!(
        "{} schedules ({}; {} MiB file, built in {:.1} s): open to serving <= {open_ms} ms over 3 opens (target <= 2000 ms: {:.2}x of target; \
         whole child process incl. exec {:?} ms), peak RSS {} MiB (target <= 1024 MiB: {:.2}x of target)",
        n,
        if big {
            "SGSCHED_BENCH_LARGE=1"
        } else {
            "100,000: set SGSCHED_BENCH_LARGE=1 for 1,000,000"
        },
        size >> 20,
        built.as_secs_f64(),
        open_ms as f64 / 2000.0,
        timings.iter().map(|t| t.1).collect::<Vec<_>>(),
        rss >> 10,
        (rss >> 10) as f64 / 1024.0
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = reads
}

/// As in the binary (`src/main.rs`), so the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        open_child(Path::new(&path));
        return;
    }
    creates();
    large();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
