//! One `#[utoipa::path]` per route of `api::router`. The functions are never called: they carry
//! the route's parameters, body and answers for the document. Answers every authenticated route
//! shares (401, 429, 413 for bodies, 400 for malformed input) are added by `mod.rs`.

#![allow(dead_code)]

use super::types::*;
use crate::api::Problem;
use crate::api::bulk::BulkResponse;
use crate::api::calendar::CalendarView;
use crate::api::extract::Page;
use crate::api::jobs::JobView;
use crate::api::plugins::PluginList;
use crate::api::reference::{PatternList, TimezoneList};
use crate::api::schedules::planned::{Occurrences, Upcoming};
use crate::api::schedules::view::{ExecutionView, ScheduleView};

#[utoipa::path(get, path = "/healthz", tag = "monitoring", security(()),
    responses((status = 200, description = "The server is up", body = String, content_type = "text/plain")))]
pub fn healthz() {}

#[utoipa::path(get, path = "/metrics", tag = "monitoring", security(()),
    responses((status = 200, description = "Prometheus metrics, OpenMetrics text format", body = String, content_type = "application/openmetrics-text")))]
pub fn metrics() {}

#[utoipa::path(get, path = "/v1/openapi.json", tag = "reference", security(()),
    responses((status = 200, description = "This document", body = Object)))]
pub fn openapi() {}

#[utoipa::path(get, path = "/v1/alerts", tag = "monitoring",
    responses((status = 200, description = "The caller's current alerts", body = AlertListSchema)))]
pub fn alerts() {}

#[utoipa::path(get, path = "/v1/plugins", tag = "reference",
    responses((status = 200, description = "The registered job types", body = PluginList)))]
pub fn plugins() {}

