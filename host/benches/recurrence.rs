//! `cargo bench -p sgsched --bench recurrence`: our engine against the `rrule` crate on the
//! two workloads of issue 3, then a summary of medians and ratios from the same run; and
//! `next_after` on the RFC 5545 parts (BYWEEKNO, BYYEARDAY, hourly BYMINUTE, RDATE) for a
//! rule started this year against the same rule started a century ago, whose ratio shows
//! that a search starts at the instant's period rather than stepping from the start.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sgsched::recurrence::{HolidayCalendars, Recurrence, parse_rule, to_rrule};

const EXPAND: usize = 10_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0)
        .single()
        .expect("fixed instant")
}

struct Case {
    ours: Recurrence,
    theirs: rrule::RRuleSet,
    tz: rrule::Tz,
}

fn case(rule: serde_json::Value, tz: chrono_tz::Tz) -> Case {
    let rule = parse_rule(&rule, "").expect("valid rule");
    let ours = Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).expect("compiles");
    let theirs = to_rrule(&rule, tz)
        .parse()
        .expect("rrule crate parses our text");
    Case {
        ours,
        theirs,
        tz: rrule::Tz::Tz(tz),
    }
}

/// "daily at 09:00 in America/New_York" started five years ago.
fn daily() -> Case {
    case(
        json!({"frequency":"daily","time_of_day":"09:00","start_date":"2021-05-01"}),
        chrono_tz::America::New_York,
    )
}

/// "weekly Mon/Wed/Fri at 18:00 Europe/Berlin".
fn weekly() -> Case {
    case(
        json!({"frequency":"weekly","days_of_week":[1,3,5],"time_of_day":"18:00","start_date":"2026-01-05"}),
        chrono_tz::Europe::Berlin,
    )
}

/// One rule at two ages: started at the beginning of this year, and a century earlier.
fn aged(rule: serde_json::Value, tz: chrono_tz::Tz) -> [Recurrence; 2] {
    ["2026-01-01", "1926-01-01"].map(|start| {
        let mut rule = rule.clone();
        rule["start_date"] = json!(start);
        let rule = parse_rule(&rule, "").expect("valid rule");
        Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).expect("compiles")
    })
}

/// The RFC 5545 parts, each with the same next run at both ages (asserted).
fn aged_cases() -> Vec<(&'static str, [Recurrence; 2])> {
    vec![
        (
            "yearly BYWEEKNO=20,40 Mondays 09:00 Europe/Berlin",
            aged(
                json!({"frequency":"yearly","weeks_of_year":[20,40],"days_of_week":[1],"time_of_day":"09:00"}),
                chrono_tz::Europe::Berlin,
            ),
        ),
        (
            "yearly BYYEARDAY=1,100,-1 09:00 America/New_York",
            aged(
                json!({"frequency":"yearly","days_of_year":[1,100,-1],"time_of_day":"09:00"}),
                chrono_tz::America::New_York,
            ),
        ),
        (
            "hourly BYMINUTE=6,18 from 00:00 Europe/Berlin",
            aged(
                json!({"frequency":"hourly","minutes":[6,18],"time_of_day":"00:00"}),
                chrono_tz::Europe::Berlin,
            ),
        ),
        (
            "daily 09:00 with 3 RDATEs America/New_York",
            aged(
                json!({"frequency":"daily","time_of_day":"09:00",
                       "extra_dates":["2026-05-01T08:30","2026-05-02T07:00","2026-06-01T10:00"]}),
                chrono_tz::America::New_York,
            ),
        ),
    ]
}

fn next_of(r: &Recurrence) -> Option<DateTime<Utc>> {
    r.next_after(black_box(now())).map(|o| o.at)
}

fn ours_next(c: &Case) -> Option<DateTime<Utc>> {
    c.ours.next_after(black_box(now())).map(|o| o.at)
}

fn theirs_next(c: &Case) -> Option<DateTime<Utc>> {
    let after = now().with_timezone(&c.tz);
    c.theirs
        .clone()
        .after(black_box(after))
        .all(1)
        .dates
        .first()
        .map(|d| d.with_timezone(&Utc))
}

