//! Job-system faults against the real binary: the stub answering 500, hanging past the client's
//! timeout, refusing connections (stopped) and answering slowly, and failing every second
//! submission. Runs fail or retry as `host/src/jobsystem/http.rs` documents (10 s per request,
//! 4 attempts, backoff 200 ms doubling, 5xx and connection errors retried, the idempotency key
//! on every attempt), the consecutive-failures alert (default 3) fires at `GET /v1/alerts` and
//! clears after a success, and `GET /v1/schedules/{id}` stays as fast as without faults (median
//! within 2x, plus a small allowance for a loaded machine).

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use common::{Api, Latencies, StubServer};
use job_system_stub::{Faults, Stub, StubConfig};
use serde_json::Value;

/// The HTTP job system's documented defaults (`HttpJobSystemConfig::new`), which the main test
/// runs with; the last test sets them with `serve`'s flags.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const ATTEMPTS: u64 = 4;
/// 200 + 400 + 800 ms between the four attempts.
const BACKOFF_TOTAL_MS: i64 = 1400;
/// A hang just past the request timeout, so hung requests end soon after sgsched gave up.
const HANG_MS: u64 = REQUEST_TIMEOUT.as_millis() as u64 + 1000;
const SLOW_MS: u64 = 1500;
/// Once schedules due at once in each fault phase: load on the executor while latency is timed.
const LOAD: usize = 20;
/// Sequential GETs per latency figure.
const SAMPLES: usize = 200;
/// Allowed on top of 2x the normal median: scheduling noise on 2 shared cores.
const LATENCY_FLOOR_MS: f64 = 5.0;

/// Requests to `/v1/jobs*` that arrived while a hang or a slow answer was set.
#[derive(Default)]
struct Seen {
    hung: AtomicU64,
    slow: AtomicU64,
}

async fn counted_stub() -> (StubServer, Arc<Seen>) {
    let stub = Stub::new(StubConfig::default());
    let seen = Arc::new(Seen::default());
    let router = stub.router().layer(axum::middleware::from_fn({
        let stub = stub.clone();
        let seen = seen.clone();
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let faults = stub.faults();
            if req.uri().path().starts_with("/v1/jobs") {
                if faults.hang_ms > 0 {
                    seen.hung.fetch_add(1, Ordering::SeqCst);
                } else if faults.latency_ms > 0 {
                    seen.slow.fetch_add(1, Ordering::SeqCst);
                }
            }
            next.run(req)
        }
    }));
    (StubServer::start_router(stub, router).await, seen)
}

fn far_weekly(name: &str) -> Value {
    common::weekly_body(name, "UTC", &[1], "09:00", "2030-03-25")
}

/// Run `id` now; returns the execution id.
async fn run_now(api: &Api, id: &str) -> String {
    let e = api
        .post_empty(&format!("/v1/schedules/{id}/run"))
        .await
        .expect(201);
    e["execution_id"].as_str().unwrap().to_string()
}

/// `n` once schedules due now; their ids.
async fn load(api: &Api, phase: &str, n: usize) -> Vec<String> {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut ids = Vec::new();
    for i in 0..n {
        let s = api
            .create(&common::once_body(&format!("{phase} load {i}"), &now))
            .await;
        ids.push(Api::id(&s));
    }
    ids
}

