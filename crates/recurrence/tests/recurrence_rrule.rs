//! RFC 5545 RRULE text in and out, with the RFC's own examples that fit the model
//! (section 3.8.5.3, DTSTART in America/New_York).

use chrono::{DateTime, Utc};
use serde_json::json;
use sgsched_recurrence::recurrence::{
    HolidayCalendars, Recurrence, parse_rrule, parse_rule, to_rrule,
};

fn expand(text: &str, n: usize) -> Vec<String> {
    let (rule, tz) = parse_rrule(text).expect("parses");
    let tz = tz.unwrap_or(chrono_tz::UTC);
    let rec = Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).expect("compiles");
    let after: DateTime<Utc> = DateTime::parse_from_rfc3339("1990-01-01T00:00:00Z")
        .expect("t")
        .with_timezone(&Utc);
    rec.iter_from(after)
        .take(n)
        .map(|o| o.local.format("%Y-%m-%d %H:%M").to_string())
        .collect()
}

fn dates(text: &str, n: usize) -> Vec<String> {
    expand(text, n)
        .into_iter()
        .map(|s| s[..10].to_string())
        .collect()
}

const NY: &str = "DTSTART;TZID=America/New_York:";

#[test]
fn rfc_daily_examples() {
    let ten = dates(
        &format!("{NY}19970902T090000\nRRULE:FREQ=DAILY;COUNT=10"),
        20,
    );
    assert_eq!(ten.len(), 10);
    assert_eq!(ten.last().map(String::as_str), Some("1997-09-11"));
    let until = dates(
        &format!("{NY}19970902T090000\nRRULE:FREQ=DAILY;UNTIL=19971224T000000Z"),
        200,
    );
    assert_eq!(
        (until.len(), until.last().map(String::as_str)),
        (113, Some("1997-12-23"))
    );
    assert_eq!(
        dates(
            &format!("{NY}19970902T090000\nRRULE:FREQ=DAILY;INTERVAL=10;COUNT=5"),
            9
        ),
        [
            "1997-09-02",
            "1997-09-12",
            "1997-09-22",
            "1997-10-02",
            "1997-10-12"
        ]
    );
    let january = dates(
        &format!(
            "{NY}19980101T090000\nRRULE:FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA"
        ),
        200,
    );
    assert_eq!(
        (january.len(), january.last().map(String::as_str)),
        (93, Some("2000-01-31"))
    );
}

#[test]
fn rfc_weekly_examples() {
    let weekly = expand(
        &format!("{NY}19970902T090000\nRRULE:FREQ=WEEKLY;COUNT=10"),
        20,
    );
    assert_eq!(weekly.len(), 10);
    assert_eq!(weekly[9], "1997-11-04 09:00");
    assert_eq!(
        dates(
            &format!(
                "{NY}19970902T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH"
            ),
            20
        ),
        [
            "1997-09-02",
            "1997-09-04",
            "1997-09-16",
            "1997-09-18",
            "1997-09-30",
            "1997-10-02",
            "1997-10-14",
            "1997-10-16"
        ]
    );
    assert_eq!(
        dates(
            &format!(
                "{NY}19970805T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"
            ),
            9
        ),
        ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"]
    );
    assert_eq!(
        dates(
            &format!(
                "{NY}19970805T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"
            ),
            9
        ),
        ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"]
    );
}

