//! Schema-only types: the request bodies (parsed field by field from JSON, so they have no
//! structs of their own), the schemas of the domain's string enums (generated from the enums)
//! and a few enums the API renders without a domain type of their own. They exist for
//! the OpenAPI document only and must accept exactly what `schedules::body`, `fields` and
//! `recurrence::parse_rule` accept.

#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

/// The domain's string enums, described from their own variants (`ALL`, `as_str`), so the
/// document lists exactly the values the API reads and writes.
macro_rules! string_enum_schema {
    ($($ty:ident: $doc:literal),+ $(,)?) => {$(
        impl utoipa::PartialSchema for crate::model::$ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let mut schema = utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(crate::model::$ty::ALL.iter().map(|v| v.as_str())));
                if !$doc.is_empty() {
                    schema = schema.description(Some($doc));
                }
                schema.into()
            }
        }

        impl utoipa::ToSchema for crate::model::$ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($ty))
            }
        }
    )+};
}

string_enum_schema!(
    ScheduleStatus: "",
    Priority: "",
    ScheduleType: "",
    MissedPolicy: "",
    OverlapPolicy: "",
    ExecutionStatus: "",
    JobState: "The local job system's job states.",
    SkipReason: "Why a skipped occurrence did not run: the previous run overlapped (policy `skip`), it was\nmissed past the grace window, or it fell due while the schedule was paused.",
);

/// A calendar item: an execution's status, or `planned` for a future run from the rule.
#[derive(ToSchema)]
#[schema(as = CalendarItemStatus)]
#[allow(non_camel_case_types)]
pub enum CalendarItemStatusSchema {
    pending,
    running,
    completed,
    failed,
    skipped,
    cancelled,
    planned,
    removed,
}

#[derive(ToSchema)]
#[schema(as = RemovalReason)]
#[allow(non_camel_case_types)]
pub enum RemovalReason {
    exception_date,
    holiday,
    rescheduled,
    moved_for_holiday,
}

#[derive(ToSchema)]
#[schema(as = AlertKind)]
#[allow(non_camel_case_types)]
pub enum AlertKindSchema {
    consecutive_failures,
    overdue,
    approaching_max_runs,
    running_too_long,
}

/// `crate::alerts::Alert` as rendered.
#[derive(ToSchema)]
#[schema(as = Alert)]
pub struct AlertSchema {
    pub kind: AlertKindSchema,
    pub schedule_id: String,
    pub schedule_name: String,
    pub message: String,
    pub execution_id: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = AlertList)]
pub struct AlertListSchema {
    pub alerts: Vec<AlertSchema>,
}

#[derive(ToSchema)]
#[schema(as = Frequency)]
#[allow(non_camel_case_types)]
pub enum FrequencySchema {
    minutely,
    hourly,
    daily,
    weekly,
    monthly,
    yearly,
}

/// The n-th weekday of the month (1..=5 or -5..=-1) or year (1..=53 or -53..=-1).
#[derive(ToSchema)]
#[schema(as = OrdinalWeekday)]
pub struct OrdinalWeekdaySchema {
    /// 1 = Monday … 7 = Sunday.
    #[schema(minimum = 1, maximum = 7)]
    pub day: u8,
    #[schema(minimum = -53, maximum = 53)]
    pub ordinal: Option<i8>,
}

/// A weekday number 1-7 (Monday = 1) or `{day, ordinal}` (`{"day": 5, "ordinal": -1}` = the
/// last Friday).
#[derive(ToSchema)]
#[schema(as = Weekday)]
#[serde(untagged)]
pub enum WeekdaySchema {
    Plain(WeekdayNumber),
    Ordinal(OrdinalWeekdaySchema),
}

#[derive(ToSchema)]
#[schema(as = SkipDate)]
#[allow(non_camel_case_types)]
pub enum SkipAction {
    skip,
    reschedule,
}

