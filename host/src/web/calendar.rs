//! `/calendar?view=month|week|day&date=YYYY-MM-DD&timezone=Zone`: the caller's runs laid out
//! on local days. The layout and its reads are `crate::calendar`'s, as for the API's calendar;
//! this module chooses the range a view covers and draws it. The chosen zone is remembered in
//! a cookie, so the next visit without one opens in it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::Nav;
use super::error::PageError;
use super::guard::Viewer;
use crate::api::AppState;
use crate::calendar::{CalendarQuery, Day, GroupBy, ItemKind, week_start};
use crate::recurrence::Removal;
use crate::timezone::parse_timezone;

/// The cookie that remembers the calendar's zone.
const TZ_COOKIE: &str = "sgsched_tz";

#[derive(Deserialize, Default)]
pub struct Params {
    view: Option<String>,
    date: Option<String>,
    timezone: Option<String>,
    job_type: Option<String>,
    include_completed: Option<String>,
    include_cancelled: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum View {
    Month,
    Week,
    Day,
}

impl View {
    fn parse(s: &str) -> Option<View> {
        match s {
            "month" => Some(View::Month),
            "week" => Some(View::Week),
            "day" => Some(View::Day),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
            View::Day => "day",
        }
    }

    /// The local days the view shows (a month as whole weeks), and its previous and next date.
    fn span(self, date: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate, NaiveDate) {
        match self {
            View::Month => {
                let first = date.with_day(1).expect("day 1 exists");
                let last = first + Months::new(1) - Duration::days(1);
                let start = week_start(first);
                let end = week_start(last) + Duration::days(6);
                (start, end, first - Months::new(1), first + Months::new(1))
            }
            View::Week => {
                let start = week_start(date);
                (
                    start,
                    start + Duration::days(6),
                    start - Duration::days(7),
                    start + Duration::days(7),
                )
            }
            View::Day => (
                date,
                date,
                date - Duration::days(1),
                date + Duration::days(1),
            ),
        }
    }
}

/// What a request asked for, checked together: every bad parameter is named at once.
struct Asked {
    view: View,
    date: Option<NaiveDate>,
    tz: Tz,
    tz_given: bool,
    job_type: Option<String>,
    include_completed: bool,
    include_cancelled: bool,
}

fn check(p: Params, remembered: Option<Tz>, job_types: &[String]) -> Result<Asked, PageError> {
    let mut bad = Vec::new();
    let view = match p.view.as_deref().filter(|v| !v.is_empty()) {
        None => View::Month,
        Some(v) => View::parse(v).unwrap_or_else(|| {
            bad.push("view: must be month, week or day".to_string());
            View::Month
        }),
    };
    let date = match p.date.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) if (1900..=9000).contains(&d.year()) => Some(d),
            _ => {
                bad.push("date: must be a date YYYY-MM-DD".to_string());
                None
            }
        },
    };
    let given = p.timezone.as_deref().filter(|z| !z.is_empty());
    let tz = match given {
        None => remembered.unwrap_or(chrono_tz::UTC),
        Some(z) => parse_timezone(z).unwrap_or_else(|_| {
            bad.push("timezone: must be an IANA zone name such as Europe/Berlin".to_string());
            chrono_tz::UTC
        }),
    };
    let job_type = p.job_type.filter(|j| !j.is_empty());
    if let Some(j) = &job_type
        && !job_types.contains(j)
    {
        bad.push("job_type: must be one of the loaded job types".to_string());
    }
    if !bad.is_empty() {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            bad.join("; "),
        ));
    }
    let on = |v: &Option<String>| v.as_deref().is_some_and(|v| v == "on" || v == "true");
    Ok(Asked {
        view,
        date,
        tz,
        tz_given: given.is_some(),
        job_type,
        include_completed: on(&p.include_completed),
        include_cancelled: on(&p.include_cancelled),
    })
}

struct Link {
    label: &'static str,
    href: String,
    current: bool,
}

struct MonthCell {
    day: u32,
    date: String,
    href: String,
    in_month: bool,
    today: bool,
    count: u64,
    schedules: usize,
}

struct Entry {
    time: String,
    status: &'static str,
    name: String,
    href: String,
    why: Option<String>,
}

struct DayColumn {
    label: String,
    href: String,
    today: bool,
    count: u64,
    entries: Vec<Entry>,
    truncated: bool,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    nav: Option<Nav>,
    title: String,
    heading: String,
    timezone: String,
    date: String,
    view: &'static str,
    views: Vec<Link>,
    prev: String,
    next: String,
    today: String,
    weeks: Vec<Vec<MonthCell>>,
    days: Vec<DayColumn>,
    job_types: Vec<(String, bool)>,
    include_completed: bool,
    include_cancelled: bool,
    total: u64,
    truncated: bool,
    legend: &'static [(&'static str, &'static str)],
}

