//! A database file of format 1 committed beside the tests (`host/tests/data/format-1.redb`)
//! and opened by today's code: every record in it reads back exactly, through the point reads
//! and the indexes, so a change to the codec, the record shapes or the key encoding that would
//! misread a user's existing database fails here.
//!
//! How the file was made: `write_format_file` below, an `#[ignore]`d test, writes `contents()`
//! through `Store` (the writer, its index maintenance, `put_token`) into
//! `host/tests/data/format-<DB_FORMAT>.redb`, then compacts it:
//!
//! ```text
//! CARGO_TARGET_DIR=target cargo test -p sgsched --lib store::committed_format::write_format_file -- --ignored
//! ```
//!
//! A file, once committed, is never rewritten: a build with a new `DB_FORMAT` writes a new
//! file with that number beside it, and the old file's test stays (it then checks the upgrade).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use super::format::{DB_FORMAT, stored_format};
use super::prelude::*;
use super::{ScheduleFilter, Store, WriteSet};
use crate::model::{
    Execution, ExecutionStatus, JobState, Lifecycle, LocalJobRecord, MissedPolicy, OverlapPolicy,
    Priority, RunStats, Schedule, ScheduleKind, ScheduleStatus, Series, SeriesStatus, SkipReason,
    fixtures,
};
use crate::recurrence::{Frequency, RecurrenceRule, TimeOfDay};

/// The committed file this module reads, and the format it was written in.
const FILE: &str = "format-1.redb";
const FILE_FORMAT: u64 = 1;

const USER: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000001);
const TOKEN: [u8; 32] = [7; 32];

const ONCE: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000011);
const DAILY: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000012);
const PAUSED: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000013);
const CANCELLED: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000014);
const EPISODE_1: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000015);
const EPISODE_2: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000016);
const SERIES: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000021);

const RUN_OK: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000031);
const RUN_FAILED: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000032);
const RUN_PENDING: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000033);
const RUN_SKIPPED: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000034);
const RUN_EPISODE: Uuid = Uuid::from_u128(0x0193a1b2_0000_7000_8000_000000000035);

const JOB: &str = "0193a1b2-0000-7000-8000-0000000000a1";

/// 1 March 2026 plus `minutes`.
fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn schedule(id: Uuid, name: &str, kind: ScheduleKind, tz: chrono_tz::Tz) -> Schedule {
    let mut s = fixtures::schedule(USER, t(0))
        .id(id)
        .name(name)
        .job(
            "export",
            json!({"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"}),
        )
        .timezone(tz)
        .next_run(None)
        .build();
    s.kind = kind;
    s
}

fn daily_0900() -> RecurrenceRule {
    let mut r = RecurrenceRule::new(Frequency::Daily, TimeOfDay::new(9, 0).unwrap());
    r.start_date = NaiveDate::from_ymd_opt(2026, 3, 1);
    r
}

fn run(id: Uuid, s: &Schedule, at: DateTime<Utc>, status: ExecutionStatus) -> Execution {
    let mut e = fixtures::execution(s, at, status);
    e.id = id;
    e
}

/// Everything in the file.
struct Contents {
    schedules: Vec<Schedule>,
    executions: Vec<Execution>,
    series: Series,
    job: LocalJobRecord,
}

