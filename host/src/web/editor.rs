//! `/schedules/new` and `/schedules/{id}/edit`: a schedule as a form. The form's fields are the
//! API's body fields, turned into the same JSON body and read by the same `api::schedules::body`
//! functions, so the page accepts and refuses exactly what the API does; a refusal shows the
//! form again with each field's error beside it. The job config is JSON (with the plugin's
//! schema listed beside it), the rule a preset or RRULE/JSON text. "Preview" (or, with script,
//! any change) asks for the next ten runs without saving anything.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::PageError;
use super::guard::{Posted, Viewer};
use super::{Nav, local_time, path_id};
use crate::api::AppState;
use crate::api::schedules::body;
use crate::model::{MissedPolicy, OverlapPolicy, Priority, Schedule, ScheduleKind};
use crate::recurrence::{FieldError, presets, to_rrule};
use crate::service::{ServiceError, with_field_errors};

/// Planned runs the preview lists.
const PREVIEW: usize = 10;

/// The form as posted: every field a string, as a browser sends it.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ScheduleForm {
    name: String,
    description: String,
    job_type: String,
    job_config: String,
    schedule_type: String,
    scheduled_at: String,
    timezone: String,
    pattern: String,
    recurrence_rule: String,
    priority: String,
    max_runs: String,
    missed_policy: String,
    overlap_policy: String,
    intent: String,
}

impl ScheduleForm {
    fn of(s: &Schedule) -> Self {
        let (schedule_type, scheduled_at, recurrence_rule) = match &s.kind {
            ScheduleKind::Once { at } => (
                "once",
                at.with_timezone(&s.timezone)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string(),
                String::new(),
            ),
            ScheduleKind::Recurring { rule } => {
                ("recurring", String::new(), to_rrule(rule, s.timezone))
            }
        };
        ScheduleForm {
            name: s.name.clone(),
            description: s.description.clone().unwrap_or_default(),
            job_type: s.job_type.clone(),
            job_config: serde_json::to_string_pretty(&s.job_config).unwrap_or_default(),
            schedule_type: schedule_type.into(),
            scheduled_at,
            timezone: s.timezone.name().into(),
            pattern: String::new(),
            recurrence_rule,
            priority: s.priority.as_str().into(),
            max_runs: s.max_runs.map(|n| n.to_string()).unwrap_or_default(),
            missed_policy: s.missed_policy.as_str().into(),
            overlap_policy: s.overlap_policy.as_str().into(),
            intent: String::new(),
        }
    }

    /// The timing fields as the API reads them (`timezone` and the one of `scheduled_at` or
    /// `recurrence_rule` the type asks for), with what cannot even be read.
    fn timing(&self, body: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
        let mut put = |k: &str, v: &str| {
            if !v.trim().is_empty() {
                body.insert(k.into(), Value::String(v.trim().into()));
            }
        };
        put("timezone", &self.timezone);
        if self.schedule_type == "once" {
            put("scheduled_at", &self.scheduled_at);
            return;
        }
        let text = self.recurrence_rule.trim();
        let rule = if text.is_empty() {
            presets()
                .iter()
                .find(|p| p.name == self.pattern)
                .map(|p| serde_json::to_value(&p.rule).unwrap_or_default())
        } else if text.starts_with('{') {
            match serde_json::from_str(text) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(FieldError::new(
                        "recurrence_rule",
                        format!("is not valid JSON: {e}"),
                    ));
                    None
                }
            }
        } else {
            Some(Value::String(text.into()))
        };
        if let Some(rule) = rule {
            body.insert("recurrence_rule".into(), rule);
        }
    }

    /// The API body this form stands for (`create`: all fields; otherwise those an update may
    /// change), and the errors of fields that could not be turned into JSON at all.
    fn to_body(&self, create: bool) -> (Value, Vec<FieldError>) {
        let mut b = Map::new();
        let mut errors = Vec::new();
        let text = |b: &mut Map<String, Value>, k: &str, v: &str| {
            if !v.trim().is_empty() {
                b.insert(k.into(), Value::String(v.trim().into()));
            }
        };
        text(&mut b, "name", &self.name);
        if !self.description.trim().is_empty() || !create {
            b.insert(
                "description".into(),
                Value::String(self.description.trim().into()),
            );
        }
        if create {
            text(&mut b, "job_type", &self.job_type);
            text(&mut b, "schedule_type", &self.schedule_type);
        }
        if !self.job_config.trim().is_empty() {
            match serde_json::from_str::<Value>(&self.job_config) {
                Ok(v) => {
                    b.insert("job_config".into(), v);
                }
                Err(e) => errors.push(FieldError::new(
                    "job_config",
                    format!("is not valid JSON: {e}"),
                )),
            }
        }
        self.timing(&mut b, &mut errors);
        text(&mut b, "priority", &self.priority);
        text(&mut b, "missed_policy", &self.missed_policy);
        text(&mut b, "overlap_policy", &self.overlap_policy);
        if !self.max_runs.trim().is_empty() {
            match self.max_runs.trim().parse::<u64>() {
                Ok(n) => {
                    b.insert("max_runs".into(), json!(n));
                }
                Err(_) => errors.push(FieldError::new("max_runs", "must be a whole number")),
            }
        }
        (Value::Object(b), errors)
    }
}