#[utoipa::path(get, path = "/v1/jobs", tag = "jobs",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 50"),
        ("cursor" = Option<String>, Query, format = Uuid, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The caller's jobs in the local job system", body = Page<JobView>),
        (status = 422, description = "Invalid query parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn jobs_list() {}

#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, format = Uuid, description = "Job id")),
    responses(
        (status = 200, description = "One job", body = JobView),
        (status = 404, description = "No such job for this caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn jobs_get() {}

#[utoipa::path(post, path = "/v1/schedules", tag = "schedules",
    request_body = CreateScheduleRequest,
    responses(
        (status = 201, description = "Created", body = ScheduleView),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn schedules_create() {}

#[utoipa::path(get, path = "/v1/schedules", tag = "schedules",
    params(
        ("status" = Option<ScheduleStatusSchema>, Query),
        ("job_type" = Option<String>, Query),
        ("priority" = Option<PrioritySchema>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 50"),
        ("cursor" = Option<String>, Query, description = "Opaque `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the caller's schedules", body = Page<ScheduleView>),
        (status = 422, description = "Invalid or unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn schedules_list() {}

#[utoipa::path(get, path = "/v1/schedules/patterns", tag = "reference",
    responses((status = 200, description = "Preset recurrence patterns", body = PatternList)))]
pub fn patterns() {}

#[utoipa::path(get, path = "/v1/schedules/timezones", tag = "reference",
    responses((status = 200, description = "IANA timezones with their current offsets", body = TimezoneList)))]
pub fn timezones() {}

#[utoipa::path(get, path = "/v1/schedules/upcoming", tag = "planning",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 50"),
        ("hours_ahead" = Option<u32>, Query, minimum = 1, maximum = 8784, description = "Default 24"),
        ("priority" = Option<PrioritySchema>, Query),
        ("job_type" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "Next runs across the caller's active schedules, in time order", body = Upcoming),
        (status = 422, description = "Invalid or unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn upcoming() {}

#[utoipa::path(get, path = "/v1/schedules/calendar", tag = "planning",
    params(
        ("start_date" = String, Query, format = Date, example = "2030-01-01"),
        ("end_date" = String, Query, format = Date, example = "2030-01-31", description = "At most 366 days after start_date (inclusive)"),
        ("timezone" = Option<String>, Query, description = "IANA name, default UTC"),
        ("include_completed" = Option<bool>, Query),
        ("include_cancelled" = Option<bool>, Query),
        ("job_type" = Option<String>, Query),
        ("group_by" = Option<CalendarGroupBy>, Query, description = "Default day"),
    ),
    responses(
        (status = 200, description = "The range's days (`days`, or `weeks` for group_by=week)", body = CalendarView),
        (status = 400, description = "Range longer than 366 days, or malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, missing or unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn calendar() {}

#[utoipa::path(post, path = "/v1/schedules/bulk", tag = "bulk",
    request_body = BulkCreateRequest,
    responses(
        (status = 201, description = "All created", body = BulkResponse),
        (status = 422, description = "Nothing written: the failing items with their errors, or a malformed request", content(
            (BulkResponse = "application/json"),
            (Problem = "application/problem+json"),
        )),
        (status = 502, description = "A job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn bulk_create() {}

#[utoipa::path(post, path = "/v1/schedules/bulk/update", tag = "bulk",
    request_body = BulkUpdateRequest,
    responses(
        (status = 200, description = "All updated", body = BulkResponse),
        (status = 422, description = "Nothing written: the failing items with their errors, or a malformed request", content(
            (BulkResponse = "application/json"),
            (Problem = "application/problem+json"),
        )),
        (status = 502, description = "A job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn bulk_update() {}

#[utoipa::path(post, path = "/v1/schedules/bulk/{action}", tag = "bulk",
    params(("action" = BulkAction, Path)),
    request_body = BulkTransitionRequest,
    responses(
        (status = 200, description = "Per-item outcome; items that cannot make the transition fail alone", body = BulkResponse),
        (status = 404, description = "Unknown action", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn bulk_transition() {}

#[utoipa::path(get, path = "/v1/schedules/{id}/next", tag = "planning",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("count" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 10"),
    ),
    responses(
        (status = 200, description = "The next planned occurrences", body = Occurrences),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn next() {}

#[utoipa::path(get, path = "/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 200, description = "The schedule with its recent executions", body = ScheduleView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn schedules_get() {}

#[utoipa::path(put, path = "/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    request_body = UpdateScheduleRequest,
    responses(
        (status = 200, description = "Updated", body = ScheduleView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The schedule can no longer change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn schedules_update() {}

#[utoipa::path(delete, path = "/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn schedules_delete() {}

#[utoipa::path(post, path = "/v1/schedules/{id}/pause", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 200, description = "Paused", body = ScheduleView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`current_status`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn pause() {}

#[utoipa::path(post, path = "/v1/schedules/{id}/resume", tag = "schedules",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("run_immediately" = Option<bool>, Query),
    ),
    responses(
        (status = 200, description = "Resumed", body = ScheduleView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`current_status`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn resume() {}

#[utoipa::path(post, path = "/v1/schedules/{id}/cancel", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 200, description = "Cancelled", body = ScheduleView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`current_status`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn cancel() {}

#[utoipa::path(post, path = "/v1/schedules/{id}/clone", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    request_body(content = Option<UpdateScheduleRequest>, description = "Overrides; optional"),
    responses(
        (status = 201, description = "The copy", body = ScheduleView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn clone() {}

#[utoipa::path(post, path = "/v1/schedules/{id}/run", tag = "schedules",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("count_toward_max_runs" = Option<bool>, Query),
    ),
    request_body(content = Option<RunRequest>, description = "Optional"),
    responses(
        (status = 201, description = "The manual execution", body = ExecutionView),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not runnable in its current status", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown parameters", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn run() {}

#[utoipa::path(get, path = "/v1/schedules/{id}/executions", tag = "schedules",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("status" = Option<ExecutionStatusSchema>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 50"),
        ("cursor" = Option<String>, Query, description = "Opaque `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of executions, newest first", body = Page<ExecutionView>),
        (status = 404, description = "No such schedule", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn executions() {}

#[utoipa::path(post, path = "/v1/schedules/series", tag = "series",
    request_body = CreateSeriesRequest,
    responses(
        (status = 201, description = "The series and its episodes' schedules", body = SeriesViewSchema),
        (status = 404, description = "No such template", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn series_create() {}

#[utoipa::path(get, path = "/v1/schedules/series/{id}", tag = "series",
    params(("id" = String, Path, format = Uuid, description = "Series id")),
    responses(
        (status = 200, description = "The series with `current_episode` and each episode's status", body = SeriesViewSchema),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn series_get() {}

#[utoipa::path(delete, path = "/v1/schedules/series/{id}", tag = "series",
    params(("id" = String, Path, format = Uuid, description = "Series id")),
    responses(
        (status = 200, description = "Cancelled: episodes that have not run are cancelled", body = SeriesViewSchema),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn series_cancel() {}