/// Wait until every execution of `schedules` is final and there are `expected` of them in all;
/// returns them.
async fn settle(api: &Api, schedules: &[&str], expected: usize, within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let mut all = Vec::new();
        for id in schedules {
            all.extend(api.executions(id).await);
        }
        let open = all
            .iter()
            .filter(|e| e["status"] == "pending" || e["status"] == "running")
            .count();
        if all.len() == expected && open == 0 {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {expected} executions, {open} not final, after {within:?}: {all:?}",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many executions of `schedules` are `running`.
async fn running(api: &Api, schedules: &[&str]) -> usize {
    let mut n = 0;
    for id in schedules {
        n += api
            .executions(id)
            .await
            .iter()
            .filter(|e| e["status"] == "running")
            .count();
    }
    n
}

async fn wait_running(api: &Api, schedules: &[&str], n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while running(api, schedules).await < n {
        assert!(Instant::now() < deadline, "{n} runs never all started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn failed_with(e: &Value, needles: &[&str], min_ms: i64) {
    assert_eq!(e["status"], "failed", "{e}");
    let msg = e["error_message"].as_str().unwrap_or_default();
    for n in needles {
        assert!(msg.contains(n), "error {msg:?} should mention {n:?}");
    }
    assert_eq!(e["job_id"], Value::Null, "{e}");
    assert_eq!(
        e["attempt"], 1,
        "one dispatch; the retries are inside it: {e}"
    );
    let ms = e["duration_ms"].as_i64().unwrap();
    assert!(
        ms >= min_ms,
        "failed after {ms} ms, before {min_ms} ms of retries: {e}"
    );
}

async fn alerts(api: &Api) -> Vec<(String, String, String)> {
    let a = api.get("/v1/alerts").await.expect(200);
    let mut out: Vec<_> = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_string(),
                a["schedule_id"].as_str().unwrap().to_string(),
                a["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The consecutive-failure alerts' schedule ids, checking each says 3 runs and `needle`.
async fn failure_alerts(api: &Api) -> BTreeSet<String> {
    alerts(api)
        .await
        .into_iter()
        .map(|(kind, id, msg)| {
            assert_eq!(kind, "consecutive_failures", "only failure alerts: {msg}");
            assert!(
                msg.starts_with("3 consecutive failed runs; last error:"),
                "{msg}"
            );
            id
        })
        .collect()
}

struct Figures {
    /// Without faults and nothing in flight: before the first fault and after the last.
    normal: Vec<Latencies>,
    during: Vec<(&'static str, Latencies)>,
}

impl Figures {
    /// The normal median: the larger of the two, so a machine that was busier at one of the
    /// two moments does not make "normal" look faster than it is.
    fn normal_p50(&self) -> f64 {
        self.normal.iter().map(Latencies::p50).fold(0.0, f64::max)
    }

    fn limit(&self) -> f64 {
        2.0 * self.normal_p50() + LATENCY_FLOOR_MS
    }

    /// Time GETs of `path` while `phase`'s faults are on and its runs in flight.
    async fn during(&mut self, api: &Api, path: &str, phase: &'static str) {
        let l = Latencies::of_gets(api, path, SAMPLES).await;
        eprintln!("GET latency during {phase}: {l}");
        self.during.push((phase, l));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_system_faults_fail_or_retry_as_documented_and_the_api_stays_fast() {
    let started = Instant::now();
    let (mut stub, seen) = counted_stub().await;
    let dir = tempfile::tempdir().unwrap();
    let server = common::start_blocking(dir.path(), &common::unlimited_args(Some(&stub.url())));
    let token = common::token_blocking(&server, &uuid::Uuid::now_v7().to_string());
    let api = Api::new(&server, Some(token));
    api.get("/v1/schedules?limit=1").await.expect(200);
    let stats = |s: &StubServer| s.stub.stats();

    // Normal: a run completes, then the baseline latency with nothing in flight.
    let ok = Api::id(&api.create(&far_weekly("fine")).await);
    let ok_path = format!("/v1/schedules/{ok}");
    run_now(&api, &ok).await;
    let e = settle(&api, &[&ok], 1, Duration::from_secs(30)).await;
    assert_eq!(e[0]["status"], "completed", "{}", e[0]);
    // Warm the connection and the server's caches before timing.
    Latencies::of_gets(&api, &ok_path, 20).await;
    let mut fig = Figures {
        normal: vec![Latencies::of_gets(&api, &ok_path, SAMPLES).await],
        during: Vec::new(),
    };
    eprintln!("GET latency, no faults: {}", fig.normal[0]);

    // `mixed` fails once in each of the three failing phases: a streak of 3 over different
    // faults. (The queue runs one execution of a schedule at a time, so repeated runs of one
    // schedule are sequential: only fast failures repeat on one schedule.)
    let mixed = Api::id(&api.create(&far_weekly("fails every way")).await);

    // 500 on every submission: 4 attempts each, then failed naming the status. The alert needs
    // 3 failures in a row: none after 2, one after the 3rd.
    stub.stub.set_faults(Faults {
        submit_status: Some(500),
        ..Faults::default()
    });
    let rejected0 = stats(&stub).rejected_submissions;
    let s500 = Api::id(&api.create(&far_weekly("fails 500")).await);
    run_now(&api, &s500).await;
    run_now(&api, &s500).await;
    run_now(&api, &mixed).await;
    let load500 = load(&api, "500", LOAD).await;
    fig.during(&api, &ok_path, "500s").await;
    let mut ids: Vec<&str> = load500.iter().map(String::as_str).collect();
    ids.extend([s500.as_str(), mixed.as_str()]);
    for e in settle(&api, &ids, LOAD + 3, Duration::from_secs(60)).await {
        failed_with(&e, &["job system answered 500"], BACKOFF_TOTAL_MS);
    }
    assert_eq!(
        failure_alerts(&api).await,
        BTreeSet::new(),
        "2 failures: no alert yet"
    );
    run_now(&api, &s500).await;
    settle(&api, &[&s500], 3, Duration::from_secs(30)).await;
    assert_eq!(failure_alerts(&api).await, BTreeSet::from([s500.clone()]));
    let s = api.schedule(&s500).await;
    assert_eq!(s["failure_streak"], 3, "{s}");
    let runs500 = (LOAD + 4) as u64;
    assert_eq!(
        stats(&stub).rejected_submissions - rejected0,
        runs500 * ATTEMPTS,
        "every run made all its attempts"
    );

    // Hanging past the request timeout: each attempt times out, 4 of them, then failed.
    let jobs0 = stats(&stub).jobs;
    stub.stub.set_faults(Faults {
        hang_ms: HANG_MS,
        ..Faults::default()
    });
    run_now(&api, &mixed).await;
    let load_hang = load(&api, "hang", LOAD).await;
    let mut ids: Vec<&str> = load_hang.iter().map(String::as_str).collect();
    ids.push(&mixed);
    // Timed once every run hangs (they do for 40 s), and checked to still hang after.
    wait_running(&api, &ids, LOAD + 1).await;
    fig.during(&api, &ok_path, "hangs").await;
    assert_eq!(
        running(&api, &ids).await,
        LOAD + 1,
        "the GETs were timed while every run hung"
    );
    let min_hang_ms = (ATTEMPTS as i64) * REQUEST_TIMEOUT.as_millis() as i64 + BACKOFF_TOTAL_MS;
    let mut hang_failed = 0;
    for e in settle(&api, &ids, LOAD + 2, Duration::from_secs(120)).await {
        if e["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("500"))
        {
            continue; // mixed's first failure
        }
        failed_with(&e, &["job system unreachable"], min_hang_ms);
        hang_failed += 1;
    }
    let runs_hang = (LOAD + 1) as u64;
    assert_eq!(hang_failed, runs_hang);
    assert_eq!(seen.hung.load(Ordering::SeqCst), runs_hang * ATTEMPTS);
    // The last hung requests end a second after sgsched gave up on them.
    tokio::time::sleep(Duration::from_millis(
        HANG_MS - REQUEST_TIMEOUT.as_millis() as u64 + 1000,
    ))
    .await;
    stub.stub.set_faults(Faults::default());
    let late_jobs = stats(&stub).jobs - jobs0;
    eprintln!("jobs the stub made for timed-out submissions after sgsched gave up: {late_jobs}");

    // Refused: the stub stopped. Connection errors are retried too, then the run fails.
    stub.stop().await;
    let refused = Api::id(&api.create(&far_weekly("refused")).await);
    for _ in 0..3 {
        run_now(&api, &refused).await;
    }
    run_now(&api, &mixed).await;
    let load_refused = load(&api, "refused", LOAD).await;
    fig.during(&api, &ok_path, "refused connections").await;
    let mut ids: Vec<&str> = load_refused.iter().map(String::as_str).collect();
    ids.push(&refused);
    for e in settle(&api, &ids, LOAD + 3, Duration::from_secs(60)).await {
        failed_with(&e, &["job system unreachable", "refused"], BACKOFF_TOTAL_MS);
    }
    let m = settle(&api, &[&mixed], 3, Duration::from_secs(30)).await;
    // Newest first.
    failed_with(
        &m[0],
        &["job system unreachable", "refused"],
        BACKOFF_TOTAL_MS,
    );
    let runs_refused = (LOAD + 4) as u64;
    stub.restart().await;

    // Three schedules failed three times in a row: three alerts, nothing else.
    assert_eq!(
        failure_alerts(&api).await,
        BTreeSet::from([s500.clone(), mixed.clone(), refused.clone()])
    );

    // Slow but within the timeout: runs complete, late.
    let jobs0 = stats(&stub).jobs;
    let earlier: BTreeSet<String> = api
        .executions(&ok)
        .await
        .iter()
        .map(|e| e["execution_id"].as_str().unwrap().to_string())
        .collect();
    stub.stub.set_faults(Faults {
        latency_ms: SLOW_MS,
        ..Faults::default()
    });
    run_now(&api, &ok).await;
    let load_slow = load(&api, "slow", LOAD).await;
    fig.during(&api, &ok_path, "slow answers").await;
    let mut ids: Vec<&str> = load_slow.iter().map(String::as_str).collect();
    ids.push(&ok);
    let slow_runs = settle(&api, &ids, LOAD + 2, Duration::from_secs(60)).await;
    stub.stub.set_faults(Faults::default());
    let runs_slow = (LOAD + 1) as u64;
    let new_runs: Vec<&Value> = slow_runs
        .iter()
        .filter(|e| !earlier.contains(e["execution_id"].as_str().unwrap()))
        .collect();
    assert_eq!(new_runs.len() as u64, runs_slow);
    for e in new_runs {
        assert_eq!(e["status"], "completed", "{e}");
        // A slow submission, then a slow poll.
        let ms = e["duration_ms"].as_i64().unwrap();
        assert!(ms >= 2 * SLOW_MS as i64, "{ms} ms: {e}");
    }
    assert_eq!(stats(&stub).jobs - jobs0, runs_slow);
    // One submission and one poll each (jobs complete at once).
    assert_eq!(seen.slow.load(Ordering::SeqCst), runs_slow * 2);

    // Every second submission fails: each run's retry (same key) succeeds. One at a time, so
    // which submissions fail is known: the 2nd, 4th and 6th.
    let before = stats(&stub);
    stub.stub.set_faults(Faults {
        fail_submit_rate: 0.5,
        ..Faults::default()
    });
    for n in 0..4 {
        run_now(&api, &ok).await;
        settle(&api, &[&ok], 3 + n, Duration::from_secs(30)).await;
    }
    stub.stub.set_faults(Faults::default());
    let after = stats(&stub);
    assert_eq!(after.rejected_submissions - before.rejected_submissions, 3);
    assert_eq!(after.jobs - before.jobs, 4);
    assert_eq!(after.submissions - before.submissions, 4);
    let ok_runs = api.executions(&ok).await;
    assert_eq!(ok_runs.len(), 6);
    for e in &ok_runs {
        assert_eq!(e["status"], "completed", "{e}");
    }

    // A success ends a streak: its alert goes, the others stay.
    run_now(&api, &s500).await;
    let e = settle(&api, &[&s500], 4, Duration::from_secs(30)).await;
    assert_eq!(e.iter().filter(|e| e["status"] == "completed").count(), 1);
    assert_eq!(
        failure_alerts(&api).await,
        BTreeSet::from([mixed.clone(), refused.clone()])
    );

    // Latency: every phase's median within 2x of normal (+ the floor).
    let after = Latencies::of_gets(&api, &ok_path, SAMPLES).await;
    eprintln!("GET latency, no faults, after them: {after}");
    fig.normal.push(after);
    let limit = fig.limit();
    for (phase, l) in &fig.during {
        assert!(
            l.p50() <= limit,
            "GET p50 during {phase} {:.2} ms > {limit:.2} ms (2 x normal {:.2} ms + {LATENCY_FLOOR_MS} ms)",
            l.p50(),
            fig.normal_p50()
        );
    }
    let s = stats(&stub);
    let faults = s.rejected_submissions
        + seen.hung.load(Ordering::SeqCst)
        + runs_refused * ATTEMPTS
        + seen.slow.load(Ordering::SeqCst);
    eprintln!(
        "faults injected: {faults} = {} submissions answered 500 ({} runs x {ATTEMPTS} + 3 of \
         every-second) + {} hung requests + {} refused connection attempts ({runs_refused} runs \
         x {ATTEMPTS}) + {} slow answers; GET p50 normal {:.2} ms, limit {limit:.2} ms; total {:?}",
        s.rejected_submissions,
        runs500,
        seen.hung.load(Ordering::SeqCst),
        runs_refused * ATTEMPTS,
        seen.slow.load(Ordering::SeqCst),
        fig.normal_p50(),
        started.elapsed()
    );
}

/// `--job-system-timeout-secs`, `--job-system-attempts` and `--job-system-backoff-ms` replace
/// the defaults the test above runs with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_attempts_and_backoff_are_settings() {
    let (stub, seen) = counted_stub().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = common::unlimited_args(Some(&stub.url()));
    args.extend(
        [
            "--job-system-timeout-secs",
            "1",
            "--job-system-attempts",
            "2",
            "--job-system-backoff-ms",
            "500",
        ]
        .map(String::from),
    );
    let server = common::start_blocking(dir.path(), &args);
    let api = Api::new(
        &server,
        Some(common::token_blocking(
            &server,
            &uuid::Uuid::now_v7().to_string(),
        )),
    );
    let id = Api::id(&api.create(&far_weekly("configured")).await);
    let ms = |e: &Value| e["duration_ms"].as_i64().unwrap();

    // 500 on every submission: 2 attempts, 500 ms apart (the defaults: 4, 1,400 ms in all).
    stub.stub.set_faults(Faults {
        submit_status: Some(500),
        ..Faults::default()
    });
    let rejected0 = stub.stub.stats().rejected_submissions;
    run_now(&api, &id).await;
    let runs = settle(&api, &[&id], 1, Duration::from_secs(30)).await;
    failed_with(&runs[0], &["job system answered 500"], 500);
    assert!(ms(&runs[0]) < 1400, "{}", runs[0]);
    assert_eq!(stub.stub.stats().rejected_submissions - rejected0, 2);

    // Hanging: each of the 2 attempts gives up after 1 s (the default: 10 s each).
    stub.stub.set_faults(Faults {
        hang_ms: 2500,
        ..Faults::default()
    });
    run_now(&api, &id).await;
    let runs = settle(&api, &[&id], 2, Duration::from_secs(30)).await;
    let newest = &runs[0];
    failed_with(newest, &["job system unreachable"], 2 * 1000 + 500);
    assert!(ms(newest) < 10_000, "{newest}");
    assert_eq!(seen.hung.load(Ordering::SeqCst), 2);
}
