//! An in-memory stand-in for the Story-Genius job system, speaking the HTTP contract that
//! sgsched's `http` job-system client uses:
//!
//! * `POST /v1/jobs` `{job_type, payload, idempotency_key, user_id}` → 201 `{job_id, status}`,
//!   or 200 with the first job when the idempotency key was seen before;
//! * `GET /v1/jobs/{id}` → `{job_id, job_type, status, result, error, ..}`, 404 when unknown;
//! * `GET /v1/jobs`, `POST /v1/jobs/{id}/cancel`, `GET /healthz`;
//! * `GET /v1/stats` → submission counts per idempotency key, so a test can prove that no
//!   execution was dispatched twice;
//! * `GET`/`PUT /v1/faults` → the injected faults ([`Faults`]), changeable while running.
//!
//! Jobs complete on their own after [`StubConfig::complete_after`]; their state is computed
//! from their age when read, so no background task is needed and nothing races a test.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

/// Faults to inject. `PUT /v1/faults` replaces the whole set: fields left out are reset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction (0..=1) of `POST /v1/jobs` answered 500 without creating anything. Chosen by
    /// counting, not at random, so a test knows which ones: 0.5 fails the 2nd, 4th, …; 1/3
    /// the 3rd, 6th, …. The count restarts whenever the faults are set.
    pub fail_submit_rate: f64,
    /// When set, every `POST /v1/jobs` answers this status without creating anything.
    pub submit_status: Option<u16>,
    /// Sleep this long before answering any `/v1/jobs` request (to exceed client timeouts).
    pub hang_ms: u64,
    /// Added to every `/v1/jobs` answer (a slow but working job system).
    pub latency_ms: u64,
    /// Every job created while set ends `failed` with error "injected failure".
    pub fail_jobs: bool,
    /// Jobs of these types created while set end `failed`.
    pub fail_job_types: Vec<String>,
}

/// How a stub behaves from the start.
#[derive(Clone, Debug, Default)]
pub struct StubConfig {
    /// Age at which a job reaches its final state; zero means at once. Until half of it a job
    /// is `queued`, then `running`.
    pub complete_after: Duration,
    pub faults: Faults,
}

/// Counts of what clients submitted, as served at `GET /v1/stats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Jobs that exist.
    pub jobs: u64,
    /// `POST /v1/jobs` requests that got past the injected faults, duplicates included.
    pub submissions: u64,
    /// `POST /v1/jobs` requests answered with an injected error status.
    pub rejected_submissions: u64,
    pub by_idempotency_key: BTreeMap<String, u64>,
    /// Keys submitted more than once: a retried dispatch, which must not have made a new job.
    pub duplicate_keys: Vec<String>,
}

#[derive(Clone, Debug)]
struct Job {
    id: Uuid,
    job_type: String,
    payload: Value,
    idempotency_key: String,
    user_id: Option<String>,
    created: Instant,
    fails: bool,
    cancelled: bool,
}

#[derive(Default)]
struct Inner {
    // Version-7 ids sort by creation, so iterating this map lists jobs oldest first.
    jobs: BTreeMap<Uuid, Job>,
    by_key: HashMap<String, Uuid>,
    submissions_by_key: BTreeMap<String, u64>,
    submissions: u64,
    rejected: u64,
    posts_since_faults_set: u64,
    faults: Faults,
}

/// A running (or ready to run) stub. Clones share the same jobs and faults.
#[derive(Clone)]
pub struct Stub {
    inner: Arc<Mutex<Inner>>,
    complete_after: Duration,
}

#[derive(Deserialize)]
struct SubmitBody {
    job_type: String,
    #[serde(default)]
    payload: Value,
    idempotency_key: String,
    #[serde(default)]
    user_id: Option<String>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

impl Stub {
    pub fn new(config: StubConfig) -> Self {
        let inner = Inner {
            faults: config.faults,
            ..Inner::default()
        };
        Stub {
            inner: Arc::new(Mutex::new(inner)),
            complete_after: config.complete_after,
        }
    }

    // A panic while the lock is held cannot leave the maps half-updated in a way that matters
    // to a test stub, so a poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        Stats {
            jobs: inner.jobs.len() as u64,
            submissions: inner.submissions,
            rejected_submissions: inner.rejected,
            by_idempotency_key: inner.submissions_by_key.clone(),
            duplicate_keys: inner
                .submissions_by_key
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }

    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        let mut inner = self.lock();
        inner.faults = faults;
        inner.posts_since_faults_set = 0;
    }

    /// The job's JSON view, as `GET /v1/jobs/{id}` serves it.
    pub fn job(&self, id: Uuid) -> Option<Value> {
        self.lock().jobs.get(&id).map(|job| self.view(job))
    }

    fn view(&self, job: &Job) -> Value {
        let age = job.created.elapsed();
        let (status, result, error) = if job.cancelled {
            ("cancelled", Value::Null, Value::Null)
        } else if age < self.complete_after / 2 {
            ("queued", Value::Null, Value::Null)
        } else if age < self.complete_after {
            ("running", Value::Null, Value::Null)
        } else if job.fails {
            ("failed", Value::Null, json!("injected failure"))
        } else {
            let result = json!({
                "output_url": format!("stub://jobs/{}", job.id),
                "job_type": job.job_type,
            });
            ("succeeded", result, Value::Null)
        };
        json!({
            "job_id": job.id,
            "job_type": job.job_type,
            "status": status,
            "result": result,
            "error": error,
            "idempotency_key": job.idempotency_key,
            "user_id": job.user_id,
            "payload": job.payload,
        })
    }

    /// The HTTP API over this stub's state.
    pub fn router(&self) -> Router {
        let jobs = Router::new()
            .route("/v1/jobs", post(submit).get(list))
            .route("/v1/jobs/{id}", get(get_job))
            .route("/v1/jobs/{id}/cancel", post(cancel))
            .route_layer(middleware::from_fn_with_state(self.clone(), delay));
        // Health, stats and faults stay fast so a test can undo a hang while it is happening.
        Router::new()
            .merge(jobs)
            .route(
                "/healthz",
                get(|| async { Json(json!({ "status": "ok" })) }),
            )
            .route(
                "/v1/stats",
                get(|State(stub): State<Stub>| async move { Json(stub.stats()) }),
            )
            .route("/v1/faults", get(get_faults).put(put_faults))
            .with_state(self.clone())
    }

    /// Serve on `listener` until `shutdown` completes, then finish in-flight requests.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Serve a new stub with `config` on `listener` until `shutdown` completes.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: StubConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    Stub::new(config).serve(listener, shutdown).await
}