#[test]
fn rfc_monthly_examples() {
    assert_eq!(
        dates(
            &format!("{NY}19970905T090000\nRRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR"),
            20
        ),
        [
            "1997-09-05",
            "1997-10-03",
            "1997-11-07",
            "1997-12-05",
            "1998-01-02",
            "1998-02-06",
            "1998-03-06",
            "1998-04-03",
            "1998-05-01",
            "1998-06-05"
        ]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970922T090000\nRRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"),
            9
        ),
        [
            "1997-09-22",
            "1997-10-20",
            "1997-11-17",
            "1997-12-22",
            "1998-01-19",
            "1998-02-16"
        ]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970928T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-3"),
            6
        ),
        [
            "1997-09-28",
            "1997-10-29",
            "1997-11-28",
            "1997-12-29",
            "1998-01-29",
            "1998-02-26"
        ]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970930T090000\nRRULE:FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1"),
            20
        ),
        [
            "1997-09-30",
            "1997-10-01",
            "1997-10-31",
            "1997-11-01",
            "1997-11-30",
            "1997-12-01",
            "1997-12-31",
            "1998-01-01",
            "1998-01-31",
            "1998-02-01"
        ]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13"),
            5
        ),
        [
            "1998-02-13",
            "1998-03-13",
            "1998-11-13",
            "1999-08-13",
            "2000-10-13"
        ]
    );
    assert_eq!(
        dates(
            &format!(
                "{NY}19970913T090000\nRRULE:FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13"
            ),
            5
        ),
        [
            "1997-09-13",
            "1997-10-11",
            "1997-11-08",
            "1997-12-13",
            "1998-01-10"
        ]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970904T090000\nRRULE:FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"),
            9
        ),
        ["1997-09-04", "1997-10-07", "1997-11-06"]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970901T090000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
            4
        ),
        ["1997-09-30", "1997-10-31", "1997-11-28", "1997-12-31"]
    );
}

#[test]
fn rfc_yearly_examples() {
    assert_eq!(
        dates(
            &format!("{NY}19970610T090000\nRRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7"),
            20
        )
        .len(),
        10
    );
    assert_eq!(
        dates(
            &format!("{NY}19970313T090000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=TH"),
            7
        ),
        [
            "1997-03-13",
            "1997-03-20",
            "1997-03-27",
            "1998-03-05",
            "1998-03-12",
            "1998-03-19",
            "1998-03-26"
        ]
    );
    assert_eq!(
        dates(
            &format!("{NY}19970519T090000\nRRULE:FREQ=YEARLY;BYDAY=20MO"),
            3
        ),
        ["1997-05-19", "1998-05-18", "1999-05-17"]
    );
    assert_eq!(
        dates(
            &format!(
                "{NY}19961105T090000\nRRULE:FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8"
            ),
            3
        ),
        ["1996-11-05", "2000-11-07", "2004-11-02"]
    );
}

#[test]
fn rfc_every_20_minutes_in_office_hours_two_ways() {
    let daily = expand(
        &format!(
            "{NY}19970902T090000\nRRULE:FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40"
        ),
        25,
    );
    let minutely = expand(
        &format!(
            "{NY}19970902T090000\nRRULE:FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16"
        ),
        25,
    );
    assert_eq!(daily, minutely);
    assert_eq!(
        daily[..3],
        ["1997-09-02 09:00", "1997-09-02 09:20", "1997-09-02 09:40"]
    );
    assert_eq!(daily[23], "1997-09-02 16:40");
    assert_eq!(daily[24], "1997-09-03 09:00");
}

#[test]
fn json_to_rrule_text() {
    let rule = parse_rule(&json!({"frequency":"weekly","interval":2,"days_of_week":[1,{"day":5,"ordinal":-1}],
        "time_of_day":"09:00","start_date":"2026-01-05","end_date":"2026-12-31","exceptions":["2026-12-25"]}), "")
        .expect_err("ordinal needs monthly");
    assert_eq!(rule[0].field, "days_of_week[1].ordinal");
    let rule = parse_rule(
        &json!({"frequency":"weekly","interval":2,"days_of_week":[1,3],"time_of_day":"09:00",
        "start_date":"2026-01-05","end_date":"2026-12-31","exceptions":["2026-12-25"]}),
        "",
    )
    .expect("valid");
    let text = to_rrule(&rule, chrono_tz::America::New_York);
    assert_eq!(
        text,
        "DTSTART;TZID=America/New_York:20260105T090000\n\
        RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20270101T045959Z;BYDAY=MO,WE\n\
        EXDATE;VALUE=DATE:20261225"
    );
    let (back, tz) = parse_rrule(&text).expect("parses");
    assert_eq!(back, rule);
    assert_eq!(tz, Some(chrono_tz::America::New_York));
    let monthly = parse_rule(&json!({"frequency":"monthly","days_of_week":[{"day":1,"ordinal":1}],"time_of_day":"09:00"}), "").expect("valid");
    assert_eq!(
        to_rrule(&monthly, chrono_tz::UTC),
        "RRULE:FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0"
    );
    assert_eq!(
        parse_rrule("RRULE:FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0").expect("parses"),
        (monthly, None)
    );
}

