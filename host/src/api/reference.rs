//! Reference data for clients: the recurrence presets and the IANA timezones.

use axum::Json;
use serde::Serialize;

use super::auth::AuthUser;
use crate::recurrence::presets;
use crate::timezone::zones_with_offsets;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PatternList {
    pub patterns: Vec<PatternView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PatternView {
    pub name: &'static str,
    pub description: &'static str,
    #[schema(value_type = crate::api::openapi::types::RecurrenceRuleSchema)]
    pub recurrence_rule: serde_json::Value,
    pub rrule: String,
}

#[utoipa::path(get, path = "/v1/schedules/patterns", operation_id = "patterns", tag = "reference",
    responses((status = 200, description = "Preset recurrence patterns", body = crate::api::reference::PatternList)))]
pub async fn patterns(_: AuthUser) -> Json<PatternList> {
    let patterns = presets()
        .iter()
        .map(|p| PatternView {
            name: p.name,
            description: p.description,
            recurrence_rule: serde_json::to_value(&p.rule).unwrap_or_default(),
            rrule: crate::recurrence::to_rrule(&p.rule, chrono_tz::UTC),
        })
        .collect();
    Json(PatternList { patterns })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TimezoneList {
    pub timezones: Vec<TimezoneView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TimezoneView {
    pub name: &'static str,
    /// The offset from UTC right now, in seconds and as `+HH:MM`.
    pub utc_offset_seconds: i32,
    pub utc_offset: String,
}

#[utoipa::path(get, path = "/v1/schedules/timezones", operation_id = "timezones", tag = "reference",
    responses((status = 200, description = "IANA timezones with their current offsets", body = crate::api::reference::TimezoneList)))]
pub async fn timezones(_: AuthUser) -> Json<TimezoneList> {
    let timezones = zones_with_offsets(chrono::Utc::now())
        .into_iter()
        .map(|(name, secs)| TimezoneView {
            name,
            utc_offset_seconds: secs,
            utc_offset: format!(
                "{}{:02}:{:02}",
                if secs < 0 { '-' } else { '+' },
                secs.abs() / 3600,
                secs.abs() % 3600 / 60
            ),
        })
        .collect();
    Json(TimezoneList { timezones })
}
