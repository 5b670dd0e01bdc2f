//! The rule in short plain English for people reading a web page ("Every weekday at
//! 18:00"): [`RecurrenceRule::describe`] and its wording helpers, nothing else.
//!
//! The words follow how the engine runs a rule (RFC 5545: date parts narrow, `hours` and
//! `minutes` are times of the day for daily and longer but filters for minutely and
//! hourly) without computing an occurrence. The timezone is the caller's to append.

use super::rule::{DstGap, DstOverlap, Frequency, RecurrenceRule, WeekdaySpec};

/// Past this many times a day a list stops helping a reader; the rest is a count.
const MAX_LISTED_TIMES: usize = 6;

impl RecurrenceRule {
    /// The rule in plain English, e.g. "Every weekday at 18:00" or "Every month on the last
    /// Friday at 09:00 until 2027-03-01", without the timezone. Total: an invalid rule
    /// still gets words, only not necessarily meaningful ones.
    pub fn describe(&self) -> String {
        let mut out = self.days_phrase();
        let months = sorted_unique(self.months.iter().copied(), |m| m);
        if !months.is_empty() {
            out += " in ";
            out += &and_list(months.into_iter().map(month_name).collect());
        }
        out += &self.year_parts_phrase();
        out += &self.times_phrase();
        let positions = sorted_unique(self.set_positions.iter().copied(), |p| (p < 0, p));
        if !positions.is_empty() {
            let words = positions
                .into_iter()
                .map(|p| from_end(i32::from(p)))
                .collect();
            out += &format!(
                " (only the {} of each {})",
                and_list(words),
                unit(self.frequency)
            );
        }
        // The week's first day only moves which weeks count when weeks are skipped.
        if (self.frequency == Frequency::Weekly && self.interval > 1
            || !self.weeks_of_year.is_empty())
            && let Some(w) = self.week_start.filter(|w| *w != 1)
        {
            out += &format!(" (weeks start on {})", weekday_name(w));
        }
        if let Some(start) = self.start_date {
            // A minutely or hourly rule steps from the start's time, which nothing else
            // in its words shows.
            if self.frequency.is_sub_daily() {
                out += &format!(" from {start} {}", self.time_of_day);
            } else {
                out += &format!(" from {start}");
            }
        }
        if let Some(end) = self.end_date {
            out += &format!(" until {end}");
        }
        if let Some(until) = self.until {
            out += &format!(" until {}", until.format("%Y-%m-%d %H:%M"));
        }
        if let Some(count) = self.count {
            out += &format!(" for {}", plural(u64::from(count), "run"));
        }
        for pattern in &self.additional_rules {
            let mut other = self.with_pattern(pattern);
            other.start_date = None;
            let words = other.describe();
            // "Every …" continues the sentence in lower case.
            let mut chars = words.chars();
            if let Some(first) = chars.next() {
                out += &format!(", and {}{}", first.to_lowercase(), chars.as_str());
            }
        }
        if !self.extra_dates.is_empty() {
            out += &format!(
                ", and {}",
                match &self.extra_dates[..] {
                    [one] => format!("on {}", one.format("%Y-%m-%d %H:%M")),
                    many => format!("on {} more dates", many.len()),
                }
            );
        }
        if !self.exceptions.is_empty() {
            out += &format!(" ({})", plural(self.exceptions.len() as u64, "exception"));
        }
        let mut dst = Vec::new();
        if self.dst_policy.gap == DstGap::Skip {
            dst.push("no run on a day its time is skipped by a clock change");
        }
        match self.dst_policy.overlap {
            DstOverlap::First => {}
            DstOverlap::Last => dst.push("the later run of a repeated time"),
            DstOverlap::Both => dst.push("both runs of a repeated time"),
        }
        if !dst.is_empty() {
            out += &format!(
                " ({})",
                and_list(dst.into_iter().map(String::from).collect())
            );
        }
        out
    }

