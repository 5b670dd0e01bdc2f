//! The `caption_generation` job-type plugin: a wasm32-wasip2 component of the `job-plugin` world.
//!
//! The config schema and its checks live in [`config`], which does not touch the bindings
//! (the native tests in `plugin-common` include it); this file only wires it to the WIT.

mod config;

wit_bindgen::generate!({ path: "../../wit", world: "job-plugin" });

use config::CaptionGeneration;

plugin_common::export_job_plugin!(CaptionGeneration);
