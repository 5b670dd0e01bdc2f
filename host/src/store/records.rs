//! The stored shape of schedules and series. The domain types carry a typed zone and one enum
//! for once-vs-recurring; the records keep the flat JSON that every database written so far
//! holds (`schedule_type`, `scheduled_at`, `recurrence_rule`, `timezone` as a zone name), so
//! nothing needs upgrading, and the index readers (`keys::ScheduleKeys`) still decode a part.
//! A record that does not make a valid schedule is corrupt, never silently repaired.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

use crate::model::{
    Lifecycle, MissedPolicy, OverlapPolicy, Priority, RunStats, Schedule, ScheduleKind,
    ScheduleStatus, ScheduleType, Series, SeriesStatus,
};
use crate::recurrence::RecurrenceRule;

#[derive(Serialize, Deserialize)]
struct ScheduleRecord<'a> {
    id: Uuid,
    user_id: Uuid,
    name: Cow<'a, str>,
    description: Option<Cow<'a, str>>,
    job_type: Cow<'a, str>,
    job_config: Cow<'a, Value>,
    schedule_type: ScheduleType,
    scheduled_at: Option<DateTime<Utc>>,
    recurrence_rule: Option<Cow<'a, RecurrenceRule>>,
    timezone: Cow<'a, str>,
    status: ScheduleStatus,
    priority: Priority,
    next_run_at: Option<DateTime<Utc>>,
    last_run_at: Option<DateTime<Utc>>,
    run_count: u32,
    max_runs: Option<u32>,
    missed_policy: MissedPolicy,
    overlap_policy: OverlapPolicy,
    series_id: Option<Uuid>,
    episode: Option<u32>,
    paused_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revision: u64,
    #[serde(default)]
    stats: Cow<'a, RunStats>,
}

fn zone<E: serde::de::Error>(name: &str) -> Result<Tz, E> {
    name.parse::<Tz>()
        .map_err(|_| E::custom(format!("unknown timezone {name:?}")))
}

impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (scheduled_at, rule) = match &self.kind {
            ScheduleKind::Once { at } => (Some(*at), None),
            ScheduleKind::Recurring { rule } => (None, Some(Cow::Borrowed(rule))),
        };
        ScheduleRecord {
            id: self.id,
            user_id: self.user_id,
            name: Cow::Borrowed(&self.name),
            description: self.description.as_deref().map(Cow::Borrowed),
            job_type: Cow::Borrowed(&self.job_type),
            job_config: Cow::Borrowed(&self.job_config),
            schedule_type: self.schedule_type(),
            scheduled_at,
            recurrence_rule: rule,
            timezone: Cow::Borrowed(self.timezone.name()),
            status: self.status(),
            priority: self.priority,
            next_run_at: self.next_run_at(),
            last_run_at: self.last_run_at(),
            run_count: self.run_count(),
            max_runs: self.max_runs,
            missed_policy: self.missed_policy,
            overlap_policy: self.overlap_policy,
            series_id: self.series_id,
            episode: self.episode,
            paused_at: self.paused_at(),
            created_at: self.created_at,
            updated_at: self.updated_at(),
            revision: self.revision(),
            stats: Cow::Borrowed(&self.stats),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = ScheduleRecord::deserialize(deserializer)?;
        let kind = match (r.schedule_type, r.scheduled_at, r.recurrence_rule) {
            (ScheduleType::Once, Some(at), _) => ScheduleKind::Once { at },
            (ScheduleType::Recurring, _, Some(rule)) => ScheduleKind::Recurring {
                rule: rule.into_owned(),
            },
            (t, _, _) => {
                return Err(D::Error::custom(format!(
                    "a {t} schedule without its {}",
                    match t {
                        ScheduleType::Once => "scheduled_at",
                        ScheduleType::Recurring => "recurrence_rule",
                    }
                )));
            }
        };
        Ok(Schedule {
            id: r.id,
            user_id: r.user_id,
            name: r.name.into_owned(),
            description: r.description.map(Cow::into_owned),
            job_type: r.job_type.into_owned(),
            job_config: r.job_config.into_owned(),
            kind,
            timezone: zone(&r.timezone)?,
            priority: r.priority,
            max_runs: r.max_runs,
            missed_policy: r.missed_policy,
            overlap_policy: r.overlap_policy,
            series_id: r.series_id,
            episode: r.episode,
            created_at: r.created_at,
            stats: r.stats.into_owned(),
            life: Lifecycle::restore(
                r.status,
                r.next_run_at,
                r.paused_at,
                r.run_count,
                r.last_run_at,
                r.updated_at,
                r.revision,
            ),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct SeriesRecord<'a> {
    id: Uuid,
    user_id: Uuid,
    name: Cow<'a, str>,
    template_id: Option<Uuid>,
    episode_count: u32,
    schedule_rule: Cow<'a, RecurrenceRule>,
    timezone: Cow<'a, str>,
    job_type: Cow<'a, str>,
    job_config: Cow<'a, Value>,
    current_episode: u32,
    status: SeriesStatus,
    schedule_ids: Cow<'a, [Uuid]>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Serialize for Series {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SeriesRecord {
            id: self.id,
            user_id: self.user_id,
            name: Cow::Borrowed(&self.name),
            template_id: self.template_id,
            episode_count: self.episode_count,
            schedule_rule: Cow::Borrowed(&self.schedule_rule),
            timezone: Cow::Borrowed(self.timezone.name()),
            job_type: Cow::Borrowed(&self.job_type),
            job_config: Cow::Borrowed(&self.job_config),
            current_episode: self.current_episode,
            status: self.status,
            schedule_ids: Cow::Borrowed(&self.schedule_ids),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Series {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = SeriesRecord::deserialize(deserializer)?;
        Ok(Series {
            id: r.id,
            user_id: r.user_id,
            name: r.name.into_owned(),
            template_id: r.template_id,
            episode_count: r.episode_count,
            schedule_rule: r.schedule_rule.into_owned(),
            timezone: zone(&r.timezone)?,
            job_type: r.job_type.into_owned(),
            job_config: r.job_config.into_owned(),
            current_episode: r.current_episode,
            status: r.status,
            schedule_ids: r.schedule_ids.into_owned(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use crate::model::fixtures;
    use crate::recurrence::{Frequency, RecurrenceRule, TimeOfDay};

    use super::*;

    /// The bytes today's records hold, written by the flat `Schedule` of before the kind enum.
    const STORED_ONCE: &str = r#"{"id":"0193a1b2-0000-7000-8000-000000000002","user_id":"0193a1b2-0000-7000-8000-000000000001","name":"n","description":null,"job_type":"export","job_config":{"format":"mp4"},"schedule_type":"once","scheduled_at":"2026-03-01T12:00:00Z","recurrence_rule":null,"timezone":"Europe/Berlin","status":"active","priority":"normal","next_run_at":"2026-03-01T12:00:00Z","last_run_at":null,"run_count":0,"max_runs":null,"missed_policy":"skip","overlap_policy":"skip","series_id":null,"episode":null,"paused_at":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","revision":1,"stats":{"completed":0,"failed":0,"skipped":0,"total_duration_ms":0,"failure_streak":0,"last_error":null}}"#;

    #[test]
    fn records_of_before_read_and_write_back_byte_for_byte() {
        let s: Schedule = serde_json::from_str(STORED_ONCE).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(s.kind, ScheduleKind::Once { at });
        assert_eq!(s.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(serde_json::to_string(&s).unwrap(), STORED_ONCE);
    }

    #[test]
    fn recurring_schedules_round_trip() {
        let rule = RecurrenceRule::new(Frequency::Daily, TimeOfDay::new(2, 30).unwrap());
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let s = fixtures::schedule(Uuid::nil(), at)
            .recurring(rule, chrono_tz::Australia::Lord_Howe)
            .build();
        let back: Schedule = serde_json::from_slice(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn a_record_that_is_no_valid_schedule_is_refused() {
        let no_rule = STORED_ONCE.replace(
            r#""schedule_type":"once""#,
            r#""schedule_type":"recurring""#,
        );
        let e = serde_json::from_str::<Schedule>(&no_rule).unwrap_err();
        assert!(
            e.to_string()
                .contains("recurring schedule without its recurrence_rule"),
            "{e}"
        );
        let bad_zone = STORED_ONCE.replace("Europe/Berlin", "Mars/Olympus");
        let e = serde_json::from_str::<Schedule>(&bad_zone).unwrap_err();
        assert!(
            e.to_string().contains("unknown timezone \"Mars/Olympus\""),
            "{e}"
        );
    }
}
