//! rule_iter: a small rule built from the input, its first occurrences from the engine
//! against a reference expansion written here the slow, obvious way: walk the local dates
//! one by one (or the elapsed-time steps of an hourly/minutely rule), test each against the
//! rule, and turn local time into UTC by searching the zone's offsets for DESIGN.md's DST
//! policy (a time in a gap runs shifted forward by the gap, a time in an overlap once, at
//! the earlier instant, unless the rule's `dst_policy` says otherwise). Also: days and weeks
//! of the year (BYYEARDAY, BYWEEKNO with WKST, the week-year found from January 4), hourly
//! BYMINUTE (each stepped hour's minutes) and extra dates (RDATE) merged in. The engine is
//! also asked from the middle of the list, to check its seek. Equality is asserted on the
//! UTC instant and the offset shown with it.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeZone, Weekday};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use sgsched_recurrence::recurrence::{
    DstGap, DstOverlap, DstPolicy, Frequency, HolidayCalendars, Recurrence, RecurrenceRule,
    TimeOfDay, WeekdaySpec,
};

const ZONES: [Tz; 8] = [
    chrono_tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    // A 30-minute DST shift.
    chrono_tz::Australia::Lord_Howe,
    // Transitions at midnight: the gap swallows 00:00.
    chrono_tz::America::Santiago,
    // DST dropped, restored, suspended for Ramadan.
    chrono_tz::Africa::Cairo,
    // Skipped the whole of 2011-12-30.
    chrono_tz::Pacific::Apia,
    chrono_tz::Asia::Kolkata,
];

/// Occurrences compared per input.
const WANTED: usize = 40;
/// How far the reference walks: daily and longer rules in local days, sub-daily ones too.
const HORIZON_DAYS: u64 = 366 * 30;
const SUB_DAILY_HORIZON_DAYS: u64 = 120;

#[derive(Arbitrary, Debug)]
struct Input {
    frequency: u8,
    interval: u8,
    /// Bit 0 = Monday.
    weekdays: u8,
    month_days: Vec<i8>,
    /// Bit 0 = January; used only when `use_months`.
    months: u16,
    use_months: bool,
    hour: u8,
    minute: u8,
    zone: u8,
    /// Days after 1995-01-01.
    start_day: u16,
    count: Option<u8>,
    end_after_days: Option<u16>,
    /// Which occurrence to ask the engine again from.
    probe: u8,
    /// Yearly and sub-daily rules: BYYEARDAY.
    days_of_year: Vec<i16>,
    /// Yearly rules: BYWEEKNO, and WKST (1 + `week_start % 7`).
    weeks_of_year: Vec<i8>,
    week_start: u8,
    /// Hourly rules: BYMINUTE, an expansion.
    hourly_minutes: Vec<u8>,
    /// Daily and longer: `dst % 6` picks the gap and overlap policy.
    dst: u8,
    /// Extra dates: (days after the start, hour, minute).
    extra: Vec<(u16, u8, u8)>,
}

fn rule_of(input: &Input) -> RecurrenceRule {
    let frequency = Frequency::ALL[usize::from(input.frequency % 6)];
    let interval = match frequency {
        // Steps that cross DST changes at odd wall times: 1, 8, 15, ... minutes.
        Frequency::Minutely => 1 + u32::from(input.interval) * 7,
        Frequency::Hourly => 1 + u32::from(input.interval % 48),
        _ => 1 + u32::from(input.interval % 5),
    };
    let time = TimeOfDay::new(input.hour % 24, input.minute % 60).expect("in range");
    let mut rule = RecurrenceRule::new(frequency, time);
    rule.interval = interval;
    rule.days_of_week = (0..7u8)
        .filter(|b| input.weekdays & (1 << b) != 0)
        .map(|b| WeekdaySpec::every(b + 1))
        .collect();
    if frequency != Frequency::Weekly {
        rule.days_of_month = input
            .month_days
            .iter()
            .take(3)
            .map(|d| match d.rem_euclid(62) {
                n @ 0..=30 => n + 1,
                n => 30 - n,
            })
            .collect();
    }
    if input.use_months {
        rule.months = (0..12u8)
            .filter(|b| input.months & (1 << b) != 0)
            .map(|b| b + 1)
            .collect();
    }
    let epoch = NaiveDate::from_ymd_opt(1995, 1, 1).expect("fixed date");
    let start = epoch + Days::new(u64::from(input.start_day % (366 * 60)));
    rule.start_date = Some(start);
    rule.count = input.count.map(|c| u32::from(c % 60) + 1);
    if rule.count.is_none() {
        rule.end_date = input
            .end_after_days
            .map(|d| start + Days::new(1 + u64::from(d % 3000)));
    }
    if matches!(frequency, Frequency::Yearly) || frequency.is_sub_daily() {
        rule.days_of_year = input
            .days_of_year
            .iter()
            .take(3)
            .map(|d| match d.rem_euclid(732) {
                n @ 0..=365 => n + 1,
                n => 365 - n,
            })
            .collect();
    }
    if frequency == Frequency::Yearly {
        rule.weeks_of_year = input
            .weeks_of_year
            .iter()
            .take(2)
            .map(|w| match w.rem_euclid(106) {
                n @ 0..=52 => n + 1,
                n => 52 - n,
            })
            .collect();
        rule.week_start = Some(1 + input.week_start % 7);
    }
    if frequency == Frequency::Hourly {
        rule.minutes = input
            .hourly_minutes
            .iter()
            .take(3)
            .map(|m| m % 60)
            .collect();
    }
    if !frequency.is_sub_daily() {
        rule.dst_policy = DstPolicy {
            gap: if input.dst % 2 == 0 {
                DstGap::ShiftForward
            } else {
                DstGap::Skip
            },
            overlap: [DstOverlap::First, DstOverlap::Last, DstOverlap::Both]
                [usize::from(input.dst / 2 % 3)],
        };
    }
    rule.extra_dates = input
        .extra
        .iter()
        .take(3)
        .filter_map(|(d, h, m)| {
            (start + Days::new(u64::from(d % 400))).and_hms_opt(
                u32::from(h % 24),
                u32::from(m % 60),
                0,
            )
        })
        .collect();
    rule
}