#[derive(ToSchema)]
#[schema(as = HolidayAction)]
#[allow(non_camel_case_types)]
pub enum HolidayActionSchema {
    skip,
    next_business_day,
}

/// Skip one local date, or move its run to `to` (local `YYYY-MM-DDTHH:MM`, required with
/// `reschedule`).
#[derive(ToSchema)]
#[schema(as = DateException)]
pub struct DateExceptionSchema {
    #[schema(format = Date)]
    pub date: String,
    pub action: SkipAction,
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$")]
    pub to: Option<String>,
}

/// Skip the holidays of a named calendar, or move them to the next business day.
#[derive(ToSchema)]
#[schema(as = HolidayException)]
pub struct HolidayExceptionSchema {
    #[schema(pattern = r"^[A-Za-z0-9_-]+$")]
    pub holiday_calendar: String,
    pub action: HolidayActionSchema,
}

/// Skip the one run at a local date-time (RFC 5545's EXDATE with a time).
#[derive(ToSchema)]
#[schema(as = SkipRunException)]
pub struct SkipAtExceptionSchema {
    #[schema(
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$",
        example = "2030-01-09T09:00"
    )]
    pub at: String,
    pub action: SkipOnly,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types)]
pub enum SkipOnly {
    skip,
}

/// Daylight-saving handling of a daily or longer rule: a local time that does not exist that
/// day (`gap`) and one that happens twice (`overlap`).
#[derive(ToSchema)]
#[schema(as = DstPolicy)]
pub struct DstPolicySchema {
    /// `shift_forward` (default) runs a missing time shifted by the gap; `skip` drops it.
    pub gap: Option<DstGapSchema>,
    /// `first` (default), `last`, or `both` instants of a repeated time.
    pub overlap: Option<DstOverlapSchema>,
}

#[derive(ToSchema)]
#[schema(as = DstGap)]
#[allow(non_camel_case_types)]
pub enum DstGapSchema {
    shift_forward,
    skip,
}

#[derive(ToSchema)]
#[schema(as = DstOverlap)]
#[allow(non_camel_case_types)]
pub enum DstOverlapSchema {
    first,
    last,
    both,
}

/// One more RRULE of the same start: the rule's occurrences are the union.
#[derive(ToSchema)]
#[schema(as = AdditionalRule)]
pub struct AdditionalRuleSchema {
    pub frequency: FrequencySchema,
    #[schema(minimum = 1, maximum = 100_000)]
    pub interval: Option<u32>,
    pub days_of_week: Option<Vec<WeekdaySchema>>,
    pub days_of_month: Option<Vec<DayOfMonth>>,
    pub months: Option<Vec<Month>>,
    pub hours: Option<Vec<Hour>>,
    pub minutes: Option<Vec<Minute>>,
    pub set_positions: Option<Vec<SetPosition>>,
    pub days_of_year: Option<Vec<DayOfYear>>,
    pub weeks_of_year: Option<Vec<WeekOfYear>>,
    #[schema(minimum = 1, maximum = 7)]
    pub week_start: Option<u8>,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$")]
    pub until: Option<String>,
    #[schema(minimum = 1)]
    pub count: Option<u32>,
}

/// One entry of `exceptions`: a bare date `"2026-12-25"` skips it.
#[derive(ToSchema)]
#[schema(as = RecurrenceException)]
#[serde(untagged)]
pub enum ExceptionSchema {
    #[schema(value_type = String, format = Date)]
    Date(String),
    Dated(DateExceptionSchema),
    Run(SkipAtExceptionSchema),
    Holidays(HolidayExceptionSchema),
}

