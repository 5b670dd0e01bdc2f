//! rule_iter: a small rule built from the input, its first occurrences from the engine
//! against a reference expansion written here the slow, obvious way: walk the local dates
//! one by one (or the elapsed-time steps of an hourly/minutely rule), test each against the
//! rule, and turn local time into UTC by searching the zone's offsets for DESIGN.md's DST
//! policy (a time in a gap runs shifted forward by the gap, a time in an overlap once, at
//! the earlier instant). The engine is also asked from the middle of the list, to check its
//! seek. Equality is asserted on the UTC instant and the offset shown with it.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeZone, Weekday};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use sgsched_recurrence::recurrence::{
    Frequency, HolidayCalendars, Recurrence, RecurrenceRule, TimeOfDay, WeekdaySpec,
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
    rule
}

fuzz_target!(|input: Input| {
    let rule = rule_of(&input);
    let tz = ZONES[usize::from(input.zone) % ZONES.len()];
    let rec = Recurrence::new(&rule, tz, &HolidayCalendars::builtin())
        .unwrap_or_else(|e| panic!("a well-formed rule compiles: {e}; {rule:?}"));
    let (expected, horizon) = reference(&rule, tz);
    let start = rule.start_date.expect("set");
    let before_start = local_secs(start.and_hms_opt(0, 0, 0).expect("midnight")) - 2 * 86_400;
    let ours = engine(&rec, before_start, horizon, WANTED);
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

/// The first occurrences and the UTC instant up to which the list is complete.
fn reference(rule: &RecurrenceRule, tz: Tz) -> (Vec<(i64, i32)>, i64) {
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
        let mut at = resolve(tz, start.and_time(rule.time_of_day.to_naive()));
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
            push(
                &mut out,
                resolve(tz, day.and_time(rule.time_of_day.to_naive())),
            );
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
    let no_days = rule.days_of_week.is_empty() && rule.days_of_month.is_empty();
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

/// The BYMONTH / BYMONTHDAY / BYDAY parts alone: each given part must allow the date.
fn date_filter_matches(rule: &RecurrenceRule, d: NaiveDate) -> bool {
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