fuzz_target!(|input: Input| {
    let rule = rule_of(&input);
    let tz = ZONES[usize::from(input.zone) % ZONES.len()];
    let rec = Recurrence::new(&rule, tz, &HolidayCalendars::builtin())
        .unwrap_or_else(|e| panic!("a well-formed rule compiles: {e}; {rule:?}"));
    let (expected, horizon, n) = reference(&rule, tz);
    let start = rule.start_date.expect("set");
    let before_start = local_secs(start.and_hms_opt(0, 0, 0).expect("midnight")) - 2 * 86_400;
    let ours = engine(&rec, before_start, horizon, n);
    assert_eq!(ours, expected, "first occurrences differ: {rule:?} in {tz}");

    if !expected.is_empty() {
        let i = usize::from(input.probe) % expected.len();
        let at = expected[i].0;
        let rest = engine(&rec, at - 1, horizon, expected.len() - i);
        assert_eq!(
            rest,
            expected[i..],
            "from just before #{i}: {rule:?} in {tz}"
        );
        let rest = engine(&rec, at, horizon, expected.len() - i - 1);
        assert_eq!(
            rest,
            expected[i + 1..],
            "from #{i} itself: {rule:?} in {tz}"
        );
    }
});

/// (UTC seconds, offset seconds east) of the engine's occurrences after `after` and before
/// `horizon`, at most `n`.
fn engine(rec: &Recurrence, after: i64, horizon: i64, n: usize) -> Vec<(i64, i32)> {
    let after = chrono::DateTime::from_timestamp(after, 0).expect("in range");
    rec.iter_from(after)
        .take_while(|o| o.at.timestamp() < horizon)
        .take(n)
        .map(|o| (o.at.timestamp(), o.local.offset().local_minus_utc()))
        .collect()
}

/// The first occurrences with the extra dates merged in, the UTC horizon, and how many of
/// the engine's to compare: all up to the horizon, or only as many as the list holds when
/// the rule's own list was cut at `WANTED` (an extra date after its last is not known to be
/// next).
fn reference(rule: &RecurrenceRule, tz: Tz) -> (Vec<(i64, i32)>, i64, usize) {
    let (own, horizon) = own_reference(rule, tz);
    let cut = rule.count.is_none() && own.len() == WANTED;
    let complete = if cut {
        own.last().map_or(horizon, |l| l.0 + 1)
    } else {
        horizon
    };
    let mut all = own;
    for d in &rule.extra_dates {
        let at = resolve(tz, *d);
        all.push((at, offset_at(tz, at)));
    }
    all.sort_unstable();
    all.dedup_by_key(|x| x.0);
    all.retain(|x| x.0 < complete);
    all.truncate(WANTED);
    let n = if cut { all.len() } else { WANTED };
    (all, horizon, n)
}