    /// " in week 20" and " on day 1 and 100 of the year" (BYWEEKNO, BYYEARDAY).
    fn year_parts_phrase(&self) -> String {
        let mut out = String::new();
        let weeks = sorted_unique(self.weeks_of_year.iter().copied(), |w| (w < 0, w));
        if !weeks.is_empty() {
            let (plain, from_end_of): (Vec<i8>, Vec<i8>) = weeks.iter().partition(|w| **w > 0);
            let mut words: Vec<String> = Vec::new();
            if !plain.is_empty() {
                let noun = if plain.len() == 1 { "week" } else { "weeks" };
                let numbers = plain.iter().map(i8::to_string).collect();
                words.push(format!("{noun} {}", and_list(numbers)));
            }
            for w in from_end_of {
                words.push(format!("the {} week", from_end(i32::from(w))));
            }
            out += &format!(" in {} of the year", and_list(words));
        }
        let days = sorted_unique(self.days_of_year.iter().copied(), |d| (d < 0, d));
        if !days.is_empty() {
            let (plain, from_end_of): (Vec<i16>, Vec<i16>) = days.iter().partition(|d| **d > 0);
            let mut words: Vec<String> = Vec::new();
            if !plain.is_empty() {
                let noun = if plain.len() == 1 { "day" } else { "days" };
                let numbers = plain.iter().map(i16::to_string).collect();
                words.push(format!("{noun} {}", and_list(numbers)));
            }
            for d in from_end_of {
                words.push(format!("the {} day", from_end(i32::from(d))));
            }
            out += &format!(" on {} of the year", and_list(words));
        }
        out
    }

    /// "Every …" with the days it runs on.
    fn days_phrase(&self) -> String {
        let (ordinals, plain): (Vec<WeekdaySpec>, Vec<WeekdaySpec>) =
            self.days_of_week.iter().partition(|w| w.ordinal.is_some());
        let plain = sorted_unique(plain.into_iter().map(|w| w.day), |d| d);
        let ordinals = sorted_unique(ordinals, |w| {
            let n = w.ordinal.unwrap_or(0);
            (n < 0, n, w.day)
        });
        let month_days = sorted_unique(self.days_of_month.iter().copied(), |d| (d < 0, d));
        let freq = self.frequency;
        // At interval 1 a daily or longer rule with only plain weekdays runs on exactly
        // those days, whatever the period, so the period goes unsaid.
        if self.interval == 1
            && !freq.is_sub_daily()
            && ordinals.is_empty()
            && month_days.is_empty()
            && let Some(set) = DaySet::of(&plain)
        {
            return set.every();
        }
        let (mut out, in_months) =
            if freq == Frequency::Daily && self.interval == 1 && !month_days.is_empty() {
                // Every day filtered by day of month is a monthly rule; say it so.
                ("Every month".to_string(), true)
            } else if freq == Frequency::Minutely && self.interval == 1 && !self.minutes.is_empty()
            {
                // Every minute kept only at listed minutes reads as an hourly pattern.
                ("Every hour".to_string(), false)
            } else {
                (
                    every(freq, self.interval),
                    matches!(freq, Frequency::Monthly | Frequency::Yearly),
                )
            };
        let mut weekday_items: Vec<String> = ordinals.iter().map(|w| nth_weekday(*w)).collect();
        if !month_days.is_empty() {
            let words = month_days.into_iter().map(day_of_month).collect();
            out += &format!(" on the {}", and_list(words));
            // A yearly rule with days of the month but no months runs in every month.
            if freq == Frequency::Yearly && self.months.is_empty() {
                out += " of every month";
            }
            if let Some(set) = DaySet::of(&plain) {
                weekday_items.push(set.one_of());
            }
            if !weekday_items.is_empty() {
                out += &format!(" if it is {}", or_list(weekday_items));
            }
        } else {
            // "Every 3 months on Monday" could mean one Monday; in a month or year the
            // plain weekdays need "every".
            if let Some(set) = DaySet::of(&plain) {
                weekday_items.push(if in_months { set.each() } else { set.on() });
            }
            if !weekday_items.is_empty() {
                out += &format!(" on {}", and_list(weekday_items));
            }
        }
        out
    }

