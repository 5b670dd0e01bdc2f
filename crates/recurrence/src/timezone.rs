//! IANA timezone lookup and the one place where local wall time becomes a UTC instant.
//!
//! Owns: parsing a zone name (with suggestions for a misspelt one), the DST rules of
//! DESIGN.md ("a time in a spring-forward gap runs shifted forward by the gap; a time in a
//! fall-back overlap runs once, at the earlier instant"), the zone list with current offsets,
//! and the `sgsched next` output line. Every local→UTC conversion in the crate goes through
//! [`resolve_local`] (or [`LocalResolver::map_secs`], which gives both instants of a fold and
//! says a time is in a gap, for a rule whose own DST policy picks among them): chrono's
//! `MappedLocalTime` is `None` in a gap and `Ambiguous` in a fold, so `.single().unwrap()`
//! would panic on real schedules.

use chrono::{
    DateTime, Duration, FixedOffset, MappedLocalTime, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::{TZ_VARIANTS, Tz};

/// A zone name that is not in the IANA database, with the closest known names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown timezone {name:?}{}", suggestion_text(.suggestions))]
pub struct TimezoneError {
    pub name: String,
    /// Up to three known zone names, closest first.
    pub suggestions: Vec<String>,
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// Parses an IANA zone name. Exact names win; a name differing only in case is accepted
/// (people type `europe/berlin`); anything else fails with up to three suggestions.
pub fn parse_timezone(name: &str) -> Result<Tz, TimezoneError> {
    let trimmed = name.trim();
    if let Ok(tz) = trimmed.parse::<Tz>() {
        return Ok(tz);
    }
    if let Some(tz) = TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(trimmed))
    {
        return Ok(*tz);
    }
    Err(TimezoneError {
        name: name.to_string(),
        suggestions: suggest(trimmed),
    })
}

/// Names longer than this get no suggestions.
const MAX_SUGGESTABLE_LEN: usize = 64;

/// Closest zone names: scored on the whole name and on its last segment (people often
/// misspell only the city: `America/New_Yrok`, or give only the city: `Berlin`).
fn suggest(name: &str) -> Vec<String> {
    // Scoring is O(len) per zone: a megabyte "name" in a request body would cost seconds of
    // CPU. Nothing that long is a misspelt zone (the longest name has 32 characters).
    if name.len() > MAX_SUGGESTABLE_LEN {
        return Vec::new();
    }
    let wanted = name.to_ascii_lowercase().replace(' ', "_");
    let wanted_city = wanted.rsplit('/').next().unwrap_or(&wanted).to_string();
    let mut scored: Vec<(f64, &'static str)> = TZ_VARIANTS
        .iter()
        .map(|tz| {
            let candidate = tz.name().to_ascii_lowercase();
            let city = candidate.rsplit('/').next().unwrap_or(&candidate);
            let whole = strsim::jaro_winkler(&wanted, &candidate);
            let by_city = strsim::jaro_winkler(&wanted_city, city) * 0.98;
            (whole.max(by_city), tz.name())
        })
        .filter(|(score, _)| *score >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Converts a local wall time to the instant it denotes, applying the DST rules, and
/// returns the offset actually in force at that instant (after a gap shift that is the
/// post-gap offset, so the displayed local time is the shifted one: 02:30 → 03:30-04:00).
pub fn resolve_local(tz: &Tz, local: NaiveDateTime) -> (DateTime<Utc>, FixedOffset) {
    match tz.offset_from_local_datetime(&local) {
        MappedLocalTime::Single(off) => {
            let fixed = off.fix();
            (utc_of(local, fixed), fixed)
        }
        // The fold: the earlier instant is the one with the larger (pre-transition) offset.
        MappedLocalTime::Ambiguous(a, b) => {
            let (fa, fb) = (a.fix(), b.fix());
            let (ua, ub) = (utc_of(local, fa), utc_of(local, fb));
            if ua <= ub { (ua, fa) } else { (ub, fb) }
        }
        MappedLocalTime::None => {
            // The transition instant T lies within (local - offset_after, local - offset_before];
            // offsets are within [-12h, +14h], so 15 hours earlier is surely before T and
            // reads the pre-gap offset. Using it shifts the time forward by the gap's length.
            let probe = local
                .checked_sub_signed(Duration::hours(15))
                .unwrap_or(local);
            let before = tz.offset_from_utc_datetime(&probe).fix();
            let at = utc_of(local, before);
            (at, tz.offset_from_utc_datetime(&at.naive_utc()).fix())
        }
    }
}

/// Local → UTC with the DST rules; see [`resolve_local`].
pub fn local_to_utc(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    resolve_local(tz, local).0
}

/// The instant as local time in `tz`, with the offset in force.
pub fn utc_to_local(tz: &Tz, at: DateTime<Utc>) -> DateTime<FixedOffset> {
    let off = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.with_timezone(&off)
}

/// At the ends of chrono's range (a local time a few hours from year ±262143) the instant
/// does not exist; the nearest one that does is returned rather than panicking.
fn utc_of(local: NaiveDateTime, off: FixedOffset) -> DateTime<Utc> {
    let east = off.local_minus_utc();
    match local.checked_sub_signed(Duration::seconds(i64::from(east))) {
        Some(utc) => utc.and_utc(),
        None if east > 0 => DateTime::<Utc>::MIN_UTC,
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// Every IANA zone with its UTC offset (seconds east) at `now`, sorted by name.
pub fn zones_with_offsets(now: DateTime<Utc>) -> Vec<(&'static str, i32)> {
    let mut zones: Vec<(&'static str, i32)> = TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                tz.name(),
                tz.offset_from_utc_datetime(&now.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
        .collect();
    zones.sort_by(|a, b| a.0.cmp(b.0));
    zones
}

/// RFC 3339 UTC with `Z`, seconds always shown: `2026-03-08T14:00:00Z`.
pub fn format_utc(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(20);
    if !push_datetime(&mut out, &at.naive_utc()) {
        return at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    out.push('Z');
    out
}

/// RFC 3339 local time with its offset: `2026-03-08T10:00:00-04:00`.
pub fn format_local(local: DateTime<FixedOffset>) -> String {
    let mut out = String::with_capacity(25);
    if !push_datetime(&mut out, &local.naive_local()) {
        return local.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    }
    let off = local.offset().local_minus_utc();
    out.push(if off < 0 { '-' } else { '+' });
    // Rounded to the nearest minute, as chrono's `%:z` does for an offset with seconds (LMT).
    let minutes = (off.unsigned_abs() + 30) / 60;
    push2(&mut out, minutes / 60);
    out.push(':');
    push2(&mut out, minutes % 60);
    out
}

/// `YYYY-MM-DDTHH:MM:SS` written digit by digit: these two formatters run for every time in
/// every response (and every plugin run), and chrono's `format` re-parses its pattern each
/// call, which cost more than the rest of rendering a schedule. Years outside 0..=9999 (which
/// chrono writes with a sign) return false and are left to chrono.
fn push_datetime(out: &mut String, dt: &chrono::NaiveDateTime) -> bool {
    use chrono::{Datelike, Timelike};
    let Ok(year) = u32::try_from(dt.year()) else {
        return false;
    };
    if year > 9999 {
        return false;
    }
    push2(out, year / 100);
    push2(out, year % 100);
    out.push('-');
    push2(out, dt.month());
    out.push('-');
    push2(out, dt.day());
    out.push('T');
    push2(out, dt.hour());
    out.push(':');
    push2(out, dt.minute());
    out.push(':');
    // A leap second is carried in the nanoseconds; chrono's `%S` shows it as 60.
    push2(
        out,
        dt.second() + u32::from(dt.nanosecond() >= 1_000_000_000),
    );
    true
}

fn push2(out: &mut String, v: u32) {
    out.push(char::from(b'0' + (v / 10 % 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// One line of `sgsched next`: the UTC instant, a space, the local time with its offset.
pub fn format_occurrence_line(at: DateTime<Utc>, local: DateTime<FixedOffset>) -> String {
    format!("{} {}", format_utc(at), format_local(local))
}

/// Local → UTC for a stream of increasing local times (an occurrence iterator): the same
/// answers as [`resolve_local`], but once warm it remembers the stretch of local time up
/// to the zone's next transition, where the conversion is a subtraction. chrono-tz looks
/// each local time up by binary search over the zone's spans (~90 ns here); learning a
/// stretch costs ~40 UTC lookups, so it only starts after a few conversions and single
/// `next_after` calls never pay for it.
#[derive(Debug, Clone)]
pub struct LocalResolver {
    tz: Tz,
    /// Local seconds `[lo, hi)` that all map, unambiguously, with offset `off`.
    lo: i64,
    hi: i64,
    off: i32,
    conversions: u32,
}

/// Where one local wall time lands: `(UTC seconds, offset seconds east)` instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalMapping {
    Single((i64, i32)),
    /// The time does not exist that day; `shifted` is [`resolve_local`]'s answer.
    Gap {
        shifted: (i64, i32),
    },
    /// The time happens twice.
    Fold {
        earlier: (i64, i32),
        later: (i64, i32),
    },
}

/// Conversions before the resolver starts learning stretches.
const WARM_UP: u32 = 3;
/// Probes for the next transition step at most this far, so a change and a change back
/// (Ramadan suspensions last about a month) are not stepped over.
const MAX_PROBE_STEP: i64 = 16 * 86_400;
/// Beyond this without a change a zone is treated as fixed from here on.
const MAX_SPAN: i64 = 400 * 86_400;

impl LocalResolver {
    pub fn new(tz: Tz) -> LocalResolver {
        LocalResolver {
            tz,
            lo: 1,
            hi: 0,
            off: 0,
            conversions: 0,
        }
    }

    pub fn resolve(&mut self, local: NaiveDateTime) -> (DateTime<Utc>, FixedOffset) {
        let l = local.and_utc().timestamp();
        match self.resolve_secs(l) {
            Some((secs, off)) => match (
                DateTime::from_timestamp(secs, 0),
                FixedOffset::east_opt(off),
            ) {
                (Some(at), Some(off)) => (at, off),
                _ => resolve_local(&self.tz, local),
            },
            None => resolve_local(&self.tz, local),
        }
    }

    /// The same on plain numbers: local wall time as seconds since 1970-01-01T00:00 (read as
    /// if UTC) → (UTC seconds, offset seconds east). `None` outside chrono's range.
    pub fn resolve_secs(&mut self, l: i64) -> Option<(i64, i32)> {
        Some(match self.map_secs(l)? {
            LocalMapping::Single(at) => at,
            LocalMapping::Gap { shifted } => shifted,
            LocalMapping::Fold { earlier, .. } => earlier,
        })
    }

    /// How local seconds `l` map onto instants, for a rule with its own DST policy; the
    /// default rules are [`LocalResolver::resolve_secs`].
    pub fn map_secs(&mut self, l: i64) -> Option<LocalMapping> {
        if l >= self.lo && l < self.hi {
            return Some(LocalMapping::Single((l - i64::from(self.off), self.off)));
        }
        let local = DateTime::from_timestamp(l, 0)?.naive_utc();
        self.conversions = self.conversions.saturating_add(1);
        Some(match self.tz.offset_from_local_datetime(&local) {
            MappedLocalTime::Single(off) => {
                let off = off.fix().local_minus_utc();
                if self.conversions > WARM_UP {
                    self.learn(l, off);
                }
                LocalMapping::Single((l - i64::from(off), off))
            }
            MappedLocalTime::Ambiguous(a, b) => {
                let (a, b) = (a.fix().local_minus_utc(), b.fix().local_minus_utc());
                let (ua, ub) = (l - i64::from(a), l - i64::from(b));
                if ua <= ub {
                    LocalMapping::Fold {
                        earlier: (ua, a),
                        later: (ub, b),
                    }
                } else {
                    LocalMapping::Fold {
                        earlier: (ub, b),
                        later: (ua, a),
                    }
                }
            }
            MappedLocalTime::None => {
                let (at, off) = resolve_local(&self.tz, local);
                LocalMapping::Gap {
                    shifted: (at.timestamp(), off.local_minus_utc()),
                }
            }
        })
    }

    fn offset_at(&self, utc_secs: i64) -> Option<i32> {
        let at = DateTime::from_timestamp(utc_secs, 0)?;
        Some(
            self.tz
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// Records `[l, end of the span's unambiguous local time)` for offset `off`.
    fn learn(&mut self, l: i64, off: i32) {
        let u = l - i64::from(off);
        let (mut same, mut step) = (u, 86_400);
        let changed = loop {
            let probe = same + step;
            if probe - u > MAX_SPAN {
                break None;
            }
            match self.offset_at(probe) {
                Some(o) if o == off => same = probe,
                Some(_) => break Some(probe),
                None => return,
            }
            step = (step * 2).min(MAX_PROBE_STEP);
        };
        let hi = match changed {
            None => same + i64::from(off),
            Some(mut diff) => {
                while diff - same > 1 {
                    let mid = same + (diff - same) / 2;
                    match self.offset_at(mid) {
                        Some(o) if o == off => same = mid,
                        Some(_) => diff = mid,
                        None => return,
                    }
                }
                let Some(next) = self.offset_at(diff) else {
                    return;
                };
                diff + i64::from(off.min(next))
            }
        };
        (self.lo, self.hi, self.off) = (l, hi, off);
    }
}