/// The rule's own first occurrences and the UTC instant up to which the list is complete.
fn own_reference(rule: &RecurrenceRule, tz: Tz) -> (Vec<(i64, i32)>, i64) {
    let start = rule.start_date.expect("set");
    let wanted = rule.count.map_or(WANTED, |c| WANTED.min(c as usize));
    let mut out: Vec<(i64, i32)> = Vec::new();
    let push = |out: &mut Vec<(i64, i32)>, at: i64| {
        // A gap shift can land two wall times on one instant; it runs once.
        if out.last().is_none_or(|last| last.0 < at) {
            out.push((at, offset_at(tz, at)));
        }
    };
    if rule.frequency.is_sub_daily() {
        let last_day = start + Days::new(SUB_DAILY_HORIZON_DAYS);
        let horizon = resolve(tz, last_day.and_hms_opt(0, 0, 0).expect("midnight"));
        let unit = if rule.frequency == Frequency::Minutely {
            60
        } else {
            3600
        };
        let step = unit * i64::from(rule.interval);
        let anchor = resolve(tz, start.and_time(rule.time_of_day.to_naive()));
        if !rule.minutes.is_empty() {
            // Hourly with minutes: the hours from the start's, each at those minutes.
            let mut minutes = rule.minutes.clone();
            minutes.sort_unstable();
            minutes.dedup();
            let mut hour = anchor - i64::from(rule.time_of_day.minute) * 60;
            'steps: while out.len() < wanted && hour < horizon {
                for m in &minutes {
                    let at = hour + i64::from(*m) * 60;
                    let local = local_of(tz, at);
                    if rule.end_date.is_some_and(|e| local.date() > e) || out.len() >= wanted {
                        break 'steps;
                    }
                    if at >= anchor && at < horizon && date_filter_matches(rule, local.date()) {
                        push(&mut out, at);
                    }
                }
                hour += step;
            }
            return (out, horizon);
        }
        let mut at = anchor;
        while out.len() < wanted && at < horizon {
            let local = local_of(tz, at);
            if rule.end_date.is_some_and(|e| local.date() > e) {
                break;
            }
            if date_filter_matches(rule, local.date()) {
                push(&mut out, at);
            }
            at += step;
        }
        return (out, horizon);
    }
    let last_day = start + Days::new(HORIZON_DAYS);
    let horizon = resolve(tz, last_day.and_hms_opt(0, 0, 0).expect("midnight"));
    let mut day = start;
    while out.len() < wanted && day < last_day && rule.end_date.is_none_or(|e| day <= e) {
        if date_matches(rule, day) {
            for at in resolve_with(
                tz,
                day.and_time(rule.time_of_day.to_naive()),
                rule.dst_policy,
            ) {
                if out.len() < wanted {
                    push(&mut out, at);
                }
            }
        }
        day = day.succ_opt().expect("in range");
    }
    (out, horizon)
}

/// A daily or longer rule on local date `d`: in a period `interval` apart from the start's,
/// and on a day the rule names, or the start's day when it names none (RFC 5545 defaults).
fn date_matches(rule: &RecurrenceRule, d: NaiveDate) -> bool {
    let start = rule.start_date.expect("set");
    let monday = |x: NaiveDate| x - Days::new(u64::from(x.weekday().num_days_from_monday()));
    let months_apart = |a: NaiveDate, b: NaiveDate| {
        i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month())
    };
    let period = match rule.frequency {
        Frequency::Daily => (d - start).num_days(),
        Frequency::Weekly => (monday(d) - monday(start)).num_days() / 7,
        Frequency::Monthly => months_apart(start, d),
        _ => i64::from(d.year() - start.year()),
    };
    if period < 0 || period % i64::from(rule.interval) != 0 {
        return false;
    }
    let no_days = rule.days_of_week.is_empty()
        && rule.days_of_month.is_empty()
        && rule.days_of_year.is_empty()
        && rule.weeks_of_year.is_empty();
    let mut r = rule.clone();
    match rule.frequency {
        Frequency::Weekly if rule.days_of_week.is_empty() => {
            r.days_of_week = vec![WeekdaySpec::every(weekday_number(start.weekday()))];
        }
        Frequency::Monthly if no_days => r.days_of_month = vec![start.day() as i8],
        Frequency::Yearly if no_days => {
            if r.months.is_empty() {
                r.months = vec![start.month() as u8];
            }
            r.days_of_month = vec![start.day() as i8];
        }
        _ => {}
    }
    date_filter_matches(&r, d)
}

/// The BYMONTH / BYWEEKNO / BYYEARDAY / BYMONTHDAY / BYDAY parts alone: each given part
/// must allow the date.
fn date_filter_matches(rule: &RecurrenceRule, d: NaiveDate) -> bool {
    let year_len = if d.leap_year() { 366 } else { 365 };
    let ordinal = i64::from(d.ordinal());
    let yday_ok = rule.days_of_year.is_empty()
        || rule.days_of_year.iter().any(|&n| {
            let n = i64::from(n);
            n == ordinal || n == ordinal - year_len - 1
        });
    let week_ok = rule.weeks_of_year.is_empty() || {
        let (week, weeks) = week_of(d, rule.week_start.unwrap_or(1));
        rule.weeks_of_year
            .iter()
            .any(|&n| i64::from(n) == week || i64::from(n) == week - weeks - 1)
    };
    yday_ok && week_ok && plain_filter_matches(rule, d)
}

