//! `RecurrenceRule::describe`: the exact English of each wording branch, one rule at a time.

use chrono::NaiveDate;
use sgsched_recurrence::recurrence::{
    Exception, Frequency, HolidayAction, RecurrenceRule, TimeOfDay, WeekdaySpec,
};

fn at(frequency: Frequency, hour: u8, minute: u8) -> RecurrenceRule {
    RecurrenceRule::new(frequency, TimeOfDay::new(hour, minute).expect("valid time"))
}

fn days(list: &[u8]) -> Vec<WeekdaySpec> {
    list.iter().map(|d| WeekdaySpec::every(*d)).collect()
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

#[test]
fn frequency_and_interval() {
    use Frequency::*;
    let cases = [
        (Daily, 1, "Every day at 18:00"),
        (Daily, 2, "Every 2 days at 18:00"),
        (Weekly, 1, "Every week at 18:00"),
        (Weekly, 2, "Every 2 weeks at 18:00"),
        (Monthly, 1, "Every month at 18:00"),
        (Monthly, 3, "Every 3 months at 18:00"),
        (Yearly, 1, "Every year at 18:00"),
        (Yearly, 2, "Every 2 years at 18:00"),
        (Hourly, 1, "Every hour"),
        (Hourly, 2, "Every 2 hours"),
        (Minutely, 1, "Every minute"),
        (Minutely, 15, "Every 15 minutes"),
    ];
    for (frequency, interval, want) in cases {
        let rule = RecurrenceRule {
            interval,
            ..at(frequency, 18, 0)
        };
        assert_eq!(rule.describe(), want, "{frequency:?} every {interval}");
    }
}

#[test]
fn weekdays_and_weekends_have_their_own_words() {
    for frequency in [Frequency::Weekly, Frequency::Daily] {
        let rule = RecurrenceRule {
            days_of_week: days(&[1, 2, 3, 4, 5]),
            ..at(frequency, 18, 0)
        };
        assert_eq!(rule.describe(), "Every weekday at 18:00");
    }
    let weekend = RecurrenceRule {
        days_of_week: days(&[7, 6]),
        ..at(Frequency::Weekly, 10, 0)
    };
    assert_eq!(weekend.describe(), "Every weekend day at 10:00");
    let all = RecurrenceRule {
        days_of_week: days(&[1, 2, 3, 4, 5, 6, 7]),
        ..at(Frequency::Weekly, 7, 5)
    };
    assert_eq!(all.describe(), "Every day at 07:05");
}

#[test]
fn named_weekdays_sorted_and_listed() {
    let two = RecurrenceRule {
        days_of_week: days(&[3, 1]),
        ..at(Frequency::Weekly, 18, 0)
    };
    assert_eq!(two.describe(), "Every Monday and Wednesday at 18:00");
    let three = RecurrenceRule {
        days_of_week: days(&[5, 1, 3, 1]),
        ..at(Frequency::Weekly, 18, 0)
    };
    assert_eq!(
        three.describe(),
        "Every Monday, Wednesday and Friday at 18:00"
    );
}

#[test]
fn weekdays_with_an_interval_name_the_period() {
    let biweekly = RecurrenceRule {
        interval: 2,
        days_of_week: days(&[1]),
        ..at(Frequency::Weekly, 9, 0)
    };
    assert_eq!(biweekly.describe(), "Every 2 weeks on Monday at 09:00");
    let workdays = RecurrenceRule {
        interval: 2,
        days_of_week: days(&[1, 2, 3, 4, 5]),
        ..at(Frequency::Weekly, 9, 0)
    };
    assert_eq!(workdays.describe(), "Every 2 weeks on weekdays at 09:00");
    let quarterly = RecurrenceRule {
        interval: 3,
        days_of_week: days(&[1]),
        ..at(Frequency::Monthly, 9, 0)
    };
    assert_eq!(
        quarterly.describe(),
        "Every 3 months on every Monday at 09:00"
    );
}

#[test]
fn week_start_is_named_only_when_weeks_are_skipped() {
    let rule = RecurrenceRule {
        interval: 2,
        days_of_week: days(&[1, 4]),
        week_start: Some(7),
        ..at(Frequency::Weekly, 18, 0)
    };
    assert_eq!(
        rule.describe(),
        "Every 2 weeks on Monday and Thursday at 18:00 (weeks start on Sunday)"
    );
    let weekly = RecurrenceRule {
        interval: 1,
        ..rule
    };
    assert_eq!(weekly.describe(), "Every Monday and Thursday at 18:00");
}

#[test]
fn ordinal_weekdays_in_words() {
    let cases = [
        (vec![WeekdaySpec::nth(1, 1)], "the first Monday"),
        (vec![WeekdaySpec::nth(-1, 5)], "the last Friday"),
        (vec![WeekdaySpec::nth(-2, 2)], "the second-to-last Tuesday"),
        (vec![WeekdaySpec::nth(3, 3)], "the third Wednesday"),
        (
            vec![WeekdaySpec::nth(-1, 5), WeekdaySpec::nth(1, 1)],
            "the first Monday and the last Friday",
        ),
        (
            vec![WeekdaySpec::nth(1, 1), WeekdaySpec::every(5)],
            "the first Monday and every Friday",
        ),
    ];
    for (days_of_week, words) in cases {
        let rule = RecurrenceRule {
            days_of_week,
            ..at(Frequency::Monthly, 18, 0)
        };
        assert_eq!(rule.describe(), format!("Every month on {words} at 18:00"));
    }
    let yearly = RecurrenceRule {
        days_of_week: vec![WeekdaySpec::nth(20, 1)],
        ..at(Frequency::Yearly, 8, 0)
    };
    assert_eq!(yearly.describe(), "Every year on the 20th Monday at 08:00");
}

#[test]
fn days_of_month_with_ordinal_suffixes() {
    let cases: [(&[i8], &str); 5] = [
        (&[15, 1], "the 1st and 15th"),
        (&[-1], "the last day"),
        (&[-2], "the 2nd-to-last day"),
        (&[-1, 1, -2], "the 1st, 2nd-to-last day and last day"),
        (
            &[31, 23, 22, 21, 13, 12, 11, 3, 2],
            "the 2nd, 3rd, 11th, 12th, 13th, 21st, 22nd, 23rd and 31st",
        ),
    ];
    for (days_of_month, words) in cases {
        let rule = RecurrenceRule {
            days_of_month: days_of_month.to_vec(),
            ..at(Frequency::Monthly, 18, 0)
        };
        assert_eq!(rule.describe(), format!("Every month on {words} at 18:00"));
    }
}

#[test]
fn every_day_on_a_day_of_month_is_said_as_monthly() {
    let rule = RecurrenceRule {
        days_of_month: vec![1],
        ..at(Frequency::Daily, 12, 0)
    };
    assert_eq!(rule.describe(), "Every month on the 1st at 12:00");
}

#[test]
fn day_of_month_and_weekday_together_narrow() {
    let rule = RecurrenceRule {
        days_of_month: vec![13],
        days_of_week: days(&[5]),
        ..at(Frequency::Monthly, 18, 0)
    };
    assert_eq!(
        rule.describe(),
        "Every month on the 13th if it is a Friday at 18:00"
    );
}

#[test]
fn months() {
    let daily = RecurrenceRule {
        months: vec![7, 1],
        ..at(Frequency::Daily, 18, 0)
    };
    assert_eq!(daily.describe(), "Every day in January and July at 18:00");
    let yearly = RecurrenceRule {
        months: vec![1, 7],
        days_of_month: vec![1],
        ..at(Frequency::Yearly, 18, 0)
    };
    assert_eq!(
        yearly.describe(),
        "Every year on the 1st in January and July at 18:00"
    );
    let every_month = RecurrenceRule {
        months: Vec::new(),
        ..yearly
    };
    assert_eq!(
        every_month.describe(),
        "Every year on the 1st of every month at 18:00"
    );
    let weekdays_in = RecurrenceRule {
        months: vec![12],
        days_of_week: days(&[1, 2, 3, 4, 5]),
        ..at(Frequency::Yearly, 9, 0)
    };
    assert_eq!(weekdays_in.describe(), "Every weekday in December at 09:00");
}

#[test]
fn listed_hours_take_the_minute_of_time_of_day() {
    let rule = RecurrenceRule {
        hours: vec![17, 9],
        ..at(Frequency::Daily, 18, 30)
    };
    assert_eq!(rule.describe(), "Every day at 09:30 and 17:30");
}

#[test]
fn hours_and_minutes_list_every_combination_up_to_six() {
    let six = RecurrenceRule {
        hours: vec![9, 12],
        minutes: vec![45, 0, 15],
        ..at(Frequency::Daily, 18, 0)
    };
    assert_eq!(
        six.describe(),
        "Every day at 09:00, 09:15, 09:45, 12:00, 12:15 and 12:45"
    );
    let seven = RecurrenceRule {
        hours: vec![9, 10, 11, 12, 13, 14, 15],
        ..at(Frequency::Daily, 18, 0)
    };
    assert_eq!(
        seven.describe(),
        "Every day at 09:00, 10:00, 11:00, 12:00, 13:00, 14:00 and 1 more time"
    );
    let eight = RecurrenceRule {
        hours: vec![10, 9],
        minutes: vec![0, 15, 30, 45],
        ..at(Frequency::Daily, 18, 0)
    };
    assert_eq!(
        eight.describe(),
        "Every day at 09:00, 09:15, 09:30, 09:45, 10:00, 10:15 and 2 more times"
    );
}

#[test]
fn sub_daily_hours_and_minutes_are_filters() {
    let working_hours = RecurrenceRule {
        interval: 15,
        hours: (9..=17).collect(),
        days_of_week: days(&[1, 2, 3, 4, 5]),
        ..at(Frequency::Minutely, 9, 0)
    };
    assert_eq!(
        working_hours.describe(),
        "Every 15 minutes on weekdays during 09:00–17:59"
    );
    let at_minutes = RecurrenceRule {
        minutes: vec![18, 6],
        ..at(Frequency::Minutely, 0, 0)
    };
    assert_eq!(at_minutes.describe(), "Every hour at minute 6 and 18");
    let split_hours = RecurrenceRule {
        hours: vec![17, 9, 8],
        ..at(Frequency::Hourly, 8, 0)
    };
    assert_eq!(
        split_hours.describe(),
        "Every hour during 08:00–09:59 and 17:00–17:59"
    );
    let half_past = at(Frequency::Hourly, 18, 30);
    assert_eq!(half_past.describe(), "Every hour at minute 30");
    let on_monday = RecurrenceRule {
        interval: 2,
        days_of_week: days(&[1]),
        ..at(Frequency::Hourly, 0, 0)
    };
    assert_eq!(on_monday.describe(), "Every 2 hours on Monday");
}

#[test]
fn set_positions() {
    let rule = RecurrenceRule {
        days_of_week: days(&[1, 2, 3, 4, 5]),
        set_positions: vec![-1, 1],
        ..at(Frequency::Monthly, 18, 0)
    };
    assert_eq!(
        rule.describe(),
        "Every weekday at 18:00 (only the 1st and last of each month)"
    );
    let second_to_last = RecurrenceRule {
        days_of_week: days(&[5]),
        interval: 2,
        set_positions: vec![-2],
        ..at(Frequency::Weekly, 18, 0)
    };
    assert_eq!(
        second_to_last.describe(),
        "Every 2 weeks on Friday at 18:00 (only the 2nd-to-last of each week)"
    );
}

#[test]
fn bounds_count_and_exceptions() {
    let rule = RecurrenceRule {
        days_of_week: days(&[1]),
        start_date: Some(date("2027-01-04")),
        end_date: Some(date("2027-03-01")),
        count: Some(10),
        exceptions: vec![
            Exception::Skip(date("2027-01-11")),
            Exception::Skip(date("2027-01-18")),
            Exception::Holidays {
                calendar: "DE".into(),
                action: HolidayAction::Skip,
            },
        ],
        ..at(Frequency::Weekly, 18, 0)
    };
    assert_eq!(
        rule.describe(),
        "Every Monday at 18:00 from 2027-01-04 until 2027-03-01 for 10 runs (3 exceptions)"
    );
    let single = RecurrenceRule {
        start_date: None,
        end_date: None,
        count: Some(1),
        exceptions: vec![Exception::Skip(date("2027-01-11"))],
        ..rule
    };
    assert_eq!(
        single.describe(),
        "Every Monday at 18:00 for 1 run (1 exception)"
    );
}

#[test]
fn a_sub_daily_start_shows_the_time_it_steps_from() {
    let rule = RecurrenceRule {
        interval: 2,
        start_date: Some(date("2027-01-04")),
        ..at(Frequency::Hourly, 18, 0)
    };
    assert_eq!(rule.describe(), "Every 2 hours from 2027-01-04 18:00");
}

#[test]
fn rfc5545_parts_have_words() {
    use sgsched_recurrence::recurrence::parse_rrule;
    let say = |text: &str| parse_rrule(text).expect(text).0.describe();
    assert_eq!(
        say("DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"),
        "Every Monday in week 20 of the year at 09:00 from 2026-01-05"
    );
    assert_eq!(
        say("RRULE:FREQ=YEARLY;BYWEEKNO=1,-1;WKST=SU;BYHOUR=9"),
        "Every year in week 1 and the last week of the year at 09:00 (weeks start on Sunday)"
    );
    assert_eq!(
        say("RRULE:FREQ=YEARLY;BYYEARDAY=1,100,-1;BYHOUR=9"),
        "Every year on days 1 and 100 and the last day of the year at 09:00"
    );
    assert_eq!(
        say("DTSTART:20260301T091000Z\nRRULE:FREQ=HOURLY;BYMINUTE=6,18"),
        "Every hour at minute 6 and 18 from 2026-03-01 09:10"
    );
    assert_eq!(
        say("DTSTART:20260301T090000Z\nRRULE:FREQ=DAILY;UNTIL=20260310T120000Z"),
        "Every day at 09:00 from 2026-03-01 until 2026-03-10 12:00"
    );
    assert_eq!(
        say(
            "DTSTART:20260302T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO\nRRULE:FREQ=MONTHLY;BYMONTHDAY=3\nRDATE:20260310T140000Z"
        ),
        "Every Monday at 09:00 from 2026-03-02, and every month on the 3rd at 09:00, and on 2026-03-10 14:00"
    );
    assert_eq!(
        say(
            "DTSTART:20260302T090000Z\nRRULE:FREQ=DAILY\nRDATE:20260310T140000Z,20260311T140000Z\nEXDATE:20260303T090000Z"
        ),
        "Every day at 09:00 from 2026-03-02, and on 2 more dates (1 exception)"
    );
    assert_eq!(
        say(
            "DTSTART;TZID=America/New_York:20260301T023000\nRRULE:FREQ=DAILY\nX-SGSCHED-DST:GAP=SKIP;OVERLAP=BOTH"
        ),
        "Every day at 02:30 from 2026-03-01 (no run on a day its time is skipped by a clock change and both runs of a repeated time)"
    );
}