async fn delay(State(stub): State<Stub>, request: Request, next: Next) -> Response {
    let faults = stub.faults();
    let wait = faults.hang_ms.saturating_add(faults.latency_ms);
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
    next.run(request).await
}

async fn submit(State(stub): State<Stub>, body: Bytes) -> Response {
    // Parsed by hand so that every malformed body is a 400, whatever its content type.
    let body: SubmitBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid body: {e}")),
    };
    if body.job_type.trim().is_empty() || body.idempotency_key.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "job_type and idempotency_key must not be empty",
        );
    }

    let mut inner = stub.lock();
    inner.posts_since_faults_set += 1;
    let n = inner.posts_since_faults_set as f64;
    let rate = inner.faults.fail_submit_rate.clamp(0.0, 1.0);
    // The epsilon keeps rates such as 0.1 from missing a step to float rounding.
    let rate_fails = ((n * rate) + 1e-9).floor() > (((n - 1.0) * rate) + 1e-9).floor();
    let forced = inner
        .faults
        .submit_status
        .and_then(|s| StatusCode::from_u16(s).ok());
    if let Some(status) = forced.or(rate_fails.then_some(StatusCode::INTERNAL_SERVER_ERROR)) {
        inner.rejected += 1;
        return error(status, "injected submit failure");
    }

    inner.submissions += 1;
    *inner
        .submissions_by_key
        .entry(body.idempotency_key.clone())
        .or_default() += 1;
    if let Some(id) = inner.by_key.get(&body.idempotency_key) {
        let view = stub.view(&inner.jobs[id]);
        return (StatusCode::OK, Json(view)).into_response();
    }
    let fails = inner.faults.fail_jobs || inner.faults.fail_job_types.contains(&body.job_type);
    let job = Job {
        id: Uuid::now_v7(),
        job_type: body.job_type,
        payload: body.payload,
        idempotency_key: body.idempotency_key,
        user_id: body.user_id,
        created: Instant::now(),
        fails,
        cancelled: false,
    };
    tracing::info!(job_id = %job.id, job_type = %job.job_type, key = %job.idempotency_key, "job created");
    let view = stub.view(&job);
    inner.by_key.insert(job.idempotency_key.clone(), job.id);
    inner.jobs.insert(job.id, job);
    (StatusCode::CREATED, Json(view)).into_response()
}

async fn list(State(stub): State<Stub>) -> Response {
    let inner = stub.lock();
    let jobs: Vec<Value> = inner.jobs.values().map(|job| stub.view(job)).collect();
    Json(json!({ "jobs": jobs })).into_response()
}

async fn get_job(State(stub): State<Stub>, Path(id): Path<String>) -> Response {
    match Uuid::parse_str(&id).ok().and_then(|id| stub.job(id)) {
        Some(view) => Json(view).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no job {id}")),
    }
}

async fn cancel(State(stub): State<Stub>, Path(id): Path<String>) -> Response {
    let mut inner = stub.lock();
    let Some(job) = Uuid::parse_str(&id)
        .ok()
        .and_then(|id| inner.jobs.get_mut(&id))
    else {
        return error(StatusCode::NOT_FOUND, format!("no job {id}"));
    };
    // Only a job still in progress can be cancelled; a finished one keeps its outcome.
    if job.created.elapsed() < stub.complete_after {
        job.cancelled = true;
    }
    let job = job.clone();
    drop(inner);
    Json(stub.view(&job)).into_response()
}

async fn get_faults(State(stub): State<Stub>) -> Json<Faults> {
    Json(stub.faults())
}

async fn put_faults(State(stub): State<Stub>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) if (0.0..=1.0).contains(&faults.fail_submit_rate) => {
            stub.set_faults(faults.clone());
            tracing::info!(?faults, "faults set");
            Json(faults).into_response()
        }
        Ok(_) => error(
            StatusCode::BAD_REQUEST,
            "fail_submit_rate must be within 0..=1",
        ),
        Err(e) => error(StatusCode::BAD_REQUEST, format!("invalid faults: {e}")),
    }
}