/// RFC 5545's week of `d` for weeks starting on `wkst` (1 = Monday), and the number of
/// weeks of its week-year: week 1 is the one holding January 4 (it has at least four days
/// of the year whatever day weeks start on), a week belongs to the year of its fourth day.
fn week_of(d: NaiveDate, wkst: u8) -> (i64, i64) {
    let week_start = |x: NaiveDate| {
        let back = (i64::from(weekday_number(x.weekday())) - i64::from(wkst)).rem_euclid(7);
        x - Days::new(back as u64)
    };
    let first = |year: i32| week_start(NaiveDate::from_ymd_opt(year, 1, 4).expect("date"));
    let ws = week_start(d);
    let year = (ws + Days::new(3)).year();
    let week = (ws - first(year)).num_days() / 7 + 1;
    let weeks = (first(year + 1) - first(year)).num_days() / 7;
    (week, weeks)
}

/// The BYMONTH / BYMONTHDAY / BYDAY parts.
fn plain_filter_matches(rule: &RecurrenceRule, d: NaiveDate) -> bool {
    let month_len = {
        let next = if d.month() == 12 {
            NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
        };
        next.expect("in range").pred_opt().expect("in range").day() as i64
    };
    let day = i64::from(d.day());
    (rule.months.is_empty() || rule.months.contains(&(d.month() as u8)))
        && (rule.days_of_month.is_empty()
            || rule.days_of_month.iter().any(|&m| {
                let m = i64::from(m);
                if m > 0 {
                    day == m
                } else {
                    day == month_len + m + 1
                }
            }))
        && (rule.days_of_week.is_empty()
            || rule
                .days_of_week
                .iter()
                .any(|w| w.day == weekday_number(d.weekday())))
}

fn weekday_number(w: Weekday) -> u8 {
    w.number_from_monday() as u8
}

fn offset_at(tz: Tz, utc_secs: i64) -> i32 {
    let at = chrono::DateTime::from_timestamp(utc_secs, 0).expect("in range");
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

fn local_secs(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp()
}

fn local_of(tz: Tz, utc_secs: i64) -> NaiveDateTime {
    let l = utc_secs + i64::from(offset_at(tz, utc_secs));
    chrono::DateTime::from_timestamp(l, 0)
        .expect("in range")
        .naive_utc()
}

/// The instants of a daily rule's wall time under its DST policy: every `u` with
/// `u + offset(u) = local`, one or two; none in a gap, where `shift_forward` takes
/// [`resolve`]'s shifted instant.
fn resolve_with(tz: Tz, local: NaiveDateTime, policy: DstPolicy) -> Vec<i64> {
    let l = local_secs(local);
    let mut offsets: Vec<i64> = (-30..=28)
        .map(|k| i64::from(offset_at(tz, l + k * 1800)))
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut on_clock: Vec<i64> = offsets
        .iter()
        .map(|o| l - o)
        .filter(|&u| i64::from(offset_at(tz, u)) == l - u)
        .collect();
    on_clock.sort_unstable();
    match (on_clock.as_slice(), policy.gap, policy.overlap) {
        ([], DstGap::Skip, _) => vec![],
        ([], DstGap::ShiftForward, _) => vec![resolve(tz, local)],
        ([one], _, _) => vec![*one],
        ([first, ..], _, DstOverlap::First) => vec![*first],
        ([.., last], _, DstOverlap::Last) => vec![*last],
        (all, _, DstOverlap::Both) => all.to_vec(),
    }
}

/// Local wall time -> UTC seconds, from the definition: the instants `u` with
/// `u + offset(u) = local`. Several (an overlap): the earliest. None (a gap): the instant
/// the pre-gap offset puts it at, which is the wall time shifted forward by the gap; it is
/// recognised by the zone having moved to a larger offset there while, at the instant the
/// new offset would give, the old one was still in force.
fn resolve(tz: Tz, local: NaiveDateTime) -> i64 {
    let l = local_secs(local);
    // Every offset the zone uses within reach of `l` (offsets lie in [-12h, +14h]; no
    // offset lasts less than half an hour).
    let mut offsets: Vec<i64> = (-30..=28)
        .map(|k| i64::from(offset_at(tz, l + k * 1800)))
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let on_clock = offsets
        .iter()
        .map(|o| l - o)
        .filter(|&u| i64::from(offset_at(tz, u)) == l - u)
        .min();
    if let Some(u) = on_clock {
        return u;
    }
    offsets
        .iter()
        .filter(|&&o| {
            let after = i64::from(offset_at(tz, l - o));
            after > o && i64::from(offset_at(tz, l - after)) == o
        })
        .map(|o| l - o)
        .min()
        .unwrap_or_else(|| panic!("{local} in {tz} is neither on the clock nor in a gap"))
}
