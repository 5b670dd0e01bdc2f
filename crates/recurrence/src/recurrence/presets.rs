//! Common patterns offered to users (`GET /v1/schedules/patterns`): the brief's six and
//! more, each a name, a description and a rule without `start_date` (the schedule's
//! creation date fills it in).

use std::sync::OnceLock;

use super::rule::{Frequency, RecurrenceRule, TimeOfDay, WeekdaySpec};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preset {
    pub name: &'static str,
    pub description: &'static str,
    pub rule: RecurrenceRule,
}

fn at(frequency: Frequency, hour: u8, minute: u8) -> RecurrenceRule {
    RecurrenceRule::new(frequency, TimeOfDay { hour, minute })
}

fn days(list: &[u8]) -> Vec<WeekdaySpec> {
    list.iter().map(|d| WeekdaySpec::every(*d)).collect()
}

fn build() -> Vec<Preset> {
    use Frequency::*;
    let p = |name, description, rule| Preset {
        name,
        description,
        rule,
    };
    vec![
        p("daily_9am", "Every day at 09:00", at(Daily, 9, 0)),
        p(
            "weekdays_6pm",
            "Monday to Friday at 18:00",
            RecurrenceRule {
                days_of_week: days(&[1, 2, 3, 4, 5]),
                ..at(Weekly, 18, 0)
            },
        ),
        p(
            "weekly_monday",
            "Every Monday at 10:00",
            RecurrenceRule {
                days_of_week: days(&[1]),
                ..at(Weekly, 10, 0)
            },
        ),
        p(
            "twice_weekly",
            "Mondays and Thursdays at 09:00",
            RecurrenceRule {
                days_of_week: days(&[1, 4]),
                ..at(Weekly, 9, 0)
            },
        ),
        p(
            "first_of_month",
            "The 1st of every month at 12:00",
            RecurrenceRule {
                days_of_month: vec![1],
                ..at(Monthly, 12, 0)
            },
        ),
        p(
            "every_2_weeks",
            "Every other Monday at 09:00",
            RecurrenceRule {
                interval: 2,
                days_of_week: days(&[1]),
                ..at(Weekly, 9, 0)
            },
        ),
        p(
            "weekends",
            "Saturdays and Sundays at 10:00",
            RecurrenceRule {
                days_of_week: days(&[6, 7]),
                ..at(Weekly, 10, 0)
            },
        ),
        p(
            "last_day_of_month",
            "The last day of every month at 17:00",
            RecurrenceRule {
                days_of_month: vec![-1],
                ..at(Monthly, 17, 0)
            },
        ),
        p(
            "first_monday_of_month",
            "The first Monday of every month at 09:00",
            RecurrenceRule {
                days_of_week: vec![WeekdaySpec::nth(1, 1)],
                ..at(Monthly, 9, 0)
            },
        ),
        p(
            "last_weekday_of_month",
            "The last working day (Monday to Friday) of every month at 17:00",
            RecurrenceRule {
                days_of_week: days(&[1, 2, 3, 4, 5]),
                set_positions: vec![-1],
                ..at(Monthly, 17, 0)
            },
        ),
        p(
            "quarterly",
            "The 1st of January, April, July and October at 09:00",
            RecurrenceRule {
                days_of_month: vec![1],
                months: vec![1, 4, 7, 10],
                ..at(Yearly, 9, 0)
            },
        ),
        p(
            "yearly_jan_1",
            "Every 1st of January at 00:00",
            RecurrenceRule {
                days_of_month: vec![1],
                months: vec![1],
                ..at(Yearly, 0, 0)
            },
        ),
        p("hourly", "Every hour on the hour", at(Hourly, 0, 0)),
        p(
            "every_30_minutes",
            "Every 30 minutes",
            RecurrenceRule {
                interval: 30,
                ..at(Minutely, 0, 0)
            },
        ),
        p(
            "every_15_minutes_working_hours",
            "Every 15 minutes from 09:00 to 16:45, Monday to Friday",
            RecurrenceRule {
                interval: 15,
                days_of_week: days(&[1, 2, 3, 4, 5]),
                hours: (9..=16).collect(),
                ..at(Minutely, 9, 0)
            },
        ),
        p(
            "twice_daily",
            "Every day at 09:00 and 17:00",
            RecurrenceRule {
                hours: vec![9, 17],
                ..at(Daily, 9, 0)
            },
        ),
    ]
}

/// The presets, built once.
pub fn presets() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(build)
}
