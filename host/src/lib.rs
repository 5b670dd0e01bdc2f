//! sgsched: a job scheduler for Story-Genius. See ARCHITECTURE.md for the code map.

pub mod api;
pub mod cli;
pub mod jobsystem;
pub mod plugins;
pub mod server;
pub mod store;
