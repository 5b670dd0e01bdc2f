//! The planned runs of one schedule inside a calendar window, computed only there.
//!
//! They start at `next_run_at` (the first run the executor has not taken), honour `max_runs`
//! (runs before the window use up the budget too), pause and the rule's own `count` and
//! `end_date`. Three ways to produce them, with the same results:
//!
//! - a minutely or hourly rule without filters or exceptions is an arithmetic sequence of UTC
//!   instants (the engine steps such rules in UTC from the anchor `start_date` +
//!   `time_of_day`), so its runs in the window are one [`Span::Every`], counted per day with a
//!   division: a minutely schedule over a month costs the same as a daily one;
//! - a daily or weekly rule at one time of day, on every day or on plain weekdays, without
//!   exceptions, is arithmetic between its zone's transitions
//!   ([`Recurrence::spans`](crate::recurrence::Recurrence::spans)), given the zone's offsets
//!   over the window ([`Zones`], found once per calendar and shared by its schedules);
//! - anything else is stepped with one engine iterator started at the window (or at
//!   `next_run_at` when `max_runs` needs the runs before it), never from the rule's start.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::model::timing::Timing;
use crate::model::{Schedule, ScheduleStatus};
use crate::recurrence::{Frequency, HolidayCalendars, Recurrence, ZoneOffsets};
pub use crate::recurrence::{Span, ceil_div};

/// The offsets of each zone met so far over one window, with two days to spare each side.
pub struct Zones {
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    known: Vec<ZoneOffsets>,
}

impl Zones {
    pub fn new(lo: DateTime<Utc>, hi: DateTime<Utc>) -> Zones {
        Zones {
            lo: lo - Duration::days(2),
            hi: hi + Duration::days(2),
            known: Vec::new(),
        }
    }

    /// A calendar's schedules use a handful of zones: a scan beats hashing.
    fn of(&mut self, tz: Tz) -> &ZoneOffsets {
        let i = match self.known.iter().position(|z| z.timezone() == tz) {
            Some(i) => i,
            None => {
                self.known.push(ZoneOffsets::new(tz, self.lo, self.hi));
                self.known.len() - 1
            }
        };
        &self.known[i]
    }
}

/// What planning needs of a schedule that does not depend on the window: its compiled timing
/// and, for a minutely or hourly rule without filters, its arithmetic sequence.
pub struct Compiled {
    timing: Timing,
    arithmetic: Option<Arithmetic>,
}

impl Compiled {
    /// `None` when the rule no longer compiles (the schedule then plans nothing).
    pub fn of(s: &Schedule, calendars: &HolidayCalendars) -> Option<Compiled> {
        let timing = Timing::of(s, calendars).ok()?;
        let arithmetic = match &timing {
            Timing::Recurring(r) => Arithmetic::of(s, r),
            Timing::Once(_) => None,
        };
        Some(Compiled { timing, arithmetic })
    }

    /// The rule's occurrences in `[from, to)` its exceptions removed or moved, with why (a
    /// once schedule has none).
    pub fn removed_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<crate::recurrence::Removed> {
        match &self.timing {
            Timing::Recurring(r) => r.removed_between(from, to, limit),
            Timing::Once(_) => Vec::new(),
        }
    }

    /// Whether planning `s` over any window costs a few operations per day at most, rather
    /// than a step per occurrence (a filtered minutely rule over a year is 500,000 steps).
    pub fn is_light(&self, s: &Schedule) -> bool {
        match &self.timing {
            Timing::Once(_) => true,
            // A moved `next_run_at` off the sequence is stepped from.
            Timing::Recurring(r) => {
                let on_sequence =
                    |a: &Arithmetic| s.next_run_at().is_none_or(|t| a.index_of(t).is_some());
                self.arithmetic.as_ref().is_some_and(on_sequence)
                    || (r.has_spans() && s.max_runs.is_none())
            }
        }
    }
}

/// Visit the planned runs of `s` in `[lo, hi)`: spans in time order each, though not in order
/// among themselves. `zones` must be over `[lo, hi)`. Stepping one occurrence uses one unit of
/// `steps_left`; returns `false` when that budget ran out before the window's end.
pub fn planned(
    s: &Schedule,
    compiled: &Compiled,
    zones: &mut Zones,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    steps_left: &mut u64,
    mut emit: impl FnMut(Span),
) -> bool {
    if s.status() != ScheduleStatus::Active {
        return true;
    }
    // Runs start at `next_run_at`: one at or after the window plans nothing in it, and the
    // rule need not even be compiled.
    let Some(first) = s.next_run_at().filter(|t| *t < hi) else {
        return true;
    };
    let left = s
        .max_runs
        .map_or(u64::MAX, |m| u64::from(m.saturating_sub(s.run_count())));
    if left == 0 {
        return true;
    }
    let timing = &compiled.timing;
    if let Timing::Recurring(r) = timing {
        if let Some(seq) = &compiled.arithmetic
            && let Some(span) = seq.window(first, s.max_runs.is_some(), left, lo, hi)
        {
            if let Some(span) = span {
                emit(span);
            }
            return true;
        }
        // As `stepped` does: the window's occurrences, or `next_run_at` and those after it.
        let after_first = DateTime::from_timestamp(first.timestamp() + 1, 0);
        let from = if first < lo { Some(lo) } else { after_first };
        if s.max_runs.is_none()
            && let Some(from) = from
            && r.spans(zones.of(r.timezone()), from, hi, &mut emit)
                .is_some()
        {
            if first >= lo {
                emit(Span::One(first));
            }
            return true;
        }
    }
    stepped(
        timing,
        first,
        s.max_runs.is_some(),
        left,
        lo,
        hi,
        steps_left,
        emit,
    )
}