#[test]
fn bare_rule_text_is_accepted() {
    let (rule, tz) = parse_rrule("FREQ=WEEKLY;BYDAY=MO,WE").expect("parses");
    assert_eq!(
        serde_json::to_value(&rule).expect("json"),
        json!({"frequency":"weekly","interval":1,"days_of_week":[1,3],
        "time_of_day":"00:00","start_date":null,"end_date":null,"count":null})
    );
    assert_eq!(tz, None);
}

#[test]
fn parse_errors_name_the_part() {
    let part = |text: &str| parse_rrule(text).expect_err(text).part;
    assert_eq!(part("RRULE:FREQ=SECONDLY"), "FREQ");
    assert_eq!(part("RRULE:FREQ=WEEKLY;BYDAY=MO,XX"), "BYDAY");
    assert_eq!(part("RRULE:FREQ=WEEKLY;BYWEEKNO=20"), "BYWEEKNO");
    assert_eq!(part("RRULE:FREQ=DAILY;INTERVAL=0"), "INTERVAL");
    assert_eq!(part("RRULE:FREQ=DAILY;INTERVAL=two"), "INTERVAL");
    assert_eq!(part("RRULE:FREQ=MONTHLY;BYMONTHDAY=32"), "BYMONTHDAY");
    assert_eq!(part("RRULE:FREQ=YEARLY;BYMONTH=13"), "BYMONTH");
    assert_eq!(part("RRULE:FREQ=DAILY;COUNT=2;UNTIL=20260101"), "UNTIL");
    assert_eq!(part("RRULE:FREQ=DAILY;BYHOUR=24"), "BYHOUR");
    assert_eq!(part("RRULE:FREQ=DAILY;BYSETPOS=0"), "BYSETPOS");
    assert_eq!(part("RRULE:FREQ=DAILY;WKST=XX"), "WKST");
    assert_eq!(part("RRULE:INTERVAL=2"), "FREQ");
    assert_eq!(
        part("DTSTART;TZID=Mars/Base:20260101T090000\nRRULE:FREQ=DAILY"),
        "DTSTART"
    );
    assert_eq!(part("DTSTART:20260101T090030\nRRULE:FREQ=DAILY"), "DTSTART");
    assert_eq!(part("DTSTART:20260101T090000"), "RRULE");
    // Found by fuzzing: a target with seconds was accepted and lost them when written back.
    assert_eq!(
        part("RRULE:FREQ=DAILY\nX-SGSCHED-RESCHEDULE:20260913=20260914T100008"),
        "X-SGSCHED-RESCHEDULE"
    );
    let e = parse_rrule("DTSTART;TZID=America/New_Yrok:20260101T090000\nRRULE:FREQ=DAILY")
        .expect_err("zone");
    assert!(e.message.contains("America/New_York"), "{e}");
}

#[test]
fn exceptions_and_extensions_round_trip() {
    let rule = parse_rule(&json!({"frequency":"minutely","interval":15,"days_of_week":[1,2,3,4,5],"hours":[9,10,11],
        "time_of_day":"09:00","count":40,"exceptions":[{"date":"2026-12-24","action":"reschedule","to":"2026-12-23T10:00"},
        {"holiday_calendar":"US","action":"next_business_day"},"2026-12-31",{"holiday_calendar":"de","action":"skip"}]}), "").expect("valid");
    let text = to_rrule(&rule, chrono_tz::UTC);
    assert!(text.contains("X-SGSCHED-TIME=09:00"), "{text}");
    assert_eq!(parse_rrule(&text).expect("parses").0, rule);
    let rule = parse_rule(&json!({"frequency":"monthly","days_of_week":[1,2,3,4,5],"set_positions":[-1],"week_start":7,
        "time_of_day":"17:30","start_date":"2026-01-01","end_date":"2027-01-01"}), "").expect("valid");
    let text = to_rrule(&rule, chrono_tz::Australia::Lord_Howe);
    assert_eq!(
        parse_rrule(&text).expect("parses"),
        (rule, Some(chrono_tz::Australia::Lord_Howe))
    );
}