/// Whether an error at `path` belongs to the form's `field` (it or anything inside it, as
/// `job_config.format` or `recurrence_rule.days_of_week[0]`).
fn within(field: &str, path: &str) -> bool {
    path.strip_prefix(field)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

struct SchemaField {
    name: String,
    kind: String,
    required: bool,
    about: String,
}

#[derive(Template)]
#[template(path = "schedule_form.html")]
struct FormPage {
    nav: Option<Nav>,
    title: String,
    action: String,
    creating: bool,
    form: ScheduleForm,
    errors: Vec<FieldError>,
    job_types: Vec<String>,
    patterns: Vec<(&'static str, &'static str)>,
    priorities: Vec<&'static str>,
    missed_policies: Vec<&'static str>,
    overlap_policies: Vec<&'static str>,
    schema: Vec<SchemaField>,
    preview: Vec<String>,
    preview_asked: bool,
}

impl FormPage {
    /// The errors of `field` and of anything inside it (`job_config.format`), joined.
    fn error_for(&self, field: &str) -> String {
        let all: Vec<String> = self
            .errors
            .iter()
            .filter(|e| within(field, &e.field))
            .map(|e| {
                if e.field == field {
                    e.message.clone()
                } else {
                    format!("{}: {}", e.field, e.message)
                }
            })
            .collect();
        all.join("; ")
    }

    /// Errors of fields the form has no place for (the body as a whole).
    fn other_errors(&self) -> Vec<String> {
        self.errors
            .iter()
            .filter(|e| {
                !body::CREATE_FIELDS
                    .iter()
                    .any(|field| within(field, &e.field))
            })
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    fn selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "job_type" => &self.form.job_type,
            "schedule_type" => &self.form.schedule_type,
            "pattern" => &self.form.pattern,
            "priority" => &self.form.priority,
            "missed_policy" => &self.form.missed_policy,
            "overlap_policy" => &self.form.overlap_policy,
            _ => return false,
        };
        current == value
    }
}

