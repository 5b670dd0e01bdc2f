//! The create, update and clone bodies of `/v1/schedules`, read into the service's typed parts.

use serde_json::Value;

use crate::api::fields::Reader;
use crate::model::limits;
use crate::model::{MissedPolicy, OverlapPolicy, Priority, ScheduleType};
use crate::recurrence::FieldError;
use crate::service::{DraftParts, PatchParts, PreviewParts};

pub const CREATE_FIELDS: &[&str] = &[
    "name",
    "description",
    "job_type",
    "job_config",
    "schedule_type",
    "scheduled_at",
    "recurrence_rule",
    "dst_policy",
    "timezone",
    "priority",
    "max_runs",
    "missed_policy",
    "overlap_policy",
];

/// What may change on an existing schedule (the brief's modification table, plus the policies
/// and a once schedule's time).
const PATCH_FIELDS: &[&str] = &[
    "name",
    "description",
    "job_config",
    "scheduled_at",
    "recurrence_rule",
    "dst_policy",
    "timezone",
    "priority",
    "max_runs",
    "missed_policy",
    "overlap_policy",
];

pub const MAX_RUNS_LIMIT: u64 = 1_000_000;

pub fn create(body: &Value) -> (DraftParts, Vec<FieldError>) {
    let mut r = match Reader::new(body, "") {
        Ok(r) => r,
        Err(e) => {
            // One error for the body as a whole: its fields are not "missing" on top of it.
            let failed = CREATE_FIELDS.iter().map(|f| f.to_string()).collect();
            return (
                DraftParts {
                    failed,
                    ..DraftParts::default()
                },
                vec![e],
            );
        }
    };
    r.deny_unknown(CREATE_FIELDS);
    let timezone = r.timezone("timezone");
    let tz = timezone.unwrap_or(chrono_tz::UTC);
    let parts = DraftParts {
        name: r.string("name", 1, limits::NAME_MAX),
        description: r.string("description", 0, limits::DESCRIPTION_MAX),
        job_type: r.string("job_type", 1, limits::JOB_TYPE_MAX),
        job_config: r.value("job_config").cloned(),
        schedule_type: r.choice(
            "schedule_type",
            ScheduleType::parse,
            ScheduleType::choices(),
        ),
        scheduled_at: r.instant("scheduled_at", tz),
        recurrence_rule: r.rule("recurrence_rule"),
        dst_policy: r.dst_policy(),
        timezone,
        priority: r.choice("priority", Priority::parse, Priority::choices()),
        max_runs: r.uint("max_runs", 1, MAX_RUNS_LIMIT).map(|n| n as u32),
        missed_policy: r.choice(
            "missed_policy",
            MissedPolicy::parse,
            MissedPolicy::choices(),
        ),
        overlap_policy: r.choice(
            "overlap_policy",
            OverlapPolicy::parse,
            OverlapPolicy::choices(),
        ),
        failed: r.failed.clone(),
    };
    (parts, r.errors)
}

/// An update (or clone overrides). `tz` reads a local `scheduled_at` when no new timezone is
/// given. Fields that cannot change are named in the error.
pub fn patch(body: &Value, current_tz: chrono_tz::Tz) -> (PatchParts, Vec<FieldError>) {
    let mut r = match Reader::new(body, "") {
        Ok(r) => r,
        Err(e) => return (PatchParts::default(), vec![e]),
    };
    let fixed: Vec<String> = ["job_type", "schedule_type"]
        .iter()
        .filter(|f| r.has(f))
        .map(|f| f.to_string())
        .collect();
    let unknown: Vec<&str> = PATCH_FIELDS
        .iter()
        .chain(["job_type", "schedule_type"].iter())
        .copied()
        .collect();
    r.deny_unknown(&unknown);
    for f in fixed {
        r.errors.push(FieldError::new(
            f,
            "cannot be changed; clone the schedule instead",
        ));
    }
    let timezone = r.timezone("timezone");
    let tz = timezone.unwrap_or(current_tz);
    let nullable = |r: &Reader, f: &str| r.has(f) && r.value(f).is_none();
    let parts = PatchParts {
        name: r.string("name", 1, limits::NAME_MAX),
        description: if nullable(&r, "description") {
            Some(None)
        } else {
            r.string("description", 0, limits::DESCRIPTION_MAX)
                .map(Some)
        },
        job_config: r.value("job_config").cloned(),
        scheduled_at: r.instant("scheduled_at", tz),
        recurrence_rule: r.rule("recurrence_rule"),
        dst_policy: r.dst_policy(),
        timezone,
        priority: r.choice("priority", Priority::parse, Priority::choices()),
        max_runs: if nullable(&r, "max_runs") {
            Some(None)
        } else {
            r.uint("max_runs", 1, MAX_RUNS_LIMIT)
                .map(|n| Some(n as u32))
        },
        missed_policy: r.choice(
            "missed_policy",
            MissedPolicy::parse,
            MissedPolicy::choices(),
        ),
        overlap_policy: r.choice(
            "overlap_policy",
            OverlapPolicy::parse,
            OverlapPolicy::choices(),
        ),
    };
    (parts, r.errors)
}

const PREVIEW_FIELDS: &[&str] = &[
    "scheduled_at",
    "recurrence_rule",
    "dst_policy",
    "timezone",
    "count",
];

/// Runs a preview lists when `count` is not given, and at most.
pub const PREVIEW_COUNT: (u64, u64) = (10, 1000);

/// A `POST /v1/schedules/preview` body: the timing fields of a create, and how many runs.
pub fn preview(body: &Value) -> (PreviewParts, usize, Vec<FieldError>) {
    let mut r = match Reader::new(body, "") {
        Ok(r) => r,
        Err(e) => {
            let failed = PREVIEW_FIELDS.iter().map(|f| f.to_string()).collect();
            let parts = PreviewParts {
                failed,
                ..PreviewParts::default()
            };
            return (parts, 0, vec![e]);
        }
    };
    r.deny_unknown(PREVIEW_FIELDS);
    let timezone = r.timezone("timezone");
    let tz = timezone.unwrap_or(chrono_tz::UTC);
    let count = r
        .uint("count", 1, PREVIEW_COUNT.1)
        .unwrap_or(PREVIEW_COUNT.0) as usize;
    let parts = PreviewParts {
        scheduled_at: r.instant("scheduled_at", tz),
        recurrence_rule: r.rule("recurrence_rule"),
        dst_policy: r.dst_policy(),
        timezone,
        failed: r.failed.clone(),
    };
    (parts, count, r.errors)
}
