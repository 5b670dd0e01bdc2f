//! After a crash, executions left `running` are re-dispatched with the same idempotency key
//! (their id): no run is lost and none becomes a second job. In process (the runtime dropped
//! under in-flight runs, then a new executor on the same data dir) and with the real binary
//! killed by SIGKILL while 1,000 runs are in flight against the job-system stub.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use common::harness::*;
use common::{Api, Server};
use job_system_stub::{Stub, StubConfig};
use sgsched::model::ExecutionStatus;

#[test]
fn running_executions_are_redispatched_with_the_same_key() {
    let jobs = RecordingJobs::new();
    jobs.close();
    let start = utc(2026, 3, 2, 9, 0);
    let at = start + Span::minutes(1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (dir, user, ids) = rt.block_on(async {
        let h = Harness::start(Setup {
            executor: wide_limits(),
            start,
            ..Setup::new(jobs.clone())
        })
        .await;
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(h.create(once_at(&format!("r{i}"), at)).await.id);
        }
        h.set(at);
        h.until("20 runs in flight", Duration::from_secs(20), || async {
            jobs.log().len() == 20
        })
        .await;
        assert_eq!(h.count_status(ExecutionStatus::Running).await, 20);
        let user = h.user;
        (h.into_dir(), user, ids)
    });
    // The crash: every task of the first executor dies mid-run.
    drop(rt);
    jobs.open();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut h = Harness::start_in(
            dir,
            Setup {
                executor: wide_limits(),
                start: at,
                ..Setup::new(jobs.clone())
            },
        )
        .await;
        h.user = user;
        h.settle().await;
        let log = jobs.log();
        let keys: BTreeSet<&str> = log.iter().map(|s| s.idempotency_key.as_str()).collect();
        assert_eq!(keys.len(), 20, "the same 20 keys, no new ones");
        assert_eq!(
            log.iter().filter(|s| s.new_job).count(),
            20,
            "one job per execution"
        );
        assert_eq!(
            log.len(),
            40,
            "each re-submitted once, as a retry of its key"
        );
        for id in ids {
            let e = h.executions(id).await;
            assert_eq!(e.len(), 1, "no run lost, none duplicated");
            assert_eq!(e[0].status, ExecutionStatus::Completed);
            assert_eq!(e[0].attempt, 2);
            let first = log
                .iter()
                .find(|s| s.idempotency_key == e[0].id.to_string())
                .unwrap();
            assert_eq!(
                e[0].job_id.as_deref(),
                Some(first.job_id.as_str()),
                "the job made before the crash"
            );
        }
    });
}

const RUNS: usize = 1000;

fn serve_args(url: &str) -> Vec<String> {
    [
        "--job-system-url",
        url,
        "--max-concurrent",
        "2000",
        "--max-concurrent-per-user",
        "2000",
        "--user-rate-per-minute",
        "10000000",
        "--global-rate-per-minute",
        "10000000",
        "--api-rate-per-minute",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_1000_runs_in_flight_loses_none_and_duplicates_none() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stub = Stub::new(StubConfig {
        complete_after: Duration::from_secs(3),
        ..StubConfig::default()
    });
    tokio::spawn(stub.clone().serve(listener, std::future::pending()));

    let dir = tempfile::tempdir().unwrap();
    let args = serve_args(&url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut server = tokio::task::block_in_place(|| Server::start(dir.path(), &args));
    let token = tokio::task::block_in_place(|| server.token(&uuid::Uuid::now_v7().to_string()));
    let api = Api::new(&server, Some(token));
    // First use of a new token, alone: concurrent first uses race in the token import (see
    // tokens_first_use_is_race_free below).
    api.get("/v1/schedules").await.expect(200);

    // All due at one instant a little ahead, created 20 at a time.
    let at = (Utc::now() + Span::seconds(20)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut ids = Vec::new();
    for chunk in 0..RUNS / 20 {
        let calls: Vec<_> = (0..20)
            .map(|i| {
                let api = api.clone();
                let body = common::once_body(&format!("run {}", chunk * 20 + i), &at);
                tokio::spawn(async move { Api::id(&api.create(&body).await) })
            })
            .collect();
        for c in calls {
            ids.push(c.await.unwrap());
        }
    }

    // Kill while many runs are in flight (the plugin host runs 256 at once; each job takes 3 s).
    let deadline = Instant::now() + Duration::from_secs(90);
    while stub.stats().jobs < 300 {
        assert!(
            Instant::now() < deadline,
            "runs never reached the job system: {:?}",
            stub.stats().jobs
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let before = stub.stats().jobs;
    assert!(
        before < RUNS as u64,
        "the kill came while runs were in flight ({before} jobs)"
    );
    drop(server);

    let server = tokio::task::block_in_place(|| Server::start(dir.path(), &args));
    let api = Api::new(&server, api.token.clone());
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut executions: HashMap<String, serde_json::Value> = HashMap::new();
    for id in &ids {
        loop {
            let e = api.executions(id).await;
            assert_eq!(e.len(), 1, "schedule {id}: exactly one execution: {e:?}");
            if e[0]["status"] == "completed" {
                executions.insert(
                    e[0]["execution_id"].as_str().unwrap().to_string(),
                    e[0].clone(),
                );
                break;
            }
            assert_ne!(e[0]["status"], "failed", "{}", e[0]);
            assert!(
                Instant::now() < deadline,
                "schedule {id} never completed: {}",
                e[0]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let stats = stub.stats();
    assert_eq!(executions.len(), RUNS, "no run lost");
    assert_eq!(
        stats.jobs, RUNS as u64,
        "one job per execution, none submitted twice as a new job"
    );
    let keys: BTreeSet<&String> = stats.by_idempotency_key.keys().collect();
    let exec_ids: BTreeSet<&String> = executions.keys().collect();
    assert_eq!(keys, exec_ids, "every job's key is an execution id");
    // Repeated keys are retries of in-flight runs after the restart, never new jobs.
    assert!(
        stats.duplicate_keys.len() as u64 <= before,
        "{} duplicates",
        stats.duplicate_keys.len()
    );
    eprintln!(
        "killed with {before} jobs made; {} keys re-submitted after the restart",
        stats.duplicate_keys.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_first_use_is_race_free() {
    let dir = tempfile::tempdir().unwrap();
    let server = tokio::task::block_in_place(|| Server::start(dir.path(), &[]));
    for _ in 0..20 {
        let token = tokio::task::block_in_place(|| server.token(&uuid::Uuid::now_v7().to_string()));
        let api = Api::new(&server, Some(token));
        let calls: Vec<_> = (0..32)
            .map(|_| {
                let api = api.clone();
                tokio::spawn(async move { api.get("/v1/schedules").await.status })
            })
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap(), 200);
        }
    }
}