/// A recurrence rule as an object (`recurrence::parse_rule`); an RFC 5545 `RRULE` string is
/// accepted in its place.
#[derive(ToSchema)]
#[schema(as = RecurrenceRule, example = json!({"frequency": "weekly", "interval": 1, "days_of_week": [1, 3, 5], "time_of_day": "09:00", "start_date": "2030-01-07"}))]
pub struct RecurrenceRuleSchema {
    pub frequency: FrequencySchema,
    /// Defaults to 1.
    #[schema(minimum = 1, maximum = 100_000)]
    pub interval: Option<u32>,
    pub days_of_week: Option<Vec<WeekdaySchema>>,
    /// 1 to 31, or -31 to -1 (-1 = last day).
    pub days_of_month: Option<Vec<DayOfMonth>>,
    pub months: Option<Vec<Month>>,
    pub hours: Option<Vec<Hour>>,
    pub minutes: Option<Vec<Minute>>,
    /// 1 to 366 or -366 to -1 (RRULE's BYSETPOS).
    pub set_positions: Option<Vec<SetPosition>>,
    /// 1 (Monday) to 7 (Sunday).
    #[schema(minimum = 1, maximum = 7)]
    pub week_start: Option<u8>,
    /// Local wall-clock time `HH:MM`.
    #[schema(pattern = r"^([01]\d|2[0-3]):[0-5]\d$", example = "09:00")]
    pub time_of_day: String,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[schema(minimum = 1)]
    pub count: Option<u32>,
    /// An exact local end (RRULE's UNTIL with a time); not with `end_date` or `count`.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$")]
    pub until: Option<String>,
    /// 1 to 366 or -366 to -1 (BYYEARDAY; yearly, hourly and minutely rules).
    pub days_of_year: Option<Vec<DayOfYear>>,
    /// ISO-style week numbers 1 to 53 or -53 to -1 (BYWEEKNO; yearly rules).
    pub weeks_of_year: Option<Vec<WeekOfYear>>,
    /// Extra local runs (RDATE), `YYYY-MM-DDTHH:MM`, at most 1,000.
    #[schema(max_items = 1000)]
    pub extra_dates: Option<Vec<String>>,
    /// More RRULEs sharing this start (at most 10); the occurrences are the union.
    #[schema(max_items = 10)]
    pub additional_rules: Option<Vec<AdditionalRuleSchema>>,
    pub dst_policy: Option<DstPolicySchema>,
    pub exceptions: Option<Vec<ExceptionSchema>>,
}

/// Integer schemas with a range, for the items of a rule's lists.
macro_rules! ranged {
    ($($name:ident: $lo:expr, $hi:expr, $doc:expr;)+) => {$(
        #[doc = $doc]
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some($lo))
                    .maximum(Some($hi))
                    .description(Some($doc))
                    .into()
            }
        }
        impl ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    )+};
}

ranged! {
    WeekdayNumber: 1, 7, "1 = Monday … 7 = Sunday";
    DayOfMonth: -31, 31, "1 to 31, or -31 to -1 (-1 = the last day); not 0";
    Month: 1, 12, "1 = January … 12 = December";
    Hour: 0, 23, "An hour of the day";
    Minute: 0, 59, "A minute of the hour";
    SetPosition: -366, 366, "1 to 366 or -366 to -1 (RRULE's BYSETPOS); not 0";
    DayOfYear: -366, 366, "1 to 366 or -366 to -1 (RRULE's BYYEARDAY); not 0";
    WeekOfYear: -53, 53, "1 to 53 or -53 to -1 (RRULE's BYWEEKNO); not 0";
}

/// A rule object or an RFC 5545 RRULE string (`FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0`).
#[derive(ToSchema)]
#[schema(as = RecurrenceRuleInput)]
#[serde(untagged)]
pub enum RecurrenceRuleInput {
    Rule(Box<RecurrenceRuleSchema>),
    #[schema(value_type = String)]
    Rrule(String),
}

