//! A `VTIMEZONE` for an IANA zone over a span of time, made from the zone's own transitions:
//! one observance for the offset in force at the start, then one per transition in the span
//! (DAYLIGHT when the zone is on summer time after it, else STANDARD). A reader that knows
//! nothing of IANA names computes every instant in the span from this alone.

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::writer::IcsWriter;

/// One offset period: from `at` (UTC) the zone is `offset` seconds east, named `abbr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub at: DateTime<Utc>,
    pub offset_from: i32,
    pub offset: i32,
    pub daylight: bool,
    pub abbr: String,
}

/// Spans longer than this are cut at their start: a feed looks a year or two ahead and its
/// schedules began within the last few years.
const MAX_SPAN_DAYS: i64 = 40 * 366;

fn state(tz: &Tz, at: DateTime<Utc>) -> (i32, bool, String) {
    let off = tz.offset_from_utc_datetime(&at.naive_utc());
    (
        off.fix().local_minus_utc(),
        off.dst_offset() != Duration::zero(),
        off.abbreviation().unwrap_or("").to_string(),
    )
}

/// The observances of `tz` over `[from, to]`: the first is the state at `from`.
pub fn observances(tz: &Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Observance> {
    let from = from.max(to - Duration::days(MAX_SPAN_DAYS));
    let from = DateTime::from_timestamp(from.timestamp(), 0).unwrap_or(from);
    let (offset, daylight, abbr) = state(tz, from);
    let mut out = vec![Observance {
        at: from,
        offset_from: offset,
        offset,
        daylight,
        abbr,
    }];
    let mut t = from;
    while t < to {
        let next = (t + Duration::days(1)).min(to);
        let before = state(tz, t);
        if state(tz, next) != before {
            // Bisect to the second the state changes.
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let Some(mid_at) = DateTime::from_timestamp(mid, 0) else {
                    break;
                };
                if state(tz, mid_at) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            let (offset, daylight, abbr) = state(tz, hi);
            out.push(Observance {
                at: hi,
                offset_from: before.0,
                offset,
                daylight,
                abbr,
            });
        }
        t = next;
    }
    out
}

/// `+0100`, `-0930`, `+051824` (seconds only when there are some, as LMT offsets have).
pub fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// Writes the `VTIMEZONE` of `tz` for `[from, to]`.
pub fn write_vtimezone(w: &mut IcsWriter, tz: &Tz, from: DateTime<Utc>, to: DateTime<Utc>) {
    w.begin("VTIMEZONE");
    w.raw("TZID", &[], tz.name());
    for o in observances(tz, from, to) {
        let kind = if o.daylight { "DAYLIGHT" } else { "STANDARD" };
        w.begin(kind);
        // An observance's DTSTART is the wall time of the change read in the offset before it.
        let local = o.at.naive_utc() + Duration::seconds(i64::from(o.offset_from));
        w.raw("DTSTART", &[], &local.format("%Y%m%dT%H%M%S").to_string());
        w.raw("TZOFFSETFROM", &[], &format_offset(o.offset_from));
        w.raw("TZOFFSETTO", &[], &format_offset(o.offset));
        if !o.abbr.is_empty() {
            w.text("TZNAME", &o.abbr);
        }
        w.end(kind);
    }
    w.end("VTIMEZONE");
}
