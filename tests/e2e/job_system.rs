//! The plugins' way to the job system: the embedded local one (jobs recorded in the database and
//! listed at `/v1/jobs`) and the HTTP one against `examples/job-system-stub`, with its
//! idempotency, retries, timeouts and failures.

use std::sync::Arc;
use std::time::Duration;

use job_system_stub::{Faults, Stub, StubConfig};
use serde_json::Value;
use sgsched::api::{self, AppParts, AppState, TokenCache};
use sgsched::clock::SystemClock;
use sgsched::jobsystem::{HttpJobSystem, HttpJobSystemConfig, JobState, JobSystem, LocalJobSystem};
use sgsched::plugins::{PluginError, PluginHost, PluginHostConfig, RunRequest};
use sgsched::service::Scheduler;
use sgsched::store::Storage;
use sgsched::store::Store;
use sgsched::store::prelude::*;

fn request(job_type: &str, config: Value, execution_id: &str) -> RunRequest {
    RunRequest {
        execution_id: execution_id.to_string(),
        schedule_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
        user_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
        job_type: job_type.into(),
        config,
        scheduled_for: "2026-11-27T10:00:00Z".into(),
        attempt: 1,
        is_manual: false,
        episode: None,
    }
}

async fn host_with(jobs: Arc<dyn JobSystem>) -> PluginHost {
    PluginHost::load(PluginHostConfig::default(), jobs)
        .await
        .unwrap()
}

/// What the dispatcher does with a run's outcome: commit the jobs the run left to it.
async fn commit_jobs(h: &PluginHost, store: &Store, execution_id: &str) -> usize {
    let jobs = h.take_deferred_jobs(execution_id);
    let n = jobs.len();
    store
        .write(Box::new(move |_| {
            Ok(sgsched::store::WriteSet {
                put_local_jobs: jobs.clone(),
                ..Default::default()
            })
        }))
        .await
        .unwrap();
    n
}

fn example(h: &PluginHost, job_type: &str) -> Value {
    h.info(job_type).unwrap().example_config.clone()
}

