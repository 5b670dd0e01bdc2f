//! The stub's HTTP contract, exercised over real sockets against an in-process server, plus
//! one run of the binary to check the `listening on` line and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use job_system_stub::{Faults, Stub, StubConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    stub: Stub,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(config: StubConfig) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stub = Stub::new(config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = stub.clone();
    tokio::spawn(async move {
        served
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Server {
        base,
        stub,
        http,
        _stop: stop,
    }
}

impl Server {
    async fn submit(&self, job_type: &str, key: &str) -> (StatusCode, Value) {
        let body = json!({
            "job_type": job_type,
            "payload": {"prompt": "a lighthouse"},
            "idempotency_key": key,
            "user_id": "0b7e3c1a-5d2f-4e8b-9a61-3f0c2d4e5b6a",
        });
        let resp = self
            .http
            .post(format!("{}/v1/jobs", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }

    async fn put_faults(&self, faults: Value) -> StatusCode {
        let url = format!("{}/v1/faults", self.base);
        self.http
            .put(url)
            .json(&faults)
            .send()
            .await
            .unwrap()
            .status()
    }
}

#[tokio::test]
async fn repeated_idempotency_key_returns_the_first_job() {
    let s = start(StubConfig::default()).await;
    let (status, first) = s.submit("video_generation", "exec-1").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["status"], "succeeded");
    let (status, again) = s.submit("video_generation", "exec-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["job_id"], first["job_id"]);
    let (status, other) = s.submit("video_generation", "exec-2").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(other["job_id"], first["job_id"]);

    let (_, stats) = s.get("/v1/stats").await;
    assert_eq!(stats["jobs"], 2);
    assert_eq!(stats["submissions"], 3);
    assert_eq!(
        stats["by_idempotency_key"],
        json!({"exec-1": 2, "exec-2": 1})
    );
    assert_eq!(stats["duplicate_keys"], json!(["exec-1"]));
    assert_eq!(s.stub.stats().duplicate_keys, vec!["exec-1".to_string()]);
}

#[tokio::test]
async fn get_list_health_and_not_found() {
    let s = start(StubConfig::default()).await;
    let (_, a) = s.submit("export", "k-a").await;
    let (_, b) = s.submit("caption_generation", "k-b").await;

    let id = a["job_id"].as_str().unwrap();
    let (status, job) = s.get(&format!("/v1/jobs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["job_type"], "export");
    assert_eq!(job["status"], "succeeded");
    assert_eq!(
        job["result"],
        json!({"output_url": format!("stub://jobs/{id}"), "job_type": "export"})
    );
    assert_eq!(job["error"], Value::Null);

    let (_, list) = s.get("/v1/jobs").await;
    let ids: Vec<&Value> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| &j["job_id"])
        .collect();
    assert_eq!(ids, vec![&a["job_id"], &b["job_id"]], "oldest first");

    let (status, _) = s.get("/v1/jobs/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/v1/jobs/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bad_bodies_are_400_and_create_nothing() {
    let s = start(StubConfig::default()).await;
    let url = format!("{}/v1/jobs", s.base);
    for body in [
        "not json",
        "{}",
        r#"{"job_type": "x"}"#,
        r#"{"job_type": "", "idempotency_key": "k"}"#,
    ] {
        let resp = s.http.post(&url).body(body).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(s.stub.stats().jobs, 0);
}

#[tokio::test]
async fn jobs_pass_through_queued_and_running_before_finishing() {
    // Wide windows (queued < 1 s ≤ running < 2 s) so a loaded machine does not flake.
    let s = start(StubConfig {
        complete_after: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let (status, job) = s.submit("export", "slow").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(job["status"], "queued");
    let path = format!("/v1/jobs/{}", job["job_id"].as_str().unwrap());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(s.get(&path).await.1["status"], "running");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(s.get(&path).await.1["status"], "succeeded");
}

#[tokio::test]
async fn unfinished_jobs_can_be_cancelled() {
    let s = start(StubConfig {
        complete_after: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let (_, job) = s.submit("export", "to-cancel").await;
    let url = format!(
        "{}/v1/jobs/{}/cancel",
        s.base,
        job["job_id"].as_str().unwrap()
    );
    let job: Value = s.http.post(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(job["status"], "cancelled");
}

#[tokio::test]
async fn fail_submit_rate_rejects_a_counted_share_without_creating_jobs() {
    let faults = Faults {
        fail_submit_rate: 0.5,
        ..Default::default()
    };
    let s = start(StubConfig {
        faults,
        ..Default::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(s.submit("export", &format!("k{i}")).await.0.as_u16());
    }
    assert_eq!(statuses, vec![201, 500, 201, 500]);
    let stats = s.stub.stats();
    assert_eq!(
        (stats.jobs, stats.submissions, stats.rejected_submissions),
        (2, 2, 2)
    );
}

#[tokio::test]
async fn submit_status_forces_every_submission() {
    let faults = Faults {
        submit_status: Some(503),
        ..Default::default()
    };
    let s = start(StubConfig {
        faults,
        ..Default::default()
    })
    .await;
    assert_eq!(
        s.submit("export", "k").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        s.submit("export", "k").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(s.stub.stats().jobs, 0);
}

#[tokio::test]
async fn fail_jobs_and_fail_job_types_make_jobs_fail() {
    let faults = Faults {
        fail_job_types: vec!["export".into()],
        ..Default::default()
    };
    let s = start(StubConfig {
        faults,
        ..Default::default()
    })
    .await;
    let (_, export) = s.submit("export", "a").await;
    let (_, video) = s.submit("video_generation", "b").await;
    assert_eq!(export["status"], "failed");
    assert_eq!(export["error"], "injected failure");
    assert_eq!(video["status"], "succeeded");

    assert_eq!(
        s.put_faults(json!({"fail_jobs": true})).await,
        StatusCode::OK
    );
    let (_, video) = s.submit("video_generation", "c").await;
    assert_eq!(video["status"], "failed");
}

#[tokio::test]
async fn hang_and_latency_delay_job_requests_only() {
    let faults = Faults {
        hang_ms: 300,
        latency_ms: 100,
        ..Default::default()
    };
    let s = start(StubConfig {
        faults,
        ..Default::default()
    })
    .await;
    let started = std::time::Instant::now();
    s.get("/v1/jobs").await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = short
        .get(format!("{}/v1/jobs", s.base))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    // The control endpoints answer at once, so a test can lift a hang mid-way.
    let started = std::time::Instant::now();
    s.get("/v1/stats").await;
    s.get("/healthz").await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn faults_change_at_runtime() {
    let s = start(StubConfig::default()).await;
    assert_eq!(s.get("/v1/faults").await.1["submit_status"], Value::Null);

    assert_eq!(
        s.put_faults(json!({"submit_status": 500})).await,
        StatusCode::OK
    );
    assert_eq!(s.get("/v1/faults").await.1["submit_status"], 500);
    assert_eq!(
        s.submit("export", "k").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );

    // PUT replaces the whole set: an empty object clears every fault.
    assert_eq!(s.put_faults(json!({})).await, StatusCode::OK);
    assert_eq!(s.stub.faults(), Faults::default());
    assert_eq!(s.submit("export", "k").await.0, StatusCode::CREATED);
    assert_eq!(
        s.stub.stats().by_idempotency_key["k"],
        1,
        "the rejected try is not a submission"
    );

    for bad in [
        json!({"fail_submit_rate": 2.0}),
        json!({"no_such_fault": true}),
    ] {
        assert_eq!(s.put_faults(bad).await, StatusCode::BAD_REQUEST);
    }
}

#[test]
fn binary_prints_its_address_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_job-system-stub"))
        .args(["--listen", "127.0.0.1:0", "--fail-jobs"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_string();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (faults, health) = rt.block_on(async {
        let faults: Value = reqwest::get(format!("http://{addr}/v1/faults"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let health = reqwest::get(format!("http://{addr}/healthz"))
            .await
            .unwrap()
            .status();
        (faults, health)
    });
    assert_eq!(faults["fail_jobs"], true);
    assert_eq!(health, StatusCode::OK);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}