/// The statuses the calendar shows, in the legend's order, with their words.
const LEGEND: &[(&str, &str)] = &[
    ("planned", "Planned"),
    ("pending", "Waiting to run"),
    ("running", "Running"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("cancelled", "Cancelled"),
    ("removed", "Not run (see why)"),
];

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Response, PageError> {
    let remembered = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| super::session::cookie(c, TZ_COOKIE))
        .and_then(|z| {
            form_urlencoded::parse(format!("z={z}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        })
        .and_then(|z| parse_timezone(&z).ok());
    let job_types = state.plugins.job_types();
    let asked = check(params, remembered, &job_types)?;
    let tz = asked.tz;
    let today = state.scheduler.now().with_timezone(&tz).date_naive();
    let date = asked.date.unwrap_or(today);
    let (start, end, prev, next) = asked.view.span(date);
    let query = CalendarQuery {
        start,
        end,
        tz,
        group_by: match asked.view {
            View::Month => GroupBy::Month,
            _ => GroupBy::Day,
        },
        include_completed: asked.include_completed,
        include_cancelled: asked.include_cancelled,
        job_type: asked.job_type.clone(),
    };
    let user = viewer.session.user;
    let version = state.scheduler.data_version(user);
    let cal = state
        .scheduler
        .calendar(user, version, query, &state.calendar)
        .await?;
    let href = |view: View, d: NaiveDate| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("view", view.as_str())
            .append_pair("date", &d.to_string())
            .append_pair("timezone", tz.name());
        if let Some(j) = &asked.job_type {
            q.append_pair("job_type", j);
        }
        if asked.include_completed {
            q.append_pair("include_completed", "on");
        }
        if asked.include_cancelled {
            q.append_pair("include_cancelled", "on");
        }
        format!("/calendar?{}", q.finish())
    };
    let view = asked.view;
    let (weeks, days) = match view {
        View::Month => (month_cells(&cal.days, date, today, &href), Vec::new()),
        _ => {
            let columns = cal
                .days
                .iter()
                .map(|d| day_column(&cal, d, tz, today, &href))
                .collect();
            (Vec::new(), columns)
        }
    };
    let heading = match view {
        View::Month => date.format("%B %Y").to_string(),
        View::Week => format!("Week of {}", start.format("%-d %B %Y")),
        View::Day => date.format("%A %-d %B %Y").to_string(),
    };
    let views = [View::Month, View::Week, View::Day]
        .into_iter()
        .map(|v| Link {
            label: match v {
                View::Month => "Month",
                View::Week => "Week",
                View::Day => "Day",
            },
            href: href(v, date),
            current: v == view,
        })
        .collect();
    let page = CalendarPage {
        nav: Some(Nav::new(&viewer, "calendar")),
        title: format!("{heading} · Calendar"),
        heading,
        timezone: tz.name().to_string(),
        date: date.to_string(),
        view: view.as_str(),
        views,
        prev: href(view, prev),
        next: href(view, next),
        today: href(view, today),
        weeks,
        days,
        job_types: job_types
            .iter()
            .map(|j| (j.clone(), asked.job_type.as_deref() == Some(j.as_str())))
            .collect(),
        include_completed: asked.include_completed,
        include_cancelled: asked.include_cancelled,
        total: cal.total,
        truncated: cal.truncated,
        legend: LEGEND,
    };
    let mut resp = Html(page.render()?).into_response();
    if asked.tz_given {
        let zone: String = form_urlencoded::byte_serialize(tz.name().as_bytes()).collect();
        let cookie = format!("{TZ_COOKIE}={zone}; Path=/; SameSite=Lax; Max-Age=31536000");
        if let Ok(v) = cookie.parse() {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

fn month_cells(
    days: &[Day],
    date: NaiveDate,
    today: NaiveDate,
    href: &impl Fn(View, NaiveDate) -> String,
) -> Vec<Vec<MonthCell>> {
    let cells: Vec<MonthCell> = days
        .iter()
        .map(|d| MonthCell {
            day: d.date.day(),
            date: d.date.to_string(),
            href: href(View::Day, d.date),
            in_month: d.date.month() == date.month(),
            today: d.date == today,
            count: d.total_count,
            schedules: d.schedule_count,
        })
        .collect();
    let mut weeks = Vec::new();
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    weeks
}

fn day_column(
    cal: &crate::calendar::Calendar,
    d: &Day,
    tz: Tz,
    today: NaiveDate,
    href: &impl Fn(View, NaiveDate) -> String,
) -> DayColumn {
    let local = |at: chrono::DateTime<Utc>| at.with_timezone(&tz).format("%H:%M %Z").to_string();
    let when = |at: chrono::DateTime<Utc>| {
        at.with_timezone(&tz)
            .format("%a %-d %b %H:%M %Z")
            .to_string()
    };
    let entries = d
        .items
        .iter()
        .map(|it| {
            let s = &cal.schedules[it.schedule];
            let (status, why) = match &it.kind {
                ItemKind::Past {
                    status,
                    skip_reason,
                    ..
                } => (status.as_str(), skip_reason.map(|r| sentence(r.message()))),
                ItemKind::Planned => ("planned", None),
                ItemKind::Removed(r) => (
                    "removed",
                    Some(match r {
                        Removal::ExceptionDate => {
                            "Not run: an exception date of the schedule.".to_string()
                        }
                        Removal::Holiday { calendar } => {
                            format!("Not run: a holiday in the {calendar} calendar.")
                        }
                        Removal::Rescheduled { to } => format!("Rescheduled to {}.", when(*to)),
                        Removal::MovedForHoliday { calendar, to } => {
                            format!(
                                "A holiday in the {calendar} calendar: moved to {}.",
                                when(*to)
                            )
                        }
                    }),
                ),
            };
            Entry {
                time: local(it.at),
                status,
                name: s.name.clone(),
                href: format!("/schedules/{}", s.id),
                why,
            }
        })
        .collect();
    DayColumn {
        label: d.date.format("%a %-d %b").to_string(),
        href: href(View::Day, d.date),
        today: d.date == today,
        count: d.total_count,
        entries,
        truncated: d.truncated,
    }
}

/// `text` as a sentence: a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