fn contents() -> Contents {
    let once = {
        let mut s = schedule(
            ONCE,
            "launch",
            ScheduleKind::Once {
                at: t(60 * 24 * 31),
            },
            chrono_tz::UTC,
        );
        s.settle(Some(t(60 * 24 * 31)));
        s.description = Some("the April export".into());
        s
    };
    // Ran on 2 and 3 March at 09:00 Berlin (08:00Z): one completed, one failed; the 4 March
    // run is claimed and pending; next is 5 March.
    let daily = {
        let mut s = schedule(
            DAILY,
            "daily",
            ScheduleKind::Recurring { rule: daily_0900() },
            chrono_tz::Europe::Berlin,
        );
        s.priority = Priority::High;
        s.max_runs = Some(10);
        s.missed_policy = MissedPolicy::RunLatest;
        s.overlap_policy = OverlapPolicy::Queue;
        s.life = Lifecycle::restore(
            ScheduleStatus::Active,
            Some(t(4 * 1440 - 240)),
            None,
            3,
            Some(t(3 * 1440 - 240)),
            t(3 * 1440 - 240),
            7,
        );
        s.stats = RunStats {
            completed: 1,
            failed: 1,
            skipped: 0,
            total_duration_ms: 4_500,
            failure_streak: 1,
            last_error: Some("render farm unreachable".into()),
        };
        s
    };
    // Every 6 hours from 00:15 New York (05:15Z in winter): the 17:15Z run was missed while
    // the server was down, recorded at 18:40Z; paused at 19:00Z, next would be 23:15Z.
    let paused = {
        let mut r = RecurrenceRule::new(Frequency::Hourly, TimeOfDay::new(0, 15).unwrap());
        r.interval = 6;
        r.start_date = NaiveDate::from_ymd_opt(2026, 3, 1);
        let mut s = schedule(
            PAUSED,
            "six-hourly",
            ScheduleKind::Recurring { rule: r },
            chrono_tz::America::New_York,
        );
        s.priority = Priority::Low;
        s.life = Lifecycle::restore(
            ScheduleStatus::Paused,
            Some(t(675)),
            Some(t(420)),
            0,
            None,
            t(420),
            3,
        );
        s.stats.skipped = 1;
        s
    };
    let cancelled = {
        let mut s = schedule(
            CANCELLED,
            "dropped",
            ScheduleKind::Once { at: t(120) },
            chrono_tz::Asia::Tokyo,
        );
        s.cancel(t(10)).unwrap();
        s
    };
    let episode = |id, n: u32, at: DateTime<Utc>| {
        let mut s = schedule(id, "pilot", ScheduleKind::Once { at }, chrono_tz::UTC);
        s.series_id = Some(SERIES);
        s.episode = Some(n);
        s.priority = Priority::Urgent;
        s
    };
    let ep1 = {
        let mut s = episode(EPISODE_1, 1, t(1440 - 180));
        s.record_run(t(1440 - 180));
        s.settle(None);
        s.touch(t(1440 - 180));
        s.stats = RunStats {
            completed: 1,
            total_duration_ms: 61_000,
            ..RunStats::default()
        };
        s
    };
    let ep2 = {
        let mut s = episode(EPISODE_2, 2, t(2 * 1440 - 180));
        s.settle(Some(t(2 * 1440 - 180)));
        s
    };

    let ok = {
        let mut e = run(RUN_OK, &daily, t(1440 - 240), ExecutionStatus::Completed);
        e.attempt = 1;
        e.job_id = Some(JOB.into());
        e.started_at = Some(t(1440 - 240) + Duration::seconds(2));
        e.completed_at = Some(t(1440 - 240) + Duration::seconds(5));
        e.result_summary = Some(json!({"url": "https://example.invalid/a.mp4", "bytes": 1048576}));
        e
    };
    let failed = {
        let mut e = run(
            RUN_FAILED,
            &daily,
            t(2 * 1440 - 240),
            ExecutionStatus::Failed,
        );
        e.attempt = 3;
        e.started_at = Some(t(2 * 1440 - 240) + Duration::seconds(1));
        e.completed_at = Some(t(2 * 1440 - 240) + Duration::milliseconds(2_500));
        e.error_message = Some("render farm unreachable".into());
        e
    };
    let pending = run(
        RUN_PENDING,
        &daily,
        t(3 * 1440 - 240),
        ExecutionStatus::Pending,
    );
    let skipped = {
        let mut e = run(RUN_SKIPPED, &paused, t(315), ExecutionStatus::Skipped);
        e.counts_toward_max_runs = false;
        e.completed_at = Some(t(400));
        e.error_message = Some(SkipReason::Missed.message().into());
        e.skip_reason = Some(SkipReason::Missed);
        e.created_at = t(400);
        e
    };
    let episode_run = {
        let mut e = run(RUN_EPISODE, &ep1, t(1440 - 180), ExecutionStatus::Completed);
        e.started_at = Some(t(1440 - 180));
        e.completed_at = Some(t(1440 - 179) + Duration::seconds(1));
        e
    };

    let series = Series {
        id: SERIES,
        user_id: USER,
        name: "pilot season".into(),
        template_id: Some(Uuid::from_u128(0x0193a1b2_0000_7000_8000_0000000000f1)),
        episode_count: 2,
        schedule_rule: {
            let mut r = RecurrenceRule::new(Frequency::Daily, TimeOfDay::new(9, 0).unwrap());
            r.start_date = NaiveDate::from_ymd_opt(2026, 3, 2);
            r
        },
        timezone: chrono_tz::UTC,
        job_type: "export".into(),
        job_config: json!({"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"}),
        current_episode: 2,
        status: SeriesStatus::Active,
        schedule_ids: vec![EPISODE_1, EPISODE_2],
        created_at: t(0),
        updated_at: t(1440 - 179),
    };
    let job = LocalJobRecord {
        job_id: JOB.into(),
        user_id: USER.to_string(),
        job_type: "export".into(),
        payload: json!({"execution_id": RUN_OK.to_string(), "format": "mp4"}),
        idempotency_key: RUN_OK.to_string(),
        state: JobState::Succeeded,
        result: Some(json!({"url": "https://example.invalid/a.mp4"})),
        error: None,
        created_at: t(1440 - 240) + Duration::seconds(3),
    };
    Contents {
        schedules: vec![once, daily, paused, cancelled, ep1, ep2],
        executions: vec![ok, failed, pending, skipped, episode_run],
        series,
        job,
    }
}

