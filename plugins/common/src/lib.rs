//! Shared code of the built-in sgsched job-type plugins.
//!
//! Everything here is plain Rust over `serde_json::Value`, with no wit-bindgen, so it builds
//! and is tested natively; each plugin crate adds only the WIT bindings
//! ([`export_job_plugin!`]) around it.
//!
//! - [`validator`]: collects every field error of a config at once, with its JSON path;
//! - [`formats`]: syntactic checks (BCP 47 tags, UUIDs, URLs, `WIDTHxHEIGHT`);
//! - [`spec`]: declarative field specs that drive both validation and the JSON Schema;
//! - [`run`]: submitting to the job system and waiting, behind the [`run::JobSystem`] trait;
//! - [`plugin`]: the [`plugin::JobPlugin`] trait a plugin implements;
//! - [`summary`]: deterministic JSON summaries.

pub mod formats;
pub mod plugin;
pub mod run;
pub mod spec;
pub mod summary;
pub mod validator;

pub use plugin::JobPlugin;
pub use spec::{Field, Kind};
pub use validator::{FieldError, Object, Validator};
