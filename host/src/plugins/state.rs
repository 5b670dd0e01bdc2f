//! The per-call store state: a WASI context that grants nothing, the memory limiter, the deadline
//! and the host side of the `job-system` import.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::story_genius::scheduler::{job_system, types};
use super::guest_log::GuestLog;
use crate::jobsystem::{JobState, JobSystem, SubmitRequest};

/// A guest that submits more than this in one call is looping; refuse rather than flood the
/// job system.
const MAX_SUBMITS_PER_CALL: u32 = 1000;

/// The job system as seen by one `run` call.
pub(super) struct RunCtx {
    pub jobs: Arc<dyn JobSystem>,
    pub user_id: String,
    pub execution_id: String,
    pub attempt: u32,
    pub submits: u32,
}

pub(super) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limits: MemoryLimiter,
    pub plugin: Arc<str>,
    pub run: Option<RunCtx>,
    /// Past this instant the epoch callback kills the guest even if nobody polls the timeout.
    pub hard_deadline: Instant,
    pub stderr_tail: Arc<Mutex<String>>,
}

impl HostState {
    pub fn new(
        plugin: Arc<str>,
        memory_limit: usize,
        limit: Duration,
        run: Option<RunCtx>,
    ) -> Self {
        let stderr_tail = Arc::new(Mutex::new(String::new()));
        // WasiCtxBuilder grants nothing unless asked: no preopened dirs, no env, no args. The
        // network is closed explicitly as well.
        let wasi = WasiCtx::builder()
            .stdout(GuestLog::stdout(plugin.clone()))
            .stderr(GuestLog::stderr(plugin.clone(), stderr_tail.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limits: MemoryLimiter {
                limit: memory_limit,
                hit: false,
            },
            plugin,
            run,
            hard_deadline: Instant::now() + limit + Duration::from_secs(1),
            stderr_tail,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory per instance and remembers that the cap was hit, so the resulting trap
/// (a Rust guest aborts on allocation failure) is reported as a memory-limit error.
pub(super) struct MemoryLimiter {
    limit: usize,
    pub hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

impl types::Host for HostState {}

impl job_system::Host for HostState {
    async fn submit(
        &mut self,
        job_type: String,
        payload: String,
        idempotency_key: String,
    ) -> wasmtime::Result<Result<String, String>> {
        let Some(run) = self.run.as_mut() else {
            return Ok(Err("the job system is only available during run".into()));
        };
        run.submits += 1;
        if run.submits > MAX_SUBMITS_PER_CALL {
            return Ok(Err(format!(
                "more than {MAX_SUBMITS_PER_CALL} submissions in one run"
            )));
        }
        let payload = match serde_json::from_str(&payload) {
            Ok(v) => v,
            Err(e) => return Ok(Err(format!("payload is not valid JSON: {e}"))),
        };
        let req = SubmitRequest {
            job_type,
            payload,
            idempotency_key,
            user_id: run.user_id.clone(),
            execution_id: run.execution_id.clone(),
            attempt: run.attempt,
        };
        Ok(run.jobs.submit(req).await.map_err(|e| e.to_string()))
    }

    async fn wait(
        &mut self,
        job_id: String,
        timeout_ms: u32,
    ) -> wasmtime::Result<Result<job_system::JobStatus, String>> {
        let Some(run) = self.run.as_ref() else {
            return Ok(Err("the job system is only available during run".into()));
        };
        let left = self.hard_deadline.saturating_duration_since(Instant::now());
        let timeout = Duration::from_millis(timeout_ms.into()).min(left);
        Ok(match run.jobs.wait(&job_id, timeout).await {
            Ok(s) => Ok(job_system::JobStatus {
                state: match s.state {
                    JobState::Queued => job_system::JobState::Queued,
                    JobState::Running => job_system::JobState::Running,
                    JobState::Succeeded => job_system::JobState::Succeeded,
                    JobState::Failed => job_system::JobState::Failed,
                    JobState::Cancelled => job_system::JobState::Cancelled,
                },
                result: s.result.map(|v| v.to_string()),
                error: s.error,
            }),
            Err(e) => Err(e.to_string()),
        })
    }

    async fn log(&mut self, level: String, message: String) -> wasmtime::Result<()> {
        let plugin = &*self.plugin;
        let message: String = message.chars().take(4096).collect();
        match level.as_str() {
            "trace" => tracing::trace!(target: "sgsched::guest", plugin, "{message}"),
            "debug" => tracing::debug!(target: "sgsched::guest", plugin, "{message}"),
            "warn" => tracing::warn!(target: "sgsched::guest", plugin, "{message}"),
            "error" => tracing::error!(target: "sgsched::guest", plugin, "{message}"),
            _ => tracing::info!(target: "sgsched::guest", plugin, "{message}"),
        }
        Ok(())
    }
}
