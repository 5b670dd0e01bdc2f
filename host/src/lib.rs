//! sgsched: a job scheduler for Story-Genius. See ARCHITECTURE.md for the code map.

pub mod alerts;
pub mod api;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod executor;
pub mod jobsystem;
pub mod metrics;
pub mod model;
pub mod plugins;
pub mod server;
pub mod service;
pub mod store;
pub mod tokens;
pub mod web;

// The engine and timezone rules live in their own crate (it builds without wasmtime, so the
// fuzz targets can use it); re-exported so `crate::recurrence::…` paths stay as they were.
pub use sgsched_recurrence::{recurrence, timezone};
