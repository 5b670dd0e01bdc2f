//! An in-process scheduler for the executor tests: a fresh store, the real plugin host, a
//! job system the test controls, a `ManualClock`, and the executor started on it. Time moves
//! only when a test says so; `settle` then waits (in real time, bounded) until the executor has
//! done everything that is due.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use sgsched::clock::ManualClock;
use sgsched::executor::{Dispatcher, ExecutorConfig};
use sgsched::jobsystem::{JobState, JobStatus, JobSystem, JobSystemError, SubmitRequest};
use sgsched::model::{
    Execution, ExecutionStatus, MissedPolicy, OverlapPolicy, Priority, Schedule, ScheduleId,
    ScheduleStatus, ScheduleType,
};
use sgsched::plugins::{PluginHost, PluginHostConfig};
use sgsched::service::{DraftParts, Scheduler};
use sgsched::store::Store;
use tokio::sync::watch;

/// One submission as the recording job system saw it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub idempotency_key: String,
    pub user_id: String,
    pub job_id: String,
    /// Whether this submission made a new job (false: a repeat of a known key).
    pub new_job: bool,
    pub at: Instant,
}

/// A job system in memory that records every submission in order, dedups on the idempotency
/// key, and finishes jobs only while its gate is open (so a test can hold runs `running`).
pub struct RecordingJobs {
    log: Mutex<Vec<Submitted>>,
    by_key: Mutex<HashMap<String, String>>,
    gate: watch::Sender<bool>,
}

impl RecordingJobs {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            log: Mutex::new(Vec::new()),
            by_key: Mutex::new(HashMap::new()),
            gate: watch::Sender::new(true),
        })
    }

    /// Jobs submitted from now on (and those waiting) stay unfinished until `open`.
    pub fn close(&self) {
        self.gate.send_replace(false);
    }

    pub fn open(&self) {
        self.gate.send_replace(true);
    }

    pub fn log(&self) -> Vec<Submitted> {
        self.log.lock().unwrap().clone()
    }

    /// The idempotency keys (execution ids) in the order they reached the job system.
    pub fn keys(&self) -> Vec<String> {
        self.log().into_iter().map(|s| s.idempotency_key).collect()
    }
}

#[async_trait::async_trait]
impl JobSystem for RecordingJobs {
    async fn submit(&self, req: SubmitRequest) -> Result<String, JobSystemError> {
        let mut by_key = self.by_key.lock().unwrap();
        let (job_id, new_job) = match by_key.get(&req.idempotency_key) {
            Some(id) => (id.clone(), false),
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                by_key.insert(req.idempotency_key.clone(), id.clone());
                (id, true)
            }
        };
        self.log.lock().unwrap().push(Submitted {
            idempotency_key: req.idempotency_key,
            user_id: req.user_id,
            job_id: job_id.clone(),
            new_job,
            at: Instant::now(),
        });
        Ok(job_id)
    }

    async fn wait(&self, _job_id: &str, timeout: Duration) -> Result<JobStatus, JobSystemError> {
        let mut rx = self.gate.subscribe();
        let open = tokio::time::timeout(timeout, rx.wait_for(|open| *open))
            .await
            .is_ok();
        let state = if open {
            JobState::Succeeded
        } else {
            JobState::Running
        };
        Ok(JobStatus {
            state,
            result: Some(json!({"recorded": true})),
            error: None,
        })
    }

    fn kind(&self) -> &'static str {
        "recording"
    }
}

/// What to build a harness with.
pub struct Setup {
    pub executor: ExecutorConfig,
    pub jobs: Arc<dyn JobSystem>,
    /// Copy the hostile guest into a plugins dir and load it.
    pub hostile: bool,
    pub run_timeout: Duration,
    pub start: DateTime<Utc>,
}

impl Setup {
    pub fn new(jobs: Arc<dyn JobSystem>) -> Self {
        Self {
            executor: ExecutorConfig::default(),
            jobs,
            hostile: false,
            run_timeout: Duration::from_secs(600),
            start: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        }
    }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub sched: Scheduler,
    pub dispatcher: Arc<Dispatcher>,
    pub user: uuid::Uuid,
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("sgsched.redb")
}

