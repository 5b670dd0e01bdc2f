//! The end-to-end tests, one binary with a module per area: the real binary and the real plugin
//! host, spoken to over HTTP, and the in-process executor harness.

mod common;

mod bulk_api;
mod calendar_api;
mod calendar_feeds;
mod calendar_why_not;
mod crash_loop;
mod crash_safety;
mod dst_policy_api;
mod executor_failures;
mod executor_lifecycle;
mod executor_missed;
mod executor_order;
mod executor_restart;
mod ics_import;
mod job_system;
mod job_system_faults;
mod js_plugin;
mod next_cli;
mod openapi;
mod pages;
mod pages_browser;
mod planning_api;
mod plugin_configs;
mod plugin_kit;
mod plugin_reload;
mod plugin_sandbox;
mod plugin_templates;
mod postgres_nodes;
mod postgres_storm;
mod preview_api;
mod python_plugin;
mod resource_bounds;
mod schedules_isolation;
mod schedules_ops;
mod schedules_persistence;
mod schedules_validation;
mod series;
mod server_cli;