fn schema_fields(state: &AppState, job_type: &str) -> Vec<SchemaField> {
    let Some(info) = state.plugins.info(job_type) else {
        return Vec::new();
    };
    let schema = &info.config_schema;
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| SchemaField {
                    name: name.clone(),
                    kind: match (&p["enum"], &p["type"]) {
                        (Value::Array(choices), _) => {
                            let words: Vec<String> =
                                choices.iter().map(|c| c.to_string()).collect();
                            format!("one of {}", words.join(", "))
                        }
                        (_, Value::String(t)) => t.clone(),
                        _ => "value".into(),
                    },
                    required: required.contains(&name.as_str()),
                    about: p["description"].as_str().unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn render(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<&Schedule>,
    form: ScheduleForm,
    errors: Vec<FieldError>,
    preview: Option<Vec<String>>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (title, action) = match editing {
        Some(s) => (
            format!("Edit {}", s.name),
            format!("/schedules/{}/edit", s.id),
        ),
        None => ("New schedule".to_string(), "/schedules/new".to_string()),
    };
    let page = FormPage {
        nav: Some(Nav::new(viewer, "schedules")),
        title,
        action,
        creating: editing.is_none(),
        schema: schema_fields(state, &form.job_type),
        form,
        errors,
        job_types: state.plugins.job_types(),
        patterns: presets().iter().map(|p| (p.name, p.description)).collect(),
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        missed_policies: MissedPolicy::ALL.iter().map(|p| p.as_str()).collect(),
        overlap_policies: OverlapPolicy::ALL.iter().map(|p| p.as_str()).collect(),
        preview_asked: preview.is_some(),
        preview: preview.unwrap_or_default(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The next runs the form's timing would plan, in its zone, or the timing's errors.
fn preview(state: &AppState, form: &ScheduleForm) -> (Vec<String>, Vec<FieldError>) {
    let mut b = Map::new();
    let mut errors = Vec::new();
    form.timing(&mut b, &mut errors);
    b.insert("count".into(), json!(PREVIEW));
    let (parts, count, read) = body::preview(&Value::Object(b));
    errors.extend(read);
    let tz = parts.timezone.unwrap_or(chrono_tz::UTC);
    match with_field_errors(errors, state.scheduler.preview(parts, count)) {
        Ok(runs) => (
            runs.into_iter().map(|t| local_time(tz, t)).collect(),
            Vec::new(),
        ),
        Err(ServiceError::Invalid(errors)) => (Vec::new(), errors),
        Err(_) => (Vec::new(), Vec::new()),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let job_type = state
        .plugins
        .job_types()
        .into_iter()
        .next()
        .unwrap_or_default();
    let example = state
        .plugins
        .info(&job_type)
        .map(|i| serde_json::to_string_pretty(&i.example_config).unwrap_or_default())
        .unwrap_or_default();
    let form = ScheduleForm {
        job_type,
        job_config: example,
        schedule_type: "recurring".into(),
        timezone: "UTC".into(),
        pattern: presets()
            .first()
            .map(|p| p.name.to_string())
            .unwrap_or_default(),
        priority: Priority::default().as_str().into(),
        missed_policy: MissedPolicy::default().as_str().into(),
        overlap_policy: OverlapPolicy::default().as_str().into(),
        ..ScheduleForm::default()
    };
    render(&state, &viewer, None, form, Vec::new(), None)
}

pub async fn create(State(state): State<AppState>, posted: Posted) -> Result<Response, PageError> {
    let form: ScheduleForm = posted.form()?;
    let viewer = &posted.viewer;
    if form.intent == "preview" {
        let (runs, errors) = preview(&state, &form);
        return render(&state, viewer, None, form, errors, Some(runs));
    }
    let (json, mut errors) = form.to_body(true);
    let (parts, read) = body::create(&json);
    errors.extend(read);
    let drafted = with_field_errors(errors, state.scheduler.prepare_create(parts).await);
    let draft = match drafted {
        Ok(d) => d,
        Err(ServiceError::Invalid(errors)) => {
            return render(&state, viewer, None, form, errors, None);
        }
        Err(e) => return Err(e.into()),
    };
    let s = state.scheduler.create(viewer.session.user, draft).await?;
    Ok(Redirect::to(&format!("/schedules/{}?did=create", s.id)).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let s = state
        .scheduler
        .get(viewer.session.user, path_id(&raw)?)
        .await?;
    let form = ScheduleForm::of(&s);
    render(&state, &viewer, Some(&s), form, Vec::new(), None)
}

pub async fn save(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let viewer = &posted.viewer;
    let current = state
        .scheduler
        .get(viewer.session.user, path_id(&raw)?)
        .await?;
    let mut form: ScheduleForm = posted.form()?;
    // What an update cannot change is shown as it is.
    form.job_type = current.job_type.clone();
    form.schedule_type = ScheduleForm::of(&current).schedule_type;
    if form.intent == "preview" {
        let (runs, errors) = preview(&state, &form);
        return render(&state, viewer, Some(&current), form, errors, Some(runs));
    }
    let (json, mut errors) = form.to_body(false);
    let (patch, read) = body::patch(&json, current.timezone);
    errors.extend(read);
    let checked = with_field_errors(errors, state.scheduler.check_update(&current, patch).await);
    let checked = match checked {
        Ok(c) => c,
        Err(ServiceError::Invalid(errors)) => {
            return render(&state, viewer, Some(&current), form, errors, None);
        }
        Err(e) => return Err(e.into()),
    };
    let s = state.scheduler.write_update(checked).await?;
    Ok(Redirect::to(&format!("/schedules/{}?did=edit", s.id)).into_response())
}