impl Harness {
    pub async fn start(setup: Setup) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, setup).await
    }

    /// Start on an existing data dir (a restart).
    pub async fn start_in(dir: tempfile::TempDir, setup: Setup) -> Harness {
        // After an in-process "crash" the old store's writer thread may still hold the file
        // for a moment: retry briefly.
        let deadline = Instant::now() + Duration::from_secs(10);
        let store = loop {
            match Store::open(&db_path(&dir)) {
                Ok(s) => break s,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("reopen the store: {e}"),
            }
        };
        let mut config = PluginHostConfig {
            run_timeout: setup.run_timeout,
            ..PluginHostConfig::default()
        };
        if setup.hostile {
            let plugins = dir.path().join("plugins");
            std::fs::create_dir_all(&plugins).unwrap();
            std::fs::copy(super::hostile_wasm(), plugins.join("hostile.wasm")).unwrap();
            config.plugins_dir = Some(plugins);
        }
        let plugins = PluginHost::load(config, setup.jobs).await.unwrap();
        let clock = Arc::new(ManualClock::new(setup.start));
        let sched = Scheduler::new(Arc::new(store.clone()), plugins, clock.clone());
        let dispatcher = sgsched::executor::start(sched.clone(), setup.executor)
            .await
            .unwrap();
        Harness {
            dir,
            store,
            clock,
            sched,
            dispatcher,
            user: uuid::Uuid::now_v7(),
        }
    }

    /// Stop being this harness, keeping its data dir (with everything in flight left as the
    /// store has it).
    pub fn into_dir(self) -> tempfile::TempDir {
        self.dir
    }

    pub fn now(&self) -> DateTime<Utc> {
        use sgsched::clock::Clock;
        self.clock.now()
    }

    /// Move the clock to `at` and wake the executor.
    pub fn set(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.sched.wakeup().wake();
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
        self.sched.wakeup().wake();
    }

    pub async fn create(&self, parts: DraftParts) -> Schedule {
        self.create_for(self.user, parts).await
    }

    pub async fn create_for(&self, user: uuid::Uuid, parts: DraftParts) -> Schedule {
        let draft = self
            .sched
            .prepare_create(parts)
            .await
            .unwrap_or_else(|e| panic!("prepare_create: {e:?}"));
        self.sched.create(user, draft).await.unwrap()
    }

    /// A schedule of the harness user, as stored now.
    pub async fn schedule(&self, id: ScheduleId) -> Schedule {
        self.sched
            .storage()
            .schedule(self.user, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no schedule {id}"))
    }

    /// Every execution of a schedule, oldest `scheduled_for` first.
    pub async fn executions(&self, id: ScheduleId) -> Vec<Execution> {
        let mut v = self
            .sched
            .storage()
            .executions(id, None, None, 100_000)
            .await
            .unwrap();
        v.reverse();
        v
    }

    pub async fn count_status(&self, status: ExecutionStatus) -> usize {
        self.sched
            .storage()
            .executions_with_status(status, 1_000_000)
            .await
            .unwrap()
            .len()
    }

    /// Wait until nothing is due at the current instant and nothing is pending or running.
    pub async fn settle(&self) {
        self.settle_within(Duration::from_secs(30)).await
    }

    pub async fn settle_within(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let due = self.sched.storage().due(self.now(), 1).await.unwrap();
            let pending = self.count_status(ExecutionStatus::Pending).await;
            let running = self.count_status(ExecutionStatus::Running).await;
            if due.is_empty() && pending == 0 && running == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not settled after {limit:?}: {} due, {pending} pending, {running} running",
                due.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Poll `check` until it holds (real time, bounded).
    pub async fn until<F, Fut>(&self, what: &str, limit: Duration, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + limit;
        while !check().await {
            assert!(
                Instant::now() < deadline,
                "timed out after {limit:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A draft for an `export` schedule; adjust the fields a test needs.
pub fn export_parts(name: &str) -> DraftParts {
    DraftParts {
        name: Some(name.into()),
        job_type: Some("export".into()),
        job_config: Some(super::export_config()),
        ..DraftParts::default()
    }
}

pub fn once_at(name: &str, at: DateTime<Utc>) -> DraftParts {
    DraftParts {
        schedule_type: Some(ScheduleType::Once),
        scheduled_at: Some(at),
        ..export_parts(name)
    }
}

/// A recurring draft from a recurrence rule given as API JSON, in `tz`.
pub fn recurring(name: &str, tz: &str, rule: Value) -> DraftParts {
    DraftParts {
        schedule_type: Some(ScheduleType::Recurring),
        recurrence_rule: Some(serde_json::from_value(rule).expect("a valid rule")),
        timezone: Some(sgsched::timezone::parse_timezone(tz).unwrap()),
        ..export_parts(name)
    }
}

pub fn with_priority(mut p: DraftParts, priority: Priority) -> DraftParts {
    p.priority = Some(priority);
    p
}

pub fn with_missed(mut p: DraftParts, policy: MissedPolicy) -> DraftParts {
    p.missed_policy = Some(policy);
    p
}

pub fn with_overlap(mut p: DraftParts, policy: OverlapPolicy) -> DraftParts {
    p.overlap_policy = Some(policy);
    p
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Generous limits, for tests that are not about the limits.
pub fn wide_limits() -> ExecutorConfig {
    ExecutorConfig {
        max_concurrent: 1000,
        max_concurrent_per_user: 1000,
        user_rate_per_minute: 1_000_000,
        global_rate_per_minute: 1_000_000,
        ..ExecutorConfig::default()
    }
}

pub fn statuses(v: &[Execution]) -> Vec<ExecutionStatus> {
    v.iter().map(|e| e.status).collect()
}

pub fn instants(v: &[Execution]) -> Vec<DateTime<Utc>> {
    v.iter().map(|e| e.scheduled_for).collect()
}

pub fn is_final(s: &Schedule) -> bool {
    matches!(
        s.status(),
        ScheduleStatus::Completed | ScheduleStatus::Cancelled
    )
}