fn ours_expand(c: &Case) -> usize {
    let before = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("t");
    c.ours.iter_from(black_box(before)).take(EXPAND).count()
}

fn theirs_expand(c: &Case) -> usize {
    c.theirs.clone().all(EXPAND as u16).dates.len()
}

fn benches(c: &mut Criterion) {
    let (d, w) = (daily(), weekly());
    assert_eq!(ours_next(&d), theirs_next(&d), "both agree on the next run");
    assert_eq!(ours_expand(&w), theirs_expand(&w));
    let mut g = c.benchmark_group("next_after daily 09:00 New_York, 5 years old");
    g.bench_function("sgsched", |b| b.iter(|| ours_next(&d)));
    g.bench_function("rrule crate", |b| b.iter(|| theirs_next(&d)));
    g.finish();
    let mut g = c.benchmark_group("expand 10000 weekly MWF 18:00 Berlin");
    g.sample_size(20);
    g.bench_function("sgsched", |b| b.iter(|| ours_expand(&w)));
    g.bench_function("rrule crate", |b| b.iter(|| theirs_expand(&w)));
    g.finish();
    let aged = aged_cases();
    for (name, [young, old]) in &aged {
        assert_eq!(next_of(young), next_of(old), "{name}: both ages agree");
        let mut g = c.benchmark_group(format!("next_after {name}"));
        g.bench_function("started 2026", |b| b.iter(|| next_of(young)));
        g.bench_function("started 1926", |b| b.iter(|| next_of(old)));
        g.finish();
    }
    summary(&d, &w);
    aged_summary(&aged);
}

/// The two ages' medians and their ratio: about 1x when `next_after` does not depend on how
/// many periods lie between the start and the instant.
fn aged_summary(aged: &[(&'static str, [Recurrence; 2])]) {
    println!("\nnext_after by rule age (medians, same run):");
    for (name, [young, old]) in aged {
        let young_ns = median_ns(31, 2_000, || next_of(young));
        let old_ns = median_ns(31, 2_000, || next_of(old));
        println!("  {name}:");
        println!(
            "    started 2026 {:>10.3} us   started 1926 {:>10.3} us   old/young = {:.1}x",
            young_ns / 1e3,
            old_ns / 1e3,
            old_ns / young_ns
        );
    }
}

/// Median wall time of one call, in nanoseconds, over `samples` batches of `batch` calls.
fn median_ns<T>(samples: usize, batch: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                black_box(f());
            }
            t.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn summary(d: &Case, w: &Case) {
    let ours_next_ns = median_ns(31, 20_000, || ours_next(d));
    let theirs_next_ns = median_ns(11, 20, || theirs_next(d));
    let ours_exp = median_ns(15, 5, || ours_expand(w)) / EXPAND as f64;
    let theirs_exp = median_ns(15, 3, || theirs_expand(w)) / EXPAND as f64;
    println!("\nsummary (medians, same run):");
    println!("  next_after daily 09:00 America/New_York, started 5 years ago:");
    println!(
        "    sgsched {:>10.3} us   rrule crate {:>10.3} us   rrule/sgsched = {:.0}x",
        ours_next_ns / 1e3,
        theirs_next_ns / 1e3,
        theirs_next_ns / ours_next_ns
    );
    println!("  expand 10,000 weekly Mon/Wed/Fri 18:00 Europe/Berlin, per occurrence:");
    println!(
        "    sgsched {:>10.4} us   rrule crate {:>10.4} us   rrule/sgsched = {:.1}x",
        ours_exp / 1e3,
        theirs_exp / 1e3,
        theirs_exp / ours_exp
    );
    println!(
        "  targets: next_after <= 1 us: {}; expansion <= 0.1 us/occurrence and faster than rrule: {}",
        if ours_next_ns <= 1000.0 {
            "met"
        } else {
            "MISSED"
        },
        if ours_exp <= 100.0 && ours_exp < theirs_exp {
            "met"
        } else {
            "MISSED"
        }
    );
}

criterion_group!(recurrence, benches);
criterion_main!(recurrence);
