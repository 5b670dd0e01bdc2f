//! Alert conditions over a user's schedules (the brief's list): several consecutive failures,
//! long overdue, approaching `max_runs`, running longer than expected. Computed on demand from
//! the schedules' counters and the running executions; nothing to keep in sync.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::model::{Execution, Schedule, ScheduleStatus};

#[derive(Debug, Clone)]
pub struct AlertConfig {
    pub failure_streak: u32,
    pub overdue_after: Duration,
    /// Alert when this fraction of `max_runs` (or all but one run) is used.
    pub max_runs_fraction: f64,
    /// A run is too long past this multiple of its schedule's average duration...
    pub too_long_factor: f64,
    /// ...and never before this.
    pub too_long_min: Duration,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            failure_streak: 3,
            overdue_after: Duration::hours(1),
            max_runs_fraction: 0.9,
            too_long_factor: 3.0,
            too_long_min: Duration::seconds(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    ConsecutiveFailures,
    Overdue,
    ApproachingMaxRuns,
    RunningTooLong,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub schedule_id: String,
    pub schedule_name: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
}

fn alert(kind: AlertKind, s: &Schedule, message: String) -> Alert {
    Alert {
        kind,
        schedule_id: s.id.to_string(),
        schedule_name: s.name.clone(),
        message,
        execution_id: None,
    }
}

/// The alerts of `schedules`, given their running executions.
pub fn evaluate(
    config: &AlertConfig,
    schedules: &[Schedule],
    running: &[Execution],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for s in schedules {
        if s.stats.failure_streak >= config.failure_streak {
            let last = s.stats.last_error.as_deref().unwrap_or("unknown error");
            out.push(alert(
                AlertKind::ConsecutiveFailures,
                s,
                format!(
                    "{} consecutive failed runs; last error: {last}",
                    s.stats.failure_streak
                ),
            ));
        }
        if s.status() == ScheduleStatus::Active
            && let Some(at) = s.next_run_at()
            && now - at > config.overdue_after
        {
            out.push(alert(
                AlertKind::Overdue,
                s,
                format!(
                    "due at {} and not run for {} minutes",
                    at.to_rfc3339(),
                    (now - at).num_minutes()
                ),
            ));
        }
        if let Some(max) = s.max_runs
            && !s.status().is_final()
        {
            let left = max.saturating_sub(s.run_count());
            // Integer thresholds: 90% of 20 must be 18, not 17.999….
            let used = (f64::from(max) * config.max_runs_fraction - 1e-9).ceil() as u32;
            if s.run_count() >= used.min(max.saturating_sub(1)).max(1) {
                out.push(alert(
                    AlertKind::ApproachingMaxRuns,
                    s,
                    format!("{} of {max} runs used, {left} left", s.run_count()),
                ));
            }
        }
        for e in running.iter().filter(|e| e.schedule_id == s.id) {
            let Some(started) = e.started_at else {
                continue;
            };
            let expected = s
                .stats
                .average_duration_ms()
                .map(|ms| Duration::milliseconds((ms as f64 * config.too_long_factor) as i64))
                .unwrap_or(config.too_long_min)
                .max(config.too_long_min);
            if now - started > expected {
                let mut a = alert(
                    AlertKind::RunningTooLong,
                    s,
                    format!(
                        "running for {} s, expected at most {} s",
                        (now - started).num_seconds(),
                        expected.num_seconds()
                    ),
                );
                a.execution_id = Some(e.id.to_string());
                out.push(a);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Execution, ExecutionStatus, fixtures};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn schedule(name: &str) -> Schedule {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        fixtures::schedule(Uuid::nil(), t)
            .name(name)
            .next_run(None)
            .build()
    }

    #[test]
    fn each_condition_fires_at_its_threshold_and_not_before() {
        let now = Utc.with_ymd_and_hms(2026, 1, 2, 12, 0, 0).unwrap();
        let mut failing = schedule("failing");
        for _ in 0..2 {
            failing
                .stats
                .record(ExecutionStatus::Failed, Some(10), Some("boom"));
        }
        let mut failing3 = failing.clone();
        failing3.name = "failing3".into();
        failing3
            .stats
            .record(ExecutionStatus::Failed, Some(10), Some("boom"));
        let mut overdue = schedule("overdue");
        overdue.settle(Some(now - Duration::minutes(61)));
        let mut on_time = schedule("on_time");
        on_time.settle(Some(now - Duration::minutes(59)));
        let mut near_max = schedule("near_max");
        near_max.max_runs = Some(20);
        (0..18).for_each(|_| near_max.record_run(now));
        let mut not_near = schedule("not_near");
        not_near.max_runs = Some(20);
        (0..17).for_each(|_| not_near.record_run(now));
        let mut slow = schedule("slow");
        slow.stats
            .record(ExecutionStatus::Completed, Some(30_000), None);
        let mut running = Execution::pending(&slow, now, now, false, true);
        running.status = ExecutionStatus::Running;
        running.started_at = Some(now - Duration::seconds(91));
        let mut fine = running.clone();
        fine.started_at = Some(now - Duration::seconds(89));

        let all = [
            failing, failing3, overdue, on_time, near_max, not_near, slow,
        ];
        let got = evaluate(&AlertConfig::default(), &all, &[running, fine], now);
        let summary: Vec<(AlertKind, &str)> = got
            .iter()
            .map(|a| (a.kind.clone(), a.schedule_name.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (AlertKind::ConsecutiveFailures, "failing3"),
                (AlertKind::Overdue, "overdue"),
                (AlertKind::ApproachingMaxRuns, "near_max"),
                (AlertKind::RunningTooLong, "slow"),
            ]
        );
        assert_eq!(
            got[0].message,
            "3 consecutive failed runs; last error: boom"
        );
        assert_eq!(got[3].message, "running for 91 s, expected at most 90 s");
    }
}
