//! The JSON shapes of schedules and executions as clients see them: instants in UTC and, with
//! the schedule's timezone, as local time with its offset.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;

use crate::model::{Execution, Schedule, ScheduleKind};
use crate::recurrence::RecurrenceRule;
use crate::timezone::{format_local, format_utc, utc_to_local};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub schedule_id: String,
    pub name: String,
    pub description: Option<String>,
    pub job_type: String,
    pub job_config: Value,
    #[schema(value_type = crate::model::ScheduleType)]
    pub schedule_type: &'static str,
    pub scheduled_at: Option<String>,
    pub scheduled_at_local: Option<String>,
    /// Serialized as stored (the rule's own serde shape), without a `Value` in between.
    #[schema(value_type = Option<crate::api::openapi::types::RecurrenceRuleSchema>)]
    pub recurrence_rule: Option<RecurrenceRule>,
    /// The rule as RFC 5545 text.
    pub rrule: Option<String>,
    pub timezone: String,
    /// A recurring schedule's DST handling (its rule's `dst_policy`); null for once.
    #[schema(value_type = Option<crate::api::openapi::types::DstPolicySchema>)]
    pub dst_policy: Option<Value>,
    #[schema(value_type = crate::model::ScheduleStatus)]
    pub status: &'static str,
    #[schema(value_type = crate::model::Priority)]
    pub priority: &'static str,
    pub next_run_at: Option<String>,
    pub next_run_at_local: Option<String>,
    pub last_run_at: Option<String>,
    pub last_run_at_local: Option<String>,
    pub run_count: u32,
    pub max_runs: Option<u32>,
    #[schema(value_type = crate::model::MissedPolicy)]
    pub missed_policy: &'static str,
    #[schema(value_type = crate::model::OverlapPolicy)]
    pub overlap_policy: &'static str,
    pub series_id: Option<String>,
    pub episode: Option<u32>,
    pub created_at: String,
    pub updated_at: String,
    /// Completed over finished (completed + failed) runs, in percent; null before any.
    pub success_rate: Option<f64>,
    pub average_duration_ms: Option<u64>,
    pub completed_runs: u32,
    pub failed_runs: u32,
    pub skipped_runs: u32,
    /// Consecutive failed runs up to now.
    pub failure_streak: u32,
    pub last_error: Option<String>,
    /// Seconds until `next_run_at` (negative when overdue); null without a next run.
    pub next_run_in_seconds: Option<i64>,
    /// The latest runs, newest first (single-schedule reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_executions: Option<Vec<ExecutionView>>,
}

/// A DST policy with both its parts spelled out (stored rules leave the defaults out).
pub(crate) fn dst_policy_json(p: crate::recurrence::DstPolicy) -> Value {
    serde_json::json!({"gap": p.gap, "overlap": p.overlap})
}

fn pair(at: Option<DateTime<Utc>>, tz: Tz) -> (Option<String>, Option<String>) {
    (
        at.map(format_utc),
        at.map(|t| format_local(utc_to_local(&tz, t))),
    )
}

impl ScheduleView {
    pub fn new(s: &Schedule, now: DateTime<Utc>) -> Self {
        Self::from_owned(s.clone(), now)
    }

    /// The view of a schedule the caller no longer needs: its strings and config move into
    /// the view instead of being copied (the single-schedule read renders this way).
    pub fn from_owned(s: Schedule, now: DateTime<Utc>) -> Self {
        let tz = s.timezone;
        let schedule_type = s.schedule_type().as_str();
        let (status, run_count, updated_at, next) =
            (s.status(), s.run_count(), s.updated_at(), s.next_run_at());
        let (next_run_at, next_run_at_local) = pair(next, tz);
        let (last_run_at, last_run_at_local) = pair(s.last_run_at(), tz);
        let (at, rule) = match s.kind {
            ScheduleKind::Once { at } => (Some(at), None),
            ScheduleKind::Recurring { rule } => (None, Some(rule)),
        };
        let rrule = rule.as_ref().map(|r| crate::recurrence::to_rrule(r, tz));
        let dst_policy = rule.as_ref().map(|r| dst_policy_json(r.dst_policy));
        let (scheduled_at, scheduled_at_local) = pair(at, tz);
        Self {
            schedule_id: s.id.to_string(),
            name: s.name,
            description: s.description,
            job_type: s.job_type,
            job_config: s.job_config,
            schedule_type,
            scheduled_at,
            scheduled_at_local,
            recurrence_rule: rule,
            rrule,
            timezone: tz.name().to_string(),
            dst_policy,
            status: status.as_str(),
            priority: s.priority.as_str(),
            next_run_at,
            next_run_at_local,
            last_run_at,
            last_run_at_local,
            run_count,
            max_runs: s.max_runs,
            missed_policy: s.missed_policy.as_str(),
            overlap_policy: s.overlap_policy.as_str(),
            series_id: s.series_id.map(|i| i.to_string()),
            episode: s.episode,
            created_at: format_utc(s.created_at),
            updated_at: format_utc(updated_at),
            success_rate: s.stats.success_rate().map(|r| (r * 100.0).round() / 100.0),
            average_duration_ms: s.stats.average_duration_ms(),
            completed_runs: s.stats.completed,
            failed_runs: s.stats.failed,
            skipped_runs: s.stats.skipped,
            failure_streak: s.stats.failure_streak,
            last_error: s.stats.last_error,
            next_run_in_seconds: next.map(|t| (t - now).num_seconds()),
            recent_executions: None,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExecutionView {
    pub execution_id: String,
    pub schedule_id: String,
    pub job_id: Option<String>,
    #[schema(value_type = crate::model::ExecutionStatus)]
    pub status: &'static str,
    pub scheduled_for: String,
    pub scheduled_for_local: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub is_manual: bool,
    pub counts_toward_max_runs: bool,
    pub attempt: u32,
    pub error_message: Option<String>,
    /// Why a skipped occurrence did not run; `null` unless `status` is `skipped`.
    #[schema(value_type = Option<crate::model::SkipReason>)]
    pub skip_reason: Option<&'static str>,
    pub result_summary: Option<Value>,
    pub episode: Option<u32>,
    pub created_at: String,
}

impl ExecutionView {
    pub fn new(e: &Execution, tz: Tz) -> Self {
        Self {
            execution_id: e.id.to_string(),
            schedule_id: e.schedule_id.to_string(),
            job_id: e.job_id.clone(),
            status: e.status.as_str(),
            scheduled_for: format_utc(e.scheduled_for),
            scheduled_for_local: format_local(utc_to_local(&tz, e.scheduled_for)),
            started_at: e.started_at.map(format_utc),
            completed_at: e.completed_at.map(format_utc),
            duration_ms: match (e.started_at, e.completed_at) {
                (Some(a), Some(b)) => Some((b - a).num_milliseconds()),
                _ => None,
            },
            is_manual: e.is_manual,
            counts_toward_max_runs: e.counts_toward_max_runs,
            attempt: e.attempt,
            error_message: e.error_message.clone(),
            skip_reason: e.skip_reason.map(|r| r.as_str()),
            result_summary: e.result_summary.clone(),
            episode: e.episode,
            created_at: format_utc(e.created_at),
        }
    }
}
