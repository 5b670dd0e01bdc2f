//! The executor: sleeps until the earliest `next_run_at` (woken early by any change), claims
//! due work into pending executions, and runs them through the queue under the limits. After a
//! restart, executions left `running` are re-dispatched with the same idempotency key (their
//! id), so the job system never sees a second job.

mod claim;
mod dispatch;
mod outcomes;
pub mod queue;

use std::sync::Arc;
use std::time::Duration;

use crate::model::{Execution, ExecutionStatus};
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
    /// This node's name among those sharing a database (`--node-id`): the owner recorded on
    /// the executions it starts.
    pub node_id: String,
    /// How long a node's lease lasts unrenewed (shared storage only): a node dead this long
    /// has its running executions taken over.
    pub lease: Duration,
    /// How often a node on shared storage looks for work other nodes made: pending
    /// executions, and due runs it was not woken for.
    pub poll: Duration,
}

/// The default `--node-id`: host name and process id, unique among live processes.
pub fn default_node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "sgsched".to_string());
    format!("{host}-{}", std::process::id())
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 16,
            max_concurrent_per_user: 4,
            user_rate_per_minute: 60,
            global_rate_per_minute: 600,
            claim_batch: 512,
            node_id: default_node_id(),
            lease: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
}

/// The longest the claimer sleeps without being woken: a safety net against a missed wake-up,
/// not a polling period (due work is found by its `next_run_at`).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long a node gathers other nodes' notifications before it looks (see `cluster_loop`).
const WAKE_COALESCE: Duration = Duration::from_millis(50);
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
    let shared = sched.storage().shared();
    if shared {
        // Registered before anything is started, so no other node takes this one's work
        // for a dead node's.
        sched
            .storage()
            .renew_lease(&config.node_id, config.lease)
            .await?;
    }
    recover(&sched, &dispatcher, &config.node_id).await?;
    if shared {
        tokio::spawn(cluster_loop(
            sched.clone(),
            config.clone(),
            dispatcher.clone(),
        ));
    }
    tokio::spawn(claim_loop(sched.clone(), config, dispatcher.clone()));
    tokio::spawn(dispatch_loop(dispatcher.clone()));
    Ok(dispatcher)
}

