//! Occurrences in a window as a few arithmetic runs of UTC instants, for views that count
//! them: a month of 1,000 daily schedules is 31,000 occurrences to step, and about 1,000 runs.
//!
//! A daily or weekly rule with one time of day and nothing that skips a date (plain
//! weekdays at most, no `set_positions`, no exceptions, no `count`) is, in local wall time,
//! one arithmetic sequence per weekday whose step is whole days ([`Core::wall_sequences`]).
//! Between two transitions of its zone, local time is UTC plus a constant, so each stretch of
//! such a sequence is arithmetic in UTC too. The one occurrence a sequence may have in a
//! transition's gap or fold is resolved on its own by `resolve_local`, as the engine does.
//!
//! The zone's transitions come from probing its offset once a day ([`ZoneOffsets`]): between
//! 1970 and 2100 no zone changes its offset twice within a week (checked over every zone at
//! half-hour steps), so a daily probe sees every change. Outside those years, or where a
//! change is half a day or more (Samoa skipped a whole day in 2011), the caller steps the
//! engine instead.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::compiled::Recurrence;
use crate::timezone::resolve_local;

/// Planned runs, in time order within one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    One(DateTime<Utc>),
    /// `first + k * step_secs` for `k` in `0..n`, in UTC seconds (whole seconds; counting
    /// them per day never needs a calendar date).
    Every {
        first: i64,
        step_secs: i64,
        n: u64,
    },
}

const DAY: i64 = 86_400;
/// 1970-01-01 and 2100-01-01: the years over which a daily probe is known to see every
/// transition.
const PROBED_FROM: i64 = 0;
const PROBED_TO: i64 = 4_102_444_800;
/// A larger change could move a wall time past the next day's.
const MAX_CHANGE: i64 = DAY / 2;

/// A zone's offsets over a UTC window, as stretches of one offset each.
#[derive(Debug, Clone)]
pub struct ZoneOffsets {
    tz: Tz,
    from: i64,
    to: i64,
    /// `(first UTC second, offset east)` of each stretch; the first starts at `from`.
    stretches: Vec<(i64, i32)>,
    /// The window is one where the stretches are exact and spans may use them.
    usable: bool,
}

impl ZoneOffsets {
    /// The offsets of `tz` over `[from, to)`.
    pub fn new(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> ZoneOffsets {
        let (from, to) = (from.timestamp(), to.timestamp());
        let offset = |t: i64| {
            DateTime::from_timestamp(t, 0).map(|at| {
                tz.offset_from_utc_datetime(&at.naive_utc())
                    .fix()
                    .local_minus_utc()
            })
        };
        let mut z = ZoneOffsets {
            tz,
            from,
            to,
            stretches: Vec::new(),
            usable: from >= PROBED_FROM && to <= PROBED_TO && from < to,
        };
        if !z.usable {
            return z;
        }
        let (mut t, mut off) = (from, offset(from).unwrap_or(0));
        z.stretches.push((from, off));
        while t < to {
            let probe = (t + DAY).min(to);
            let o = offset(probe).unwrap_or(off);
            if o == off {
                t = probe;
                continue;
            }
            // The first second with the new offset lies in (t, probe].
            let (mut same, mut changed) = (t, probe);
            while changed - same > 1 {
                let mid = same + (changed - same) / 2;
                if offset(mid) == Some(off) {
                    same = mid;
                } else {
                    changed = mid;
                }
            }
            let new = offset(changed).unwrap_or(o);
            if i64::from((new - off).abs()) >= MAX_CHANGE {
                z.usable = false;
            }
            z.stretches.push((changed, new));
            (t, off) = (changed, new);
        }
        z
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Whether spans over `[from, to)` can use these offsets: the window lies a day inside
    /// them, so every wall time of an occurrence in it falls within the probed stretches.
    fn covers(&self, from: i64, to: i64) -> bool {
        self.usable && from - DAY >= self.from && to + DAY <= self.to
    }
}

impl Recurrence {
    /// The occurrences in `[from, to)` as spans, in no particular order across spans, or
    /// `None` (having emitted nothing) when the rule or the zone is not of that shape, or
    /// `zone` is not this rule's zone over a day more than the window on each side.
    pub fn spans(
        &self,
        zone: &ZoneOffsets,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mut emit: impl FnMut(Span),
    ) -> Option<()> {
        // Occurrences are whole seconds: at or after `from` is at or after its ceiling.
        let f = from.timestamp() + i64::from(from.timestamp_subsec_nanos() > 0);
        let t = to.timestamp() + i64::from(to.timestamp_subsec_nanos() > 0);
        let wall = self.wall.as_deref()?;
        if zone.tz != self.core.tz || !zone.covers(f, t) {
            return None;
        }
        let (start, end) = self.core.main().local_bounds();
        let stretches = &zone.stretches;
        for &(first, step) in wall {
            // The indices of the sequence's wall times in `[a, b)`.
            let range = |a: i64, b: i64| {
                let a = a.max(start);
                let b = b.min(end);
                let k0 = ceil_div(a - first, step).max(0);
                let k1 = ceil_div(b - first, step).max(0);
                k0..k1.max(k0)
            };
            for (i, &(u0, off)) in stretches.iter().enumerate() {
                let (off, prev) = (i64::from(off), stretches.get(i.wrapping_sub(1)));
                let prev = prev.map_or(off, |p| i64::from(p.1));
                let (u1, next) = match stretches.get(i + 1) {
                    Some(&(u, o)) => (u, i64::from(o)),
                    None => (zone.to, off),
                };
                // Wall times only this stretch maps, whose instants lie in the window.
                let ks = range(
                    (u0 + prev.max(off)).max(f + off),
                    (u1 + off.min(next)).min(t + off),
                );
                if !ks.is_empty() {
                    emit(Span::Every {
                        first: first + ks.start * step - off,
                        step_secs: step,
                        n: (ks.end - ks.start) as u64,
                    });
                }
                if i + 1 < stretches.len() {
                    // The transition's gap or fold: at most one wall time of the sequence.
                    for k in range(u1 + off.min(next), u1 + off.max(next)) {
                        let local = DateTime::from_timestamp(first + k * step, 0)?.naive_utc();
                        let at = resolve_local(&self.core.tz, local).0;
                        if (f..t).contains(&at.timestamp()) {
                            emit(Span::One(at));
                        }
                    }
                }
            }
        }
        Some(())
    }
}

/// `a / b` rounded up, for `b > 0`.
pub fn ceil_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0)
}
