//! `GET /v1/plugins`: the loaded job types with their config schema and an example.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::auth::AuthUser;
use crate::plugins::PluginOrigin;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PluginList {
    pub plugins: Vec<PluginView>,
    /// Plugins-dir files not loaded, or whose latest change did not load (the previous
    /// version keeps serving then), with the reason.
    pub refused: Vec<RefusedView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RefusedView {
    /// The file's name (not its path: clients need not know the server's disk).
    pub file: String,
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PluginView {
    pub job_type: String,
    /// The plugin's own version.
    pub version: String,
    /// The version of the contract (`wit/scheduler.wit`) it was built against.
    pub contract_version: String,
    pub description: String,
    pub origin: String,
    pub config_schema: serde_json::Value,
    pub example_config: serde_json::Value,
}

#[utoipa::path(get, path = "/v1/plugins", operation_id = "plugins", tag = "reference",
    responses((status = 200, description = "The registered job types", body = crate::api::plugins::PluginList)))]
pub async fn list(State(state): State<AppState>, _: AuthUser) -> Json<PluginList> {
    let plugins = state
        .plugins
        .plugins()
        .into_iter()
        .map(|p| PluginView {
            job_type: p.job_type.clone(),
            version: p.version.clone(),
            contract_version: p.contract_version.clone(),
            description: p.description.clone(),
            // A file path would tell clients about the server's disk; the kind is enough.
            origin: match p.origin {
                PluginOrigin::BuiltIn => "built-in".into(),
                PluginOrigin::File(_) => "file".into(),
            },
            config_schema: p.config_schema.clone(),
            example_config: p.example_config.clone(),
        })
        .collect();
    let refused = state
        .plugins
        .refused()
        .into_iter()
        .map(|r| RefusedView {
            file: r
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            reason: r.reason,
        })
        .collect();
    Json(PluginList { plugins, refused })
}
