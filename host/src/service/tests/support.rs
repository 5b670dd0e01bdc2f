//! What the service tests share: a `Scheduler` over a fresh `Store` in a temporary directory
//! with a `ManualClock`, the built-in plugins loaded once per test process, and request
//! builders.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::ManualClock;
use crate::executor::claim_due;
use crate::jobsystem::Unavailable;
use crate::model::{Execution, ScheduleType, UserId};
use crate::plugins::{PluginHost, PluginHostConfig};
use crate::recurrence::{RecurrenceRule, parse_rrule};
use crate::service::{DraftParts, Scheduler};
use crate::store::{Storage, Store};

/// A config the built-in `export` plugin accepts.
pub fn export_config() -> Value {
    json!({"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"})
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// The built-in plugins, compiled once per process: compiling six components takes seconds,
/// and the service only needs them to judge job configs. They are loaded on a runtime of their
/// own because each test's runtime ends with its test; the host keeps no tie to it. The
/// compiled components are cached on disk across runs, as the benchmarks do.
fn plugins() -> PluginHost {
    static HOST: OnceLock<PluginHost> = OnceLock::new();
    HOST.get_or_init(|| {
        std::thread::spawn(|| {
            let config = PluginHostConfig {
                cache_dir: Some(std::env::temp_dir().join("sgsched-test-plugin-cache")),
                ..PluginHostConfig::default()
            };
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to load the plugins on")
                .block_on(PluginHost::load(config, Arc::new(Unavailable)))
                .expect("the built-in plugins load")
        })
        .join()
        .expect("the plugin loader thread")
    })
    .clone()
}

/// A directory for one test's database. tmpfs where the machine has it: every write is a
/// durable commit, and an fsync to disk per step would make the lifecycle property test
/// take minutes instead of seconds.
fn data_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("a temporary directory")
}

/// One scheduler on its own store, its clock, and a user of its own.
pub struct Env {
    pub sched: Scheduler,
    pub clock: Arc<ManualClock>,
    pub user: UserId,
    // Dropped last: the store's files live here.
    _dir: tempfile::TempDir,
}

impl Env {
    pub fn new(start: DateTime<Utc>) -> Env {
        let dir = data_dir();
        let store = Store::open(&dir.path().join("sgsched.redb")).expect("open the store");
        let storage: Arc<dyn Storage> = Arc::new(store);
        let clock = Arc::new(ManualClock::new(start));
        let sched = Scheduler::new(storage, plugins(), clock.clone());
        Env {
            sched,
            clock,
            user: Uuid::now_v7(),
            _dir: dir,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.sched.now()
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    /// What the executor's claimer does when it wakes: claim everything due now.
    pub async fn claim(&self) -> Vec<Execution> {
        claim_due(&self.sched, 10_000, None).await.expect("claim")
    }

    /// Every execution of a schedule, oldest `scheduled_for` first.
    pub async fn runs(&self, id: Uuid) -> Vec<Execution> {
        let mut v = self
            .sched
            .storage()
            .executions(id, None, None, 100_000)
            .await
            .expect("read executions");
        v.reverse();
        v
    }
}

/// A create request for an `export` once at `at`.
pub fn once(at: DateTime<Utc>) -> DraftParts {
    DraftParts {
        name: Some("once".into()),
        job_type: Some("export".into()),
        job_config: Some(export_config()),
        schedule_type: Some(ScheduleType::Once),
        scheduled_at: Some(at),
        ..DraftParts::default()
    }
}

/// A create request for an `export` on an RRULE text in `tz`.
pub fn recurring(rrule: &str, tz: Tz) -> DraftParts {
    DraftParts {
        name: Some("recurring".into()),
        job_type: Some("export".into()),
        job_config: Some(export_config()),
        schedule_type: Some(ScheduleType::Recurring),
        recurrence_rule: Some(rule(rrule)),
        timezone: Some(tz),
        ..DraftParts::default()
    }
}

pub fn rule(rrule: &str) -> RecurrenceRule {
    parse_rrule(rrule).expect("a valid RRULE").0
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
