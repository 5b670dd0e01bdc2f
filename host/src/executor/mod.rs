//! The executor: sleeps until the earliest `next_run_at` (woken early by any change), claims
//! due work into pending executions, and runs them through the queue under the limits. After a
//! restart, executions left `running` are re-dispatched with the same idempotency key (their
//! id), so the job system never sees a second job.

mod claim;
mod dispatch;
pub mod queue;

use std::sync::Arc;
use std::time::Duration;

use crate::model::ExecutionStatus;
use crate::service::{Scheduler, ServiceError};
use crate::store::{WriteSet, write_with};
pub use claim::claim_due;
pub use dispatch::Dispatcher;

#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    pub max_concurrent: usize,
    pub max_concurrent_per_user: usize,
    pub user_rate_per_minute: u32,
    pub global_rate_per_minute: u32,
    pub claim_batch: usize,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 16,
            max_concurrent_per_user: 4,
            user_rate_per_minute: 60,
            global_rate_per_minute: 600,
            claim_batch: 512,
        }
    }
}

/// The longest the claimer sleeps without being woken: a safety net against a missed wake-up,
/// not a polling period (due work is found by its `next_run_at`).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Bounds of the wait when work waits on a rate limit: governor says when a token comes; the
/// floor keeps a zero answer from spinning, the ceiling bounds a clock surprise.
const RATE_RETRY_MIN: Duration = Duration::from_millis(1);
const RATE_RETRY_MAX: Duration = Duration::from_secs(1);

/// Start the executor's tasks. They run until the runtime shuts down.
pub async fn start(
    sched: Scheduler,
    config: ExecutorConfig,
) -> Result<Arc<Dispatcher>, ServiceError> {
    let dispatcher = Arc::new(Dispatcher::new(sched.clone(), &config));
    recover(&sched, &dispatcher).await?;
    tokio::spawn(claim_loop(sched.clone(), config, dispatcher.clone()));
    tokio::spawn(dispatch_loop(dispatcher.clone()));
    Ok(dispatcher)
}

/// Executions left `running` by a crash go back to `pending` (same id, so the same
/// idempotency key); everything pending is queued again.
async fn recover(sched: &Scheduler, dispatcher: &Dispatcher) -> Result<(), ServiceError> {
    loop {
        let running = sched
            .storage()
            .executions_with_status(ExecutionStatus::Running, 1000)
            .await?;
        if running.is_empty() {
            break;
        }
        tracing::warn!(
            count = running.len(),
            "re-dispatching executions left running by a previous process"
        );
        write_with(&**sched.storage(), move |_| {
            let put_executions = running
                .iter()
                .cloned()
                .map(|mut e| {
                    e.status = ExecutionStatus::Pending;
                    e
                })
                .collect();
            Ok::<_, ServiceError>((
                WriteSet {
                    put_executions,
                    ..WriteSet::default()
                },
                (),
            ))
        })
        .await??;
    }
    let pending = sched
        .storage()
        .executions_with_status(ExecutionStatus::Pending, 100_000)
        .await?;
    dispatcher.enqueue(pending);
    Ok(())
}

async fn claim_loop(sched: Scheduler, config: ExecutorConfig, dispatcher: Arc<Dispatcher>) {
    loop {
        // Register for wake-ups before looking, so a change between the look and the sleep is
        // not lost.
        let woken = sched.wakeup().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        sched.wakeup().claimer_looking();
        dispatcher.enqueue(sched.wakeup().take());
        match claim_due(&sched, config.claim_batch).await {
            Ok(created) if created.len() >= config.claim_batch => {
                dispatcher.enqueue(created);
                continue;
            }
            Ok(created) => dispatcher.enqueue(created),
            Err(e) => {
                tracing::error!(error = %e, "claiming due schedules failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        let now = sched.now();
        let sleep = match sched.storage().next_due_at().await {
            Ok(Some(at)) => (at - now).to_std().unwrap_or(Duration::ZERO).min(MAX_SLEEP),
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::error!(error = %e, "reading the next due time failed");
                Duration::from_secs(1)
            }
        };
        if sleep.is_zero() {
            continue;
        }
        sched
            .wakeup()
            .claimer_sleeps_until(now + chrono::Duration::from_std(sleep).unwrap_or_default());
        tokio::select! {
            // A service write: its pending executions (run now, resume) are in the handoff,
            // queued at the top of the loop.
            _ = &mut woken => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

async fn dispatch_loop(dispatcher: Arc<Dispatcher>) {
    let mut ticks = 0u64;
    loop {
        let notified = dispatcher.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let waiting_on_rate = dispatcher.start_ready();
        ticks += 1;
        if ticks.is_multiple_of(1024) {
            // governor's keyed state grows with every key seen.
            dispatcher.retain_recent();
        }
        match waiting_on_rate {
            Some(wait) => {
                let wait = wait.clamp(RATE_RETRY_MIN, RATE_RETRY_MAX);
                tokio::select! { _ = &mut notified => {}, _ = tokio::time::sleep(wait) => {} }
            }
            None => notified.await,
        }
    }
}