    /// " at 09:00 and 17:00" for daily and longer; the hour and minute filters otherwise.
    fn times_phrase(&self) -> String {
        let tod = self.time_of_day;
        if self.frequency.is_sub_daily() {
            let mut out = String::new();
            let mut minutes = sorted_unique(self.minutes.iter().copied(), |m| m);
            // An hourly rule keeps its start's minute in every step.
            if minutes.is_empty() && self.frequency == Frequency::Hourly && tod.minute != 0 {
                minutes.push(tod.minute);
            }
            if !minutes.is_empty() {
                let words = minutes.iter().map(u8::to_string).collect();
                out += &format!(" at minute {}", and_list(words));
            }
            let hours = sorted_unique(self.hours.iter().copied(), |h| h);
            if !hours.is_empty() {
                out += &format!(" during {}", and_list(hour_ranges(&hours)));
            }
            return out;
        }
        let hours = if self.hours.is_empty() {
            vec![tod.hour]
        } else {
            self.hours.clone()
        };
        let minutes = if self.minutes.is_empty() {
            vec![tod.minute]
        } else {
            self.minutes.clone()
        };
        // Chronological and without repeats, as the engine runs them.
        let mut times: Vec<(u8, u8)> = hours
            .iter()
            .flat_map(|h| minutes.iter().map(move |m| (*h, *m)))
            .filter(|(h, m)| *h < 24 && *m < 60)
            .collect();
        times.sort_unstable();
        times.dedup();
        if times.is_empty() {
            return String::new();
        }
        let rest = times.len().saturating_sub(MAX_LISTED_TIMES);
        let mut words: Vec<String> = times
            .iter()
            .take(MAX_LISTED_TIMES)
            .map(|(h, m)| format!("{h:02}:{m:02}"))
            .collect();
        if rest > 0 {
            let noun = if rest == 1 { "time" } else { "times" };
            words.push(format!("{rest} more {noun}"));
        }
        format!(" at {}", and_list(words))
    }
}

/// The plain weekdays of a rule, with the two sets people name by a word.
enum DaySet {
    All,
    Weekdays,
    Weekend,
    Days(Vec<u8>),
}

impl DaySet {
    /// `days` sorted and without repeats; `None` when empty.
    fn of(days: &[u8]) -> Option<DaySet> {
        Some(match days {
            [] => return None,
            [1, 2, 3, 4, 5, 6, 7] => DaySet::All,
            [1, 2, 3, 4, 5] => DaySet::Weekdays,
            [6, 7] => DaySet::Weekend,
            _ => DaySet::Days(days.to_vec()),
        })
    }

    fn names(days: &[u8]) -> Vec<String> {
        days.iter().map(|d| weekday_name(*d)).collect()
    }

    /// The whole head: "Every weekday", "Every Monday and Wednesday".
    fn every(&self) -> String {
        match self {
            DaySet::All => "Every day".into(),
            DaySet::Weekdays => "Every weekday".into(),
            DaySet::Weekend => "Every weekend day".into(),
            DaySet::Days(d) => format!("Every {}", and_list(DaySet::names(d))),
        }
    }

    /// After "on" once a period is named: "Every 2 weeks on Monday".
    fn on(&self) -> String {
        match self {
            DaySet::All => "every day".into(),
            DaySet::Weekdays => "weekdays".into(),
            DaySet::Weekend => "weekends".into(),
            DaySet::Days(d) => and_list(DaySet::names(d)),
        }
    }

    /// After "on" in a month or year: "Every 3 months on every Monday".
    fn each(&self) -> String {
        match self {
            DaySet::All => "every day".into(),
            DaySet::Weekdays => "every weekday".into(),
            DaySet::Weekend => "every weekend day".into(),
            DaySet::Days(d) => format!("every {}", and_list(DaySet::names(d))),
        }
    }

