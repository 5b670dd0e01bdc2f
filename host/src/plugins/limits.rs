//! What one plugin call may use: linear memory, and the time of `validate` and of `run`. The
//! host-wide settings apply to every plugin; the configuration file may set any of them per job
//! type (`[plugin_limits.<job_type>]`), checked when the plugins are loaded: a limit for a job
//! type no plugin has, or out of range, stops the start with a message naming it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::PluginHostConfig;

/// One job type's overrides, as the configuration file gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    pub memory_mib: Option<u32>,
    pub validate_timeout_ms: Option<u64>,
    pub run_timeout_secs: Option<u64>,
}

/// The limits a call runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub memory_bytes: usize,
    pub validate_timeout: Duration,
    pub run_timeout: Duration,
}

const MEMORY_MIB: (u64, u64) = (1, 4096);
const VALIDATE_MS: (u64, u64) = (1, 60_000);
const RUN_SECS: (u64, u64) = (1, 86_400);

impl PluginHostConfig {
    /// The limits of `job_type`'s calls: its overrides over the host-wide ones.
    pub fn limits_for(&self, job_type: &str) -> Limits {
        let own = self
            .plugin_limits
            .get(job_type)
            .copied()
            .unwrap_or_default();
        Limits {
            memory_bytes: own
                .memory_mib
                .map_or(self.memory_limit_bytes, |m| (m as usize) << 20),
            validate_timeout: own
                .validate_timeout_ms
                .map_or(self.validate_timeout, Duration::from_millis),
            run_timeout: own
                .run_timeout_secs
                .map_or(self.run_timeout, Duration::from_secs),
        }
    }
}

/// Every problem with the per-job-type limits, given the job types that were loaded.
pub fn check(per_type: &BTreeMap<String, PluginLimits>, loaded: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for (job_type, l) in per_type {
        let at = |key: &str| format!("plugin_limits.{job_type}.{key}");
        if !loaded.contains(job_type) {
            problems.push(format!(
                "plugin_limits.{job_type}: no plugin has job type {job_type:?} (loaded: {})",
                loaded.join(", ")
            ));
        }
        for (key, value, (lo, hi)) in [
            ("memory_mib", l.memory_mib.map(u64::from), MEMORY_MIB),
            ("validate_timeout_ms", l.validate_timeout_ms, VALIDATE_MS),
            ("run_timeout_secs", l.run_timeout_secs, RUN_SECS),
        ] {
            if let Some(v) = value
                && !(lo..=hi).contains(&v)
            {
                problems.push(format!("{}: {v} is out of range {lo}..={hi}", at(key)));
            }
        }
    }
    problems
}