/// Executions left `running` by a crash go back to `pending` (same id, so the same
/// idempotency key); everything pending is queued again. On shared storage only this node's
/// own (a restart with the same `--node-id`): other nodes' runs are theirs, or the rescue's.
async fn recover(
    sched: &Scheduler,
    dispatcher: &Dispatcher,
    node: &str,
) -> Result<(), ServiceError> {
    let shared = sched.storage().shared();
    loop {
        let running: Vec<_> = sched
            .storage()
            .executions_with_status(
                ExecutionStatus::Running,
                if shared { 100_000 } else { 1000 },
            )
            .await?
            .into_iter()
            .filter(|e| !shared || e.owner_node.as_deref() == Some(node))
            .collect();
        if running.is_empty() {
            break;
        }
        tracing::warn!(
            count = running.len(),
            "re-dispatching executions left running by a previous process"
        );
        requeue(sched, running).await?;
        if shared {
            break;
        }
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
        let claimer = sched.storage().shared().then_some(config.node_id.as_str());
        match claim_due(&sched, config.claim_batch, claimer).await {
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
        // Another node's write wakes nobody here: on shared storage look again soon.
        let longest = if sched.storage().shared() {
            config.poll
        } else {
            MAX_SLEEP
        };
        let sleep = match sched.storage().next_due_at().await {
            Ok(Some(at)) => (at - now).to_std().unwrap_or(Duration::ZERO).min(longest),
            Ok(None) => longest,
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

/// On shared storage: renew this node's lease, take over the running work of nodes whose
/// lease lapsed, and queue pending work whichever node made it (the dispatcher's mark is
/// the one that decides which node runs it).
async fn cluster_loop(sched: Scheduler, config: ExecutorConfig, dispatcher: Arc<Dispatcher>) {
    let storage = sched.storage().clone();
    let renew_every = (config.lease / 5).max(config.poll);
    let mut renewed = std::time::Instant::now();
    let mut heard = storage.wakeups();
    loop {
        // Another node's commit may have made work due or left work pending: the claimer
        // looks at once, and so does the scan for pending work below. The poll covers a
        // lost notification.
        let told = async {
            match heard.as_mut() {
                Some(h) => h.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            true = told => {
                sched.wakeup().wake();
                // Many commits a second tell as many times: one look serves them all.
                tokio::time::sleep(WAKE_COALESCE).await;
            }
            _ = tokio::time::sleep(config.poll) => {}
        }
        if renewed.elapsed() >= renew_every {
            match storage.renew_lease(&config.node_id, config.lease).await {
                Ok(()) => renewed = std::time::Instant::now(),
                Err(e) => tracing::warn!(error = %e, "renewing this node's lease failed"),
            }
            match storage.nodes().await {
                Ok((nodes, Some(now))) => {
                    let live = nodes.iter().filter(|n| n.alive_at(now)).count();
                    dispatcher.share_rates(live as u32);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading the nodes failed"),
            }
            if let Err(e) = reclaim_orphans(&sched, &config.node_id, &dispatcher).await {
                tracing::warn!(error = %e, "looking for this node's orphaned runs failed");
            }
            match storage.rescue_lapsed().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(count = n, "took over running executions of lapsed nodes"),
                Err(e) => tracing::warn!(error = %e, "looking for lapsed nodes failed"),
            }
        }
        match storage.pending_for(&config.node_id, 1000).await {
            Ok(pending) => dispatcher.enqueue(pending),
            Err(e) => tracing::warn!(error = %e, "reading pending executions failed"),
        }
    }
}

/// How long a run may be marked as this node's without this node running it before it is
/// taken for an orphan (longer than any mark's commit takes to be acknowledged).
const ORPHAN_AGE: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// Runs marked as this node's that this node does not hold: a mark whose commit succeeded
/// though its acknowledgement was lost (the connection dropped). Its lease is live, so no
/// other node takes them over: this node puts them back to pending itself.
async fn reclaim_orphans(
    sched: &Scheduler,
    node: &str,
    dispatcher: &Dispatcher,
) -> Result<(), ServiceError> {
    let now = sched.now();
    let orphans: Vec<Execution> = sched
        .storage()
        .executions_with_status(ExecutionStatus::Running, 10_000)
        .await?
        .into_iter()
        .filter(|e| {
            e.owner_node.as_deref() == Some(node)
                && !dispatcher.holds(e.id)
                && e.started_at.is_some_and(|at| now - at > ORPHAN_AGE)
        })
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    tracing::warn!(
        count = orphans.len(),
        "re-dispatching runs this node marked but does not hold"
    );
    requeue(sched, orphans).await
}

/// Put `runs` (read as running) back to pending with the same id, so the same idempotency
/// key, and no owner: after a crash at start, or for a node's orphans. Each is changed only
/// if it is still as read (running, the same owner and attempt): a run taken over or finished
/// meanwhile is left alone.
async fn requeue(sched: &Scheduler, runs: Vec<Execution>) -> Result<(), ServiceError> {
    write_with(&**sched.storage(), move |snap| {
        let mut put_executions = Vec::new();
        for e in &runs {
            if let Some(mut cur) = snap.execution(e.id)?
                && cur.status == ExecutionStatus::Running
                && cur.owner_node == e.owner_node
                && cur.attempt == e.attempt
            {
                cur.status = ExecutionStatus::Pending;
                cur.owner_node = None;
                put_executions.push(cur);
            }
        }
        Ok::<_, ServiceError>((
            WriteSet {
                put_executions,
                ..WriteSet::default()
            },
            (),
        ))
    })
    .await??;
    Ok(())
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