/// `POST /v1/schedules`: the fields `schedules::body::create` accepts; any other is a 422.
/// `scheduled_at` is RFC 3339, or local `YYYY-MM-DDTHH:MM[:SS]` read in `timezone`.
#[derive(ToSchema)]
#[schema(example = json!({
    "name": "Nightly export", "job_type": "export",
    "job_config": {"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"},
    "schedule_type": "recurring", "timezone": "Europe/Berlin",
    "recurrence_rule": {"frequency": "daily", "time_of_day": "02:00", "start_date": "2030-01-01"}
}))]
pub struct CreateScheduleRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// A registered plugin's job type (`GET /v1/plugins`).
    #[schema(min_length = 1, max_length = 64)]
    pub job_type: String,
    /// Validated against the job type's `config_schema`.
    pub job_config: Value,
    pub schedule_type: crate::model::ScheduleType,
    /// Required for `once`.
    pub scheduled_at: Option<String>,
    /// Required for `recurring`.
    pub recurrence_rule: Option<RecurrenceRuleInput>,
    /// An IANA timezone name; defaults to UTC.
    pub timezone: Option<String>,
    pub priority: Option<crate::model::Priority>,
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub max_runs: Option<u32>,
    pub missed_policy: Option<crate::model::MissedPolicy>,
    pub overlap_policy: Option<crate::model::OverlapPolicy>,
}

/// `POST /v1/schedules/preview` (`schedules::body::preview`): the timing of a schedule not
/// yet made, checked as a create checks it. Exactly one of `scheduled_at` and
/// `recurrence_rule`.
#[derive(ToSchema)]
#[schema(example = json!({"timezone": "Europe/Berlin", "count": 5,
    "recurrence_rule": {"frequency": "weekly", "days_of_week": [1, 3], "time_of_day": "18:00"}}))]
pub struct PreviewRequest {
    pub scheduled_at: Option<String>,
    pub recurrence_rule: Option<RecurrenceRuleInput>,
    /// An IANA timezone name; defaults to UTC.
    pub timezone: Option<String>,
    /// Runs to list; default 10.
    #[schema(minimum = 1, maximum = 1000)]
    pub count: Option<u32>,
}

/// `POST /v1/feeds` (`api::feeds::create`): which of the caller's schedules the feed holds.
#[derive(ToSchema)]
#[schema(example = json!({"job_type": "export", "include_past_runs": false}))]
pub struct CreateFeedRequest {
    /// Only schedules of this job type.
    #[schema(min_length = 1, max_length = 64)]
    pub job_type: Option<String>,
    /// Only these schedules (the caller's own); none = all of them.
    #[schema(max_items = 500)]
    pub schedule_ids: Option<Vec<uuid::Uuid>>,
    /// Also each finished run of the last 92 days, as an event of its own.
    pub include_past_runs: Option<bool>,
}

/// `POST /v1/schedules/import` (`api::ics_import::import`): one schedule per `VEVENT`.
#[derive(ToSchema)]
#[schema(example = json!({
    "job_type": "export",
    "job_config": {"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"},
    "calendar": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@example.com\r\nSUMMARY:Weekly export\r\nDTSTART;TZID=Europe/Berlin:20300107T090000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}))]
pub struct ImportRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub job_type: String,
    /// Validated against the job type's `config_schema`, as on a create.
    pub job_config: Value,
    /// The `.ics` text: a VCALENDAR (or one VEVENT).
    #[schema(min_length = 1)]
    pub calendar: String,
    pub priority: Option<crate::model::Priority>,
    pub missed_policy: Option<crate::model::MissedPolicy>,
    /// The zone of times written without one (floating); an IANA name.
    pub timezone: Option<String>,
}

/// `PUT /v1/schedules/{id}` and the overrides of `POST /v1/schedules/{id}/clone`
/// (`schedules::body::patch`): every field optional; `job_type` and `schedule_type` cannot
/// change (422); `description` and `max_runs` may be null to clear them.
#[derive(ToSchema)]
#[schema(example = json!({"name": "Renamed", "priority": "high"}))]
pub struct UpdateScheduleRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    pub job_config: Option<Value>,
    pub scheduled_at: Option<String>,
    pub recurrence_rule: Option<RecurrenceRuleInput>,
    pub timezone: Option<String>,
    pub priority: Option<crate::model::Priority>,
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub max_runs: Option<u32>,
    pub missed_policy: Option<crate::model::MissedPolicy>,
    pub overlap_policy: Option<crate::model::OverlapPolicy>,
}