/// The generator (see the header); not a test of anything, so ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes host/tests/data/format-<DB_FORMAT>.redb; run by hand for a new format"]
async fn write_format_file() {
    let path = data_file(&format!("format-{DB_FORMAT}.redb"));
    assert!(
        !path.exists(),
        "{} exists: a committed format file is never rewritten",
        path.display()
    );
    let c = contents();
    {
        let store = Store::open(&path).unwrap();
        store
            .write(Box::new(move |_| {
                Ok(WriteSet {
                    put_schedules: c.schedules.clone(),
                    put_executions: c.executions.clone(),
                    put_series: vec![c.series.clone()],
                    put_local_jobs: vec![c.job.clone()],
                    ..WriteSet::default()
                })
            }))
            .await
            .unwrap();
        store.put_token(TOKEN, USER).await.unwrap();
    }
    // The store's threads let go of the file when its last clone is gone; wait for that, then
    // compact, so the committed file holds the records and not redb's preallocated space.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut db = loop {
        match redb::Database::open(&path) {
            Ok(db) => break db,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("reopen {}: {e}", path.display()),
        }
    };
    db.compact().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_format_1_file_reads_back_exactly() {
    // A copy: opening writes (the format check's transaction), and the committed file must
    // stay as it was made.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgsched.redb");
    std::fs::copy(data_file(FILE), &path).unwrap();
    assert_eq!(
        stored_format(&redb::Database::open(&path).unwrap()).unwrap(),
        FILE_FORMAT
    );

    let store = Store::open(&path).unwrap();
    let c = contents();

    // Each record, whole, and the fields a misread would most likely garble, spelled out.
    for s in &c.schedules {
        assert_eq!(store.schedule(USER, s.id).await.unwrap().as_ref(), Some(s));
    }
    let get = |id| {
        let store = store.clone();
        async move { store.schedule(USER, id).await.unwrap().unwrap() }
    };
    let daily = get(DAILY).await;
    assert_eq!(
        (
            daily.status(),
            daily.next_run_at(),
            daily.last_run_at(),
            daily.run_count(),
            daily.max_runs,
            daily.revision()
        ),
        (
            ScheduleStatus::Active,
            Some(Utc.with_ymd_and_hms(2026, 3, 5, 8, 0, 0).unwrap()),
            Some(Utc.with_ymd_and_hms(2026, 3, 4, 8, 0, 0).unwrap()),
            3,
            Some(10),
            7
        )
    );
    assert_eq!(daily.kind, ScheduleKind::Recurring { rule: daily_0900() });
    assert_eq!(daily.timezone, chrono_tz::Europe::Berlin);
    assert_eq!(
        (
            daily.stats.completed,
            daily.stats.failed,
            daily.stats.total_duration_ms
        ),
        (1, 1, 4_500)
    );
    let paused = get(PAUSED).await;
    assert_eq!(
        (paused.status(), paused.paused_at(), paused.next_run_at()),
        (
            ScheduleStatus::Paused,
            Some(Utc.with_ymd_and_hms(2026, 3, 1, 19, 0, 0).unwrap()),
            Some(Utc.with_ymd_and_hms(2026, 3, 1, 23, 15, 0).unwrap())
        )
    );
    let cancelled = get(CANCELLED).await;
    assert_eq!(
        (
            cancelled.status(),
            cancelled.next_run_at(),
            cancelled.timezone
        ),
        (ScheduleStatus::Cancelled, None, chrono_tz::Asia::Tokyo)
    );
    let ep1 = get(EPISODE_1).await;
    assert_eq!(
        (ep1.status(), ep1.series_id, ep1.episode, ep1.run_count()),
        (ScheduleStatus::Completed, Some(SERIES), Some(1), 1)
    );
    assert_eq!(
        get(ONCE).await.kind,
        ScheduleKind::Once {
            at: Utc.with_ymd_and_hms(2026, 4, 1, 12, 0, 0).unwrap()
        }
    );

    for e in &c.executions {
        assert_eq!(store.execution(USER, e.id).await.unwrap().as_ref(), Some(e));
    }
    let statuses: Vec<_> = store
        .executions(DAILY, None, None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| (e.id, e.status, e.scheduled_for))
        .collect();
    assert_eq!(
        statuses,
        [
            (RUN_PENDING, ExecutionStatus::Pending, t(3 * 1440 - 240)),
            (RUN_FAILED, ExecutionStatus::Failed, t(2 * 1440 - 240)),
            (RUN_OK, ExecutionStatus::Completed, t(1440 - 240)),
        ]
    );
    let skipped = store.execution(USER, RUN_SKIPPED).await.unwrap().unwrap();
    assert_eq!(
        (
            skipped.status,
            skipped.skip_reason,
            skipped.counts_toward_max_runs
        ),
        (ExecutionStatus::Skipped, Some(SkipReason::Missed), false)
    );
    assert_eq!(
        store
            .execution(USER, RUN_FAILED)
            .await
            .unwrap()
            .unwrap()
            .error_message
            .as_deref(),
        Some("render farm unreachable")
    );

    // The indexes: by status, by next run, by user.
    let pending = store
        .executions_with_status(ExecutionStatus::Pending, 10)
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|e| e.id).collect::<Vec<_>>(),
        [RUN_PENDING]
    );
    let listed: Vec<_> = store
        .list_schedules(USER, ScheduleFilter::default(), None, 10)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        listed,
        [ONCE, DAILY, PAUSED, CANCELLED, EPISODE_1, EPISODE_2]
    );
    let paused_only = ScheduleFilter {
        status: Some(ScheduleStatus::Paused),
        ..ScheduleFilter::default()
    };
    let listed = store
        .list_schedules(USER, paused_only, None, 10)
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [PAUSED]);
    let due = store.due(t(4 * 1440), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|s| s.id).collect::<Vec<_>>(),
        [EPISODE_2, DAILY]
    );
    assert_eq!(store.next_due_at().await.unwrap(), Some(t(2 * 1440 - 180)));

    assert_eq!(store.series(USER, SERIES).await.unwrap(), Some(c.series));
    assert_eq!(store.token_user(TOKEN).await.unwrap(), Some(USER));
    assert_eq!(store.token_user([8; 32]).await.unwrap(), None);
    assert_eq!(
        store.local_job(JOB.into()).await.unwrap(),
        Some(c.job.clone())
    );
    assert_eq!(store.local_jobs(None, None, 10).await.unwrap(), [c.job]);

    // Nothing of another user's shows.
    let stranger = Uuid::from_u128(2);
    assert_eq!(store.schedule(stranger, DAILY).await.unwrap(), None);
    assert_eq!(store.series(stranger, SERIES).await.unwrap(), None);
    drop(store);
    assert_eq!(
        stored_format(&redb::Database::open(&path).unwrap()).unwrap(),
        DB_FORMAT
    );
}
