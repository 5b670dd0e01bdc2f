//! The hand-written RFC 3339 formatters against chrono's `format`, which they replace for
//! speed: the same text for every instant, offset and edge (year bounds, leap second).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use sgsched_recurrence::timezone::{format_local, format_utc};

fn chrono_utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn chrono_local(at: DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[test]
fn known_instants() {
    let at = Utc.with_ymd_and_hms(2026, 3, 8, 14, 0, 0).unwrap();
    assert_eq!(format_utc(at), "2026-03-08T14:00:00Z");
    let ny = FixedOffset::west_opt(4 * 3600).unwrap();
    assert_eq!(
        format_local(at.with_timezone(&ny)),
        "2026-03-08T10:00:00-04:00"
    );
    // Lord Howe in summer: +11:00; in winter +10:30. Kathmandu: +05:45.
    let lh = FixedOffset::east_opt(10 * 3600 + 1800).unwrap();
    assert_eq!(
        format_local(at.with_timezone(&lh)),
        "2026-03-09T00:30:00+10:30"
    );
    let ktm = FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap();
    assert_eq!(
        format_local(at.with_timezone(&ktm)),
        "2026-03-08T19:45:00+05:45"
    );
    let utc = FixedOffset::east_opt(0).unwrap();
    assert_eq!(
        format_local(at.with_timezone(&utc)),
        "2026-03-08T14:00:00+00:00"
    );
}

#[test]
fn edges_match_chrono() {
    let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
        .unwrap()
        .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
        .unwrap()
        .and_utc();
    let edges = [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
        leap,
    ];
    for at in edges {
        assert_eq!(format_utc(at), chrono_utc(at), "{at:?}");
        for off in [
            -12 * 3600,
            -3 * 3600 - 1800,
            -29,
            0,
            30,
            3600 + 59,
            14 * 3600,
        ] {
            let tz = FixedOffset::east_opt(off).unwrap();
            // The extremes overflow in some offsets; only representable ones are compared.
            if at
                .naive_utc()
                .checked_add_signed(chrono::Duration::seconds(off.into()))
                .is_some()
            {
                let local = at.with_timezone(&tz);
                assert_eq!(format_local(local), chrono_local(local), "{at:?} {off}");
            }
        }
    }
}

proptest! {
    #[test]
    fn any_instant_and_offset_match_chrono(secs in -70_000_000_000i64..260_000_000_000i64,
                                           off in -86_399i32..86_399) {
        let at = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        prop_assert_eq!(format_utc(at), chrono_utc(at));
        let tz = FixedOffset::east_opt(off).unwrap();
        let local = at.with_timezone(&tz);
        prop_assert_eq!(format_local(local), chrono_local(local));
    }
}