/// `POST /v1/schedules/{id}/run` (optional body).
#[derive(ToSchema)]
#[schema(example = json!({"count_toward_max_runs": false}))]
pub struct RunRequest {
    pub count_toward_max_runs: Option<bool>,
}

/// `POST /v1/schedules/bulk`: up to 1,000 create bodies, all written or none.
#[derive(ToSchema)]
pub struct BulkCreateRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub schedules: Vec<CreateScheduleRequest>,
    /// Deep-merged under each item's `job_config`.
    pub shared_config: Option<Value>,
    /// The items' names, with `{n}`, `{date}`, `{name}` substituted.
    #[schema(min_length = 1, max_length = 500)]
    pub naming_pattern: Option<String>,
}

/// `POST /v1/schedules/bulk/update`: one change set applied to every listed schedule.
#[derive(ToSchema)]
pub struct BulkUpdateRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub schedule_ids: Vec<uuid::Uuid>,
    pub changes: UpdateScheduleRequest,
}

#[derive(ToSchema)]
pub struct BulkFilter {
    pub status: Option<crate::model::ScheduleStatus>,
    #[schema(min_length = 1, max_length = 64)]
    pub job_type: Option<String>,
    pub priority: Option<crate::model::Priority>,
}

/// `POST /v1/schedules/bulk/{action}`: exactly one of `schedule_ids` and `filter`.
#[derive(ToSchema)]
pub struct BulkTransitionRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub schedule_ids: Option<Vec<uuid::Uuid>>,
    pub filter: Option<BulkFilter>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types)]
pub enum CalendarGroupBy {
    day,
    week,
    month,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types)]
pub enum BulkAction {
    pause,
    resume,
    cancel,
}

/// `POST /v1/schedules/series` (`api::series::create`).
#[derive(ToSchema)]
#[schema(example = json!({
    "name": "Octopus season 1", "episode_count": 3, "job_type": "export",
    "job_config": {"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"},
    "schedule_rule": {"frequency": "weekly", "days_of_week": [1], "time_of_day": "09:00", "start_date": "2030-01-07"}
}))]
pub struct CreateSeriesRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub template_id: Option<uuid::Uuid>,
    #[schema(minimum = 1, maximum = 1000)]
    pub episode_count: u32,
    /// The episodes run on the rule's first `episode_count` occurrences.
    pub schedule_rule: RecurrenceRuleInput,
    #[schema(min_length = 1, max_length = 64)]
    pub job_type: String,
    /// Each episode's job_config also carries its episode number and the series id.
    pub job_config: Value,
    pub timezone: Option<String>,
    pub priority: Option<crate::model::Priority>,
}

/// One episode of a series as `api::series::EpisodeView` renders it.
#[derive(ToSchema)]
#[schema(as = EpisodeView)]
pub struct EpisodeViewSchema {
    pub episode: u32,
    pub schedule_id: String,
    pub status: crate::model::ScheduleStatus,
    pub scheduled_at: Option<String>,
    pub scheduled_at_local: Option<String>,
    pub failed_runs: u32,
    pub last_error: Option<String>,
}

/// A series as `api::series::SeriesView` renders it.
#[derive(ToSchema)]
#[schema(as = SeriesView)]
pub struct SeriesViewSchema {
    pub series_id: String,
    pub name: String,
    pub template_id: Option<String>,
    pub episode_count: u32,
    pub current_episode: u32,
    pub status: crate::model::ScheduleStatus,
    pub schedule_rule: RecurrenceRuleSchema,
    pub timezone: String,
    pub job_type: String,
    pub job_config: Value,
    pub episodes: Vec<EpisodeViewSchema>,
    pub created_at: String,
    pub updated_at: String,
}
