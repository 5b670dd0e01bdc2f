//! The public face of the engine: a rule compiled against a timezone and the holiday
//! calendars, answering "when next?" and listing occurrences from any instant.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::engine::Instant;
use super::exceptions::{Applied, Exceptions, Removal};
use super::holidays::HolidayCalendars;
use super::rule::{Exception, HolidayAction, RecurrenceRule};
use super::union::Schedule;
use super::validate::{FieldError, validate_rule};
use crate::timezone::resolve_local;

/// One run: the UTC instant and the same instant as local time with its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Occurrence {
    pub at: DateTime<Utc>,
    pub local: DateTime<FixedOffset>,
}

impl Occurrence {
    fn from_instant((secs, off): Instant) -> Option<Occurrence> {
        let at = DateTime::from_timestamp(secs, 0)?;
        let offset = FixedOffset::east_opt(off)?;
        Some(Occurrence {
            at,
            local: at.with_timezone(&offset),
        })
    }

    /// The `sgsched next` line: `2026-03-09T13:00:00Z 2026-03-09T09:00:00-04:00`.
    pub fn to_line(&self) -> String {
        crate::timezone::format_occurrence_line(self.at, self.local)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("invalid rule: {}", list(.0))]
    Invalid(Vec<FieldError>),
    /// The caller fills `start_date` in (the creation date) before compiling.
    #[error("the rule has no start_date")]
    MissingStartDate,
    #[error("exceptions[{index}]: unknown holiday calendar {name:?}")]
    UnknownCalendar { index: usize, name: String },
}

impl RuleError {
    /// The error as field errors under `path_prefix`, for an API response.
    pub fn field_errors(&self, path_prefix: &str) -> Vec<FieldError> {
        let at = |f: &str| {
            if path_prefix.is_empty() {
                f.to_string()
            } else {
                format!("{path_prefix}.{f}")
            }
        };
        match self {
            RuleError::Invalid(errors) => errors.clone(),
            RuleError::MissingStartDate => vec![FieldError::new(at("start_date"), "is required")],
            RuleError::UnknownCalendar { index, name } => vec![FieldError::new(
                at(&format!("exceptions[{index}].holiday_calendar")),
                format!("unknown holiday calendar {name:?}"),
            )],
        }
    }
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A rule compiled for one timezone: cheap to query, immutable, shareable across threads.
#[derive(Debug, Clone)]
pub struct Recurrence {
    pub(super) core: Schedule,
    pub(super) exceptions: Exceptions,
    /// The wall times as arithmetic sequences, when the rule is of that shape (see `spans`).
    pub(super) wall: Option<Vec<(i64, i64)>>,
}

impl Recurrence {
    pub fn new(
        rule: &RecurrenceRule,
        tz: Tz,
        calendars: &HolidayCalendars,
    ) -> Result<Recurrence, RuleError> {
        let errors = validate_rule(rule, "");
        if !errors.is_empty() {
            return Err(RuleError::Invalid(errors));
        }
        let start = rule.start_date.ok_or(RuleError::MissingStartDate)?;
        let core = Schedule::compile(rule, start, tz);
        let mut exceptions = Exceptions::default();
        for (index, e) in rule.exceptions.iter().enumerate() {
            match e {
                Exception::Skip(date) => exceptions.add_skip(*date),
                Exception::SkipAt(at) => exceptions.add_skip_at(&core, *at),
                Exception::Reschedule { date, to } => exceptions.add_reschedule(&core, *date, *to),
                Exception::Holidays { calendar, action } => {
                    let cal =
                        calendars
                            .get(calendar)
                            .ok_or_else(|| RuleError::UnknownCalendar {
                                index,
                                name: calendar.clone(),
                            })?;
                    exceptions.add_calendar(
                        calendar,
                        cal,
                        *action == HolidayAction::NextBusinessDay,
                    );
                }
            }
        }
        exceptions.finish();
        let wall = if exceptions.is_empty() {
            core.wall_sequences()
        } else {
            None
        };
        Ok(Recurrence {
            core,
            exceptions,
            wall,
        })
    }

    pub fn timezone(&self) -> Tz {
        self.core.tz
    }

    /// Whether the rule is of the shape [`Recurrence::spans`] covers (it may still refuse a
    /// window, for its zone).
    pub fn has_spans(&self) -> bool {
        self.wall.is_some()
    }

    /// The first occurrence strictly after `instant`.
    pub fn next_after(&self, instant: DateTime<Utc>) -> Option<Occurrence> {
        self.iter_from(instant).next()
    }

    /// Every occurrence strictly after `instant`, in increasing order.
    pub fn iter_from(&self, instant: DateTime<Utc>) -> impl Iterator<Item = Occurrence> + '_ {
        let after = instant.timestamp();
        let plain = self.exceptions.is_empty().then(|| self.core.cursor(after));
        let applied = (!self.exceptions.is_empty()).then(|| {
            // Runs moved forward from earlier holidays may land after `instant`.
            let start = match self.core.local_of(after) {
                Some((local, _)) if !self.core.has_count() => {
                    let from = self.exceptions.rewind_date(local.date());
                    if from < local.date() {
                        resolve_local(&self.core.tz, from.and_time(NaiveTime::MIN))
                            .0
                            .timestamp()
                            - 1
                    } else {
                        after
                    }
                }
                _ => after,
            };
            Applied::new(&self.core, &self.exceptions, self.core.cursor(start), after)
        });
        plain
            .into_iter()
            .flatten()
            .chain(applied.into_iter().flatten())
            .map_while(Occurrence::from_instant)
    }

    /// Occurrences in `[from, to)`, at most `limit`, for calendar views.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>, limit: usize) -> Vec<Occurrence> {
        let just_before = from
            .checked_sub_signed(chrono::Duration::seconds(1))
            .unwrap_or(from);
        self.iter_from(just_before)
            .take_while(|o| o.at < to)
            .take(limit)
            .collect()
    }
}

/// An occurrence of the rule that its exceptions keep from running at its own time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub occurrence: Occurrence,
    pub why: Removal,
}

/// The rule's own occurrences looked at per `removed_between` call, at most: a minutely rule
/// with a holiday calendar over a long window is cut short rather than stepped for long.
const REMOVED_SCAN: usize = 100_000;

impl Recurrence {
    /// The rule's occurrences in `[from, to)` that its exceptions removed or moved, with why,
    /// at most `limit` (a rule without exceptions has none).
    pub fn removed_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Removed> {
        if self.exceptions.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for instant in self.core.cursor(from.timestamp() - 1).take(REMOVED_SCAN) {
            let Some(occurrence) = Occurrence::from_instant(instant) else {
                break;
            };
            if occurrence.at >= to || out.len() >= limit {
                break;
            }
            if let Some(why) =
                self.exceptions
                    .removal(&self.core, instant.0, occurrence.local.naive_local())
            {
                out.push(Removed { occurrence, why });
            }
        }
        out
    }
}

/// Fills a missing `start_date` with the local date of `now` in `tz`, then compiles.
pub fn compile_with_default_start(
    rule: &RecurrenceRule,
    tz: Tz,
    calendars: &HolidayCalendars,
    now: DateTime<Utc>,
) -> Result<Recurrence, RuleError> {
    let today: NaiveDate = now.with_timezone(&tz).date_naive();
    Recurrence::new(&rule.clone().with_default_start(today), tz, calendars)
}