    /// After "if it is": "on the 13th if it is a Friday".
    fn one_of(&self) -> String {
        match self {
            DaySet::All => "any day".into(),
            DaySet::Weekdays => "a weekday".into(),
            DaySet::Weekend => "a weekend day".into(),
            DaySet::Days(d) => format!("a {}", or_list(DaySet::names(d))),
        }
    }
}

/// `items` ordered by `key` with repeats dropped, so "1st and 1st" never shows. Positions
/// from either end sort by `(n < 0, n)`: "1st, 15th, 2nd-to-last, last".
fn sorted_unique<T: Copy + PartialEq, K: Ord>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(T) -> K,
) -> Vec<T> {
    let mut items: Vec<T> = items.into_iter().collect();
    items.sort_by_key(|t| key(*t));
    items.dedup();
    items
}

fn unit(freq: Frequency) -> &'static str {
    match freq {
        Frequency::Minutely => "minute",
        Frequency::Hourly => "hour",
        Frequency::Daily => "day",
        Frequency::Weekly => "week",
        Frequency::Monthly => "month",
        Frequency::Yearly => "year",
    }
}

fn every(freq: Frequency, interval: u32) -> String {
    if interval == 1 {
        format!("Every {}", unit(freq))
    } else {
        format!("Every {interval} {}s", unit(freq))
    }
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn joined(mut items: Vec<String>, word: &str) -> String {
    match items.len() {
        0 => String::new(),
        1 => items.remove(0),
        _ => {
            let last = items.pop().unwrap_or_default();
            format!("{} {word} {last}", items.join(", "))
        }
    }
}

fn and_list(items: Vec<String>) -> String {
    joined(items, "and")
}

fn or_list(items: Vec<String>) -> String {
    joined(items, "or")
}

fn weekday_name(day: u8) -> String {
    const NAMES: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    match NAMES.get(usize::from(day).wrapping_sub(1)) {
        Some(name) => (*name).to_string(),
        None => format!("day {day}"),
    }
}

fn month_name(month: u8) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    match NAMES.get(usize::from(month).wrapping_sub(1)) {
        Some(name) => (*name).to_string(),
        None => format!("month {month}"),
    }
}

/// "1st", "2nd", "11th", "23rd".
fn numbered(n: u32) -> String {
    let suffix = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A position counted from either end in figures: "1st", "last", "2nd-to-last".
fn from_end(n: i32) -> String {
    match n {
        -1 => "last".into(),
        n if n < 0 => format!("{}-to-last", numbered(n.unsigned_abs())),
        n => numbered(n.unsigned_abs()),
    }
}

fn day_of_month(d: i8) -> String {
    if d < 0 {
        format!("{} day", from_end(i32::from(d)))
    } else {
        from_end(i32::from(d))
    }
}

/// Weekday ordinals in words ("the first Monday", "the second-to-last Tuesday") as people
/// say them; a year's ordinals beyond the fifth fall back to figures.
fn nth_weekday(w: WeekdaySpec) -> String {
    const WORDS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];
    let n = w.ordinal.unwrap_or(1);
    let count = match WORDS.get(usize::from(n.unsigned_abs()).wrapping_sub(1)) {
        Some(word) => (*word).to_string(),
        None => numbered(u32::from(n.unsigned_abs())),
    };
    let position = match n {
        -1 => "last".to_string(),
        n if n < 0 => format!("{count}-to-last"),
        _ => count,
    };
    format!("the {position} {}", weekday_name(w.day))
}

/// Runs of consecutive hours as clock spans: [9, 10, 11, 17] -> "09:00–11:59", "17:00–17:59".
fn hour_ranges(hours: &[u8]) -> Vec<String> {
    let mut spans: Vec<(u8, u8)> = Vec::new();
    for h in hours.iter().copied().filter(|h| *h < 24) {
        match spans.last_mut() {
            Some((_, last)) if *last + 1 == h => *last = h,
            _ => spans.push((h, h)),
        }
    }
    spans
        .into_iter()
        .map(|(a, b)| format!("{a:02}:00–{b:02}:59"))
        .collect()
}