#[tokio::test]
async fn local_job_system_records_jobs_idempotently_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let h = host_with(Arc::new(LocalJobSystem::new(Arc::new(store.clone())))).await;

    let exec = "0193a1b2-0000-7000-8000-000000000001";
    let first = h
        .run(request(
            "video_generation",
            example(&h, "video_generation"),
            exec,
        ))
        .await
        .unwrap();
    let job_id = first.job_id.clone().expect("a job id");
    // A first attempt's job waits for the outcome's commit.
    assert_eq!(store.local_job(job_id.clone()).await.unwrap(), None);
    assert_eq!(commit_jobs(&h, &store, exec).await, 1);
    // A re-dispatch of the same execution reaches the same job.
    let mut retry = request("video_generation", example(&h, "video_generation"), exec);
    retry.attempt = 2;
    let again = h.run(retry).await.unwrap();
    assert_eq!(commit_jobs(&h, &store, exec).await, 0, "written at once");
    assert_eq!(again.job_id.as_deref(), Some(job_id.as_str()));
    let job = store.local_job(job_id.clone()).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.idempotency_key, exec);
    assert_eq!(job.job_type, "video_generation");
    assert_eq!(job.user_id, "0193a1b2-0000-7000-8000-0000000000bb");

    // batch_generation: one job per item, keyed `{execution}:{index}`.
    let batch = example(&h, "batch_generation");
    let items = batch["items"].as_array().unwrap().len();
    assert!(items >= 2);
    let exec2 = "0193a1b2-0000-7000-8000-000000000002";
    h.run(request("batch_generation", batch, exec2))
        .await
        .unwrap();
    assert_eq!(commit_jobs(&h, &store, exec2).await, items);
    let all = store.local_jobs(None, None, 100).await.unwrap();
    assert_eq!(all.len(), 1 + items);
    let mut keys: Vec<String> = all
        .iter()
        .skip(1)
        .map(|j| j.idempotency_key.clone())
        .collect();
    keys.sort();
    let expected: Vec<String> = (0..items).map(|i| format!("{exec2}:{i}")).collect();
    assert_eq!(keys, expected);

    // Listed over HTTP, paged, to the jobs' owner only.
    let storage: Arc<dyn Storage> = Arc::new(store.clone());
    let scheduler = Scheduler::new(storage, h.clone(), Arc::new(SystemClock));
    let tokens = TokenCache::new(sgsched::tokens::inbox(dir.path()));
    let owner = sgsched::tokens::create(
        dir.path(),
        "0193a1b2-0000-7000-8000-0000000000bb".parse().unwrap(),
    )
    .unwrap();
    let stranger = sgsched::tokens::create(dir.path(), uuid::Uuid::now_v7()).unwrap();
    let state = AppState::new(AppParts {
        plugins: h.clone(),
        scheduler,
        tokens,
        job_system_kind: "local",
        dispatcher: None,
        api_rate: None,
        calendar_cache: Default::default(),
        calendar: Default::default(),
        sessions: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::run(
        listener,
        state,
        api::HEADER_TIMEOUT,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let anonymous = http
        .get(format!("http://{addr}/v1/jobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let theirs: Value = http
        .get(format!("http://{addr}/v1/jobs"))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"], serde_json::json!([]));
    let hidden = http
        .get(format!("http://{addr}/v1/jobs/{job_id}"))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
    let page: Value = http
        .get(format!("http://{addr}/v1/jobs?limit=1"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["job_id"], job_id.as_str());
    assert_eq!(page["items"][0]["status"], "succeeded");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = http
        .get(format!("http://{addr}/v1/jobs?limit=100&cursor={cursor}"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), items);
    assert_eq!(rest["next_cursor"], Value::Null);
    let one: Value = http
        .get(format!("http://{addr}/v1/jobs/{job_id}"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["idempotency_key"], exec);
    // The query rules are the schedule routes': every bad parameter in one 422, a job id that
    // is not one is a 404.
    let bad = http
        .get(format!("http://{addr}/v1/jobs?limit=0&cursor=x&colour=red"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["colour", "limit", "cursor"]);
    let not_an_id = http
        .get(format!("http://{addr}/v1/jobs/not-an-id"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(not_an_id.status(), 404);
}

/// A stub on port 0 and an HTTP job system pointed at it with short timeouts.
async fn stub() -> (Stub, String) {
    let s = Stub::new(StubConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(s.clone().serve(listener, std::future::pending()));
    (s, url)
}

fn http_jobs(url: &str) -> Arc<dyn JobSystem> {
    let mut c = HttpJobSystemConfig::new(url);
    c.request_timeout = Duration::from_millis(500);
    c.backoff = Duration::from_millis(10);
    c.poll_interval = Duration::from_millis(10);
    Arc::new(HttpJobSystem::new(c).unwrap())
}

#[tokio::test]
async fn http_job_system_submits_once_per_execution() {
    let (stub, url) = stub().await;
    let h = host_with(http_jobs(&url)).await;
    let exec = "0193a1b2-0000-7000-8000-000000000003";
    let out = h
        .run(request("export", example(&h, "export"), exec))
        .await
        .unwrap();
    let again = h
        .run(request("export", example(&h, "export"), exec))
        .await
        .unwrap();
    assert_eq!(out.job_id, again.job_id);
    let stats = stub.stats();
    assert_eq!(stats.jobs, 1);
    assert_eq!(stats.submissions, 2);
    assert_eq!(stats.by_idempotency_key.get(exec), Some(&2));
}

#[tokio::test]
async fn http_job_system_retries_5xx_with_the_same_key() {
    let (stub, url) = stub().await;
    let h = host_with(http_jobs(&url)).await;
    // Every second POST fails (the 2nd, 4th, 6th): runs 2, 3 and 4 each lose their first
    // attempt and succeed on the retry, with the same key.
    stub.set_faults(Faults {
        fail_submit_rate: 0.5,
        ..Faults::default()
    });
    for i in 0..4 {
        let exec = format!("0193a1b2-0000-7000-8000-00000000010{i}");
        h.run(request("export", example(&h, "export"), &exec))
            .await
            .unwrap();
    }
    let stats = stub.stats();
    assert_eq!(stats.jobs, 4);
    assert_eq!(stats.rejected_submissions, 3);
    assert_eq!(stats.submissions, 4);
    assert_eq!(stats.duplicate_keys, Vec::<String>::new());
}

#[tokio::test]
async fn http_job_system_failures_fail_the_run_with_the_reason() {
    let (stub, url) = stub().await;
    let h = host_with(http_jobs(&url)).await;
    let cfg = example(&h, "export");

    // Always 500: every attempt is made, then the run fails naming the status.
    stub.set_faults(Faults {
        submit_status: Some(500),
        ..Faults::default()
    });
    let err = h
        .run(request(
            "export",
            cfg.clone(),
            "0193a1b2-0000-7000-8000-000000000201",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PluginError::Rejected { message, .. } if message.contains("job system answered 500")),
        "{err}"
    );
    assert_eq!(stub.stats().rejected_submissions, 4);

    // A 4xx is final: no retry.
    stub.set_faults(Faults {
        submit_status: Some(400),
        ..Faults::default()
    });
    let before = stub.stats().rejected_submissions;
    let err = h
        .run(request(
            "export",
            cfg.clone(),
            "0193a1b2-0000-7000-8000-000000000202",
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("job system answered 400"), "{err}");
    assert_eq!(stub.stats().rejected_submissions, before + 1);

    // The job itself fails.
    stub.set_faults(Faults {
        fail_jobs: true,
        ..Faults::default()
    });
    let err = h
        .run(request(
            "export",
            cfg.clone(),
            "0193a1b2-0000-7000-8000-000000000203",
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");

    // Hanging past the request timeout.
    stub.set_faults(Faults {
        hang_ms: 3000,
        ..Faults::default()
    });
    let err = h
        .run(request(
            "export",
            cfg.clone(),
            "0193a1b2-0000-7000-8000-000000000204",
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("job system unreachable"), "{err}");
    stub.set_faults(Faults::default());

    // Nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let h = host_with(http_jobs(&format!("http://{closed}"))).await;
    let err = h
        .run(request(
            "export",
            cfg,
            "0193a1b2-0000-7000-8000-000000000205",
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("job system unreachable"), "{err}");
}