/// One iterator over the occurrences, from the window start when nothing before it counts.
#[allow(clippy::too_many_arguments)]
fn stepped(
    timing: &Timing,
    first: DateTime<Utc>,
    counts_before: bool,
    mut left: u64,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    steps_left: &mut u64,
    mut emit: impl FnMut(Span),
) -> bool {
    let occurrences: Box<dyn Iterator<Item = DateTime<Utc>>> = if !counts_before && first < lo {
        // Instants are whole seconds: strictly after `lo - 1s` is at or after `lo`.
        after(timing, lo - Duration::seconds(1))
    } else {
        // `next_run_at` itself is the first run (it may be a moved or late one).
        Box::new(std::iter::once(first).chain(after(timing, first)))
    };
    for t in occurrences {
        if t >= hi || left == 0 {
            break;
        }
        if *steps_left == 0 {
            return false;
        }
        *steps_left -= 1;
        left -= 1;
        if t >= lo {
            emit(Span::One(t));
        }
    }
    true
}

/// The occurrences strictly after `t`, in order.
fn after(timing: &Timing, t: DateTime<Utc>) -> Box<dyn Iterator<Item = DateTime<Utc>> + '_> {
    match timing {
        Timing::Once(at) => Box::new((*at > t).then_some(*at).into_iter()),
        Timing::Recurring(r) => Box::new(r.iter_from(t).map(|o| o.at)),
    }
}

/// A rule whose occurrences are `anchor + k * step` for `k` in `0..end_k`.
#[derive(Debug, PartialEq, Eq)]
struct Arithmetic {
    anchor: i64,
    step: i64,
    end_k: i64,
}

/// Every UTC offset in the tz database lies within this many seconds of UTC.
const MAX_OFFSET_SECS: i64 = 15 * 3600;

impl Arithmetic {
    /// `None` unless the rule is minutely or hourly with nothing that skips a step: no date,
    /// hour or minute filter and no exception. The anchor and the end come from the engine
    /// itself (its first occurrence; its own end test on the steps near `end_date`).
    fn of(s: &Schedule, r: &Recurrence) -> Option<Arithmetic> {
        let rule = s.rule()?;
        let unit = match rule.frequency {
            Frequency::Minutely => 60,
            Frequency::Hourly => 3600,
            _ => return None,
        };
        let filtered = !rule.days_of_week.is_empty()
            || !rule.days_of_month.is_empty()
            || !rule.months.is_empty()
            || !rule.hours.is_empty()
            || !rule.minutes.is_empty()
            || !rule.days_of_year.is_empty()
            || !rule.extra_dates.is_empty()
            || !rule.additional_rules.is_empty()
            || rule.until.is_some()
            || !rule.exceptions.is_empty();
        if filtered {
            return None;
        }
        let step = unit * i64::from(rule.interval.max(1));
        let anchor = r.iter_from(DateTime::<Utc>::MIN_UTC).next()?.at.timestamp();
        let mut end_k = rule.count.map_or(i64::MAX, i64::from);
        if let Some(end) = rule.end_date {
            // The engine stops at the first step whose local date is past `end_date`. Before
            // `next midnight - max offset` no local date can be; find the first that is
            // among the steps from there.
            let next_midnight = end.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
            let from = ceil_div(next_midnight - MAX_OFFSET_SECS - anchor, step).max(0);
            let tz = r.timezone();
            let past_end = (from..)
                .take((2 * MAX_OFFSET_SECS / step + 2) as usize)
                .find(|k| {
                    DateTime::from_timestamp(anchor + k * step, 0)
                        .is_none_or(|t| t.with_timezone(&tz).date_naive() > end)
                })?;
            end_k = end_k.min(past_end);
        }
        Some(Arithmetic {
            anchor,
            step,
            end_k,
        })
    }

    /// The first index at or after instant `t`.
    fn index_at(&self, t: DateTime<Utc>) -> i64 {
        ceil_div(t.timestamp() - self.anchor, self.step).max(0)
    }

    /// The index of `first` when it is one of the sequence's instants.
    fn index_of(&self, first: DateTime<Utc>) -> Option<i64> {
        let offset = first.timestamp() - self.anchor;
        if offset < 0 || offset % self.step != 0 || first.timestamp_subsec_nanos() != 0 {
            return None;
        }
        Some(offset / self.step).filter(|k| *k < self.end_k)
    }

    /// The runs in `[lo, hi)` starting at `first`, at most `left` of them from `first` when
    /// `counts_before` (`max_runs`), else from the window start. `None` when `first` is not
    /// one of the sequence's instants (a moved run): the caller steps instead.
    fn window(
        &self,
        first: DateTime<Utc>,
        counts_before: bool,
        left: u64,
        lo: DateTime<Utc>,
        hi: DateTime<Utc>,
    ) -> Option<Option<Span>> {
        let first_k = self.index_of(first)?;
        let end_k = if counts_before {
            self.end_k
                .min(first_k.saturating_add(i64::try_from(left).unwrap_or(i64::MAX)))
        } else {
            self.end_k
        };
        let from = first_k.max(self.index_at(lo));
        let to = end_k.min(self.index_at(hi));
        if from >= to {
            return Some(None);
        }
        Some(Some(Span::Every {
            first: self.anchor + from * self.step,
            step_secs: self.step,
            n: (to - from) as u64,
        }))
    }
}
