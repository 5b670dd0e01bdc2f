//! One sandboxed call into a plugin: a fresh `Store` per call, a memory limit, an epoch deadline
//! plus a tokio timeout, and the mapping of whatever went wrong to a [`PluginError`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use wasmtime::{Store, UpdateDeadline};

use super::bindings::exports::story_genius::scheduler::job_runner;
use super::bindings::{JobPlugin, JobPluginPre};
use super::state::{HostState, RunCtx};
use super::{FieldError, PluginError, RunOutcome, RunRequest};

/// The guest was still running past its deadline and nobody had dropped its future yet.
#[derive(Debug, thiserror::Error)]
#[error("deadline exceeded")]
struct DeadlineExceeded;

/// Everything a call needs to know about the plugin it calls.
pub(super) struct Target<'a> {
    pub name: &'a Arc<str>,
    pub pre: &'a JobPluginPre<HostState>,
    pub memory_limit: usize,
}

/// The raw `info` export; parsing its JSON is the loader's business.
pub(super) async fn info(
    t: Target<'_>,
    limit: Duration,
) -> Result<job_runner::PluginInfo, PluginError> {
    let mut store = new_store(&t, limit, None);
    let res = tokio::time::timeout(limit, async {
        let inst = instantiate(&t, &mut store).await?;
        inst.story_genius_scheduler_job_runner()
            .call_info(&mut store)
            .await
    })
    .await;
    settle(&t, limit, &store, res)
}

pub(super) async fn validate(
    t: Target<'_>,
    limit: Duration,
    config: &Value,
) -> Result<Result<(), Vec<FieldError>>, PluginError> {
    let json = config.to_string();
    let mut store = new_store(&t, limit, None);
    let res = tokio::time::timeout(limit, async {
        let inst = instantiate(&t, &mut store).await?;
        inst.story_genius_scheduler_job_runner()
            .call_validate(&mut store, &json)
            .await
    })
    .await;
    Ok(settle(&t, limit, &store, res)?.map_err(|errs| {
        errs.into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect()
    }))
}

pub(super) async fn run(
    t: Target<'_>,
    limit: Duration,
    run: RunCtx,
    req: RunRequest,
) -> Result<RunOutcome, PluginError> {
    let request = job_runner::JobRequest {
        execution_id: req.execution_id,
        schedule_id: req.schedule_id,
        user_id: req.user_id,
        job_type: req.job_type,
        config: req.config.to_string(),
        scheduled_for: req.scheduled_for,
        attempt: req.attempt,
        is_manual: req.is_manual,
        episode: req.episode,
    };
    let mut store = new_store(&t, limit, Some(run));
    let res = tokio::time::timeout(limit, async {
        let inst = instantiate(&t, &mut store).await?;
        inst.story_genius_scheduler_job_runner()
            .call_run(&mut store, &request)
            .await
    })
    .await;
    match settle(&t, limit, &store, res)? {
        Ok(outcome) => {
            let summary =
                serde_json::from_str(&outcome.summary).map_err(|e| PluginError::BadOutput {
                    plugin: t.name.to_string(),
                    what: "job-outcome.summary",
                    message: e.to_string(),
                })?;
            Ok(RunOutcome {
                job_id: outcome.job_id,
                summary,
            })
        }
        Err(message) => Err(PluginError::Rejected {
            plugin: t.name.to_string(),
            message,
        }),
    }
}

fn new_store(t: &Target<'_>, limit: Duration, run: Option<RunCtx>) -> Store<HostState> {
    let state = HostState::new(t.name.clone(), t.memory_limit, limit, run);
    let mut store = Store::new(t.pre.engine(), state);
    store.limiter(|s| &mut s.limits);
    // Yield to tokio at every epoch tick so the surrounding timeout can drop a spinning guest;
    // `YieldCustom` with tokio's yield_now, as a plain yield would be rescheduled at once.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|ctx| {
        if Instant::now() >= ctx.data().hard_deadline {
            return Err(wasmtime::Error::new(DeadlineExceeded));
        }
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(tokio::task::yield_now()),
        ))
    });
    store
}

async fn instantiate(t: &Target<'_>, store: &mut Store<HostState>) -> wasmtime::Result<JobPlugin> {
    t.pre.instantiate_async(store).await
}

/// Turn the outcome of a timed call into the guest's answer or the reason it has none.
fn settle<R>(
    t: &Target<'_>,
    limit: Duration,
    store: &Store<HostState>,
    res: Result<wasmtime::Result<R>, tokio::time::error::Elapsed>,
) -> Result<R, PluginError> {
    let plugin = t.name.to_string();
    let err = match res {
        Err(_) => return Err(PluginError::TimeLimit { plugin, limit }),
        Ok(Ok(r)) => return Ok(r),
        Ok(Err(e)) => e,
    };
    if err.downcast_ref::<DeadlineExceeded>().is_some() {
        return Err(PluginError::TimeLimit { plugin, limit });
    }
    if store.data().limits.hit {
        return Err(PluginError::MemoryLimit {
            plugin,
            limit_mib: t.memory_limit >> 20,
        });
    }
    let mut message = match err.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => err
            .chain()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(": "),
    };
    let tail = store
        .data()
        .stderr_tail
        .lock()
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    if !tail.is_empty() {
        message = format!("{message}; guest stderr: {tail}");
    }
    Err(PluginError::Trap { plugin, message })
}
