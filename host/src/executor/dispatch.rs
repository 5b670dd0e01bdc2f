//! Running pending executions: take them from the queue within the concurrency limits and the
//! rate limits (governor), mark each `running`, call its plugin, and record `completed` or
//! `failed` with the job id, summary or error.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;

use super::ExecutorConfig;
use super::outcomes::{Finished, Recorder};
use super::queue::{Admit, Limits, Queue};
use crate::model::{Execution, ExecutionId, ExecutionStatus, ScheduleId, UserId};
use crate::plugins::RunRequest;
use crate::service::{Scheduler, ServiceError};
use crate::store::{WriteSet, write_with};

/// The running mark in flight (`Dispatcher::marking`): dropped when it is written.
struct MarkInFlight<'a>(&'a Dispatcher);

impl Drop for MarkInFlight<'_> {
    fn drop(&mut self) {
        self.0.marking.store(false, Ordering::SeqCst);
        self.0.notify.notify_one();
    }
}

/// How soon a run that did not fit other nodes' running work is tried again.
const CLUSTER_BUSY_RETRY: Duration = Duration::from_millis(100);

pub struct Dispatcher {
    sched: Scheduler,
    pub queue: Mutex<Queue>,
    limits: Limits,
    /// The rate limits in force: this node's share of the configured ones.
    rates: std::sync::RwLock<Arc<Rates>>,
    /// The configured rates, per minute, for all nodes together: (per user, global).
    configured: (u32, u32),
    /// Until when the global limiter has refused: no candidate is tried before then, because
    /// each try would spend its user's allowance for nothing (governor cannot give it back).
    global_blocked_until: Mutex<Option<Instant>>,
    /// Signalled when work is queued or a slot frees up.
    pub notify: Notify,
    /// Recorded as the owner of every execution this node starts.
    node_id: String,
    /// Where finished runs' outcomes go to be committed together.
    recorder: Recorder,
    /// A running mark is being written. One at a time: what is admitted meanwhile waits for
    /// the next, so marks gather into batches as slots free up one by one (a mark per freed
    /// slot cost a transaction per run, and on shared storage they queue on one lock).
    marking: AtomicBool,
}

/// Rate limiters for one share of the configured rates.
struct Rates {
    user: DefaultKeyedRateLimiter<UserId>,
    global: DefaultDirectRateLimiter,
    /// Live nodes the configured rates are divided between.
    nodes: u32,
}

impl Rates {
    fn new((user, global): (u32, u32), nodes: u32) -> Self {
        let nodes = nodes.max(1);
        Rates {
            user: RateLimiter::keyed(per_minute(user / nodes)),
            global: RateLimiter::direct(per_minute(global / nodes)),
            nodes,
        }
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Dispatcher {
    pub fn new(sched: Scheduler, config: &ExecutorConfig) -> Self {
        let recorder = Recorder::start(sched.clone());
        Self {
            sched,
            queue: Mutex::new(Queue::default()),
            limits: Limits {
                max_concurrent: config.max_concurrent,
                max_concurrent_per_user: config.max_concurrent_per_user,
            },
            rates: std::sync::RwLock::new(Arc::new(Rates::new(
                (config.user_rate_per_minute, config.global_rate_per_minute),
                1,
            ))),
            configured: (config.user_rate_per_minute, config.global_rate_per_minute),
            global_blocked_until: Mutex::new(None),
            notify: Notify::new(),
            node_id: config.node_id.clone(),
            recorder,
            marking: AtomicBool::new(false),
        }
    }

    fn rates(&self) -> Arc<Rates> {
        self.rates.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Divide the configured rate limits between `nodes` live nodes sharing the work, so
    /// together they start no more than the configured rates (each node's share is a whole
    /// number of starts per minute, at least one).
    pub fn share_rates(&self, nodes: u32) {
        let mut rates = self.rates.write().unwrap_or_else(|p| p.into_inner());
        if rates.nodes != nodes.max(1) {
            tracing::info!(nodes, "dividing the rate limits between the live nodes");
            *rates = Arc::new(Rates::new(self.configured, nodes));
        }
    }

    /// Whether this node has `id` queued or running.
    pub fn holds(&self, id: ExecutionId) -> bool {
        self.lock().holds(id)
    }

    /// The node this dispatcher starts executions for.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn enqueue(&self, executions: impl IntoIterator<Item = Execution>) {
        let mut q = self.lock();
        for e in executions {
            q.push(e);
        }
        drop(q);
        self.notify.notify_one();
    }

    /// Start everything the limits allow; returns how long until work left waiting on a rate
    /// limit may be admitted (`None`: nothing waits on a rate limit, only on a free slot).
    pub fn start_ready(self: &Arc<Self>) -> Option<Duration> {
        if self.marking.load(Ordering::SeqCst) {
            // The mark in flight wakes the loop when it is written.
            return None;
        }
        let mut wait: Option<Duration> = None;
        let mut note = |d: Duration| wait = Some(wait.map_or(d, |w| w.min(d)));
        {
            let mut blocked = self
                .global_blocked_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match *blocked {
                Some(until) if until > Instant::now() => {
                    drop(blocked);
                    return (!self.lock().is_empty()).then(|| until - Instant::now());
                }
                _ => *blocked = None,
            }
        }
        let rates = self.rates();
        let mut batch = Vec::new();
        loop {
            let next = {
                let mut q = self.lock();
                q.take_next(self.limits, |e| {
                    // The user first: a user over its own limit must not spend a global
                    // token. A global refusal stops the scan: nobody can start now.
                    if let Err(not_until) = rates.user.check_key(&e.user_id) {
                        note(not_until.wait_time_from(rates.user.clock().now()));
                        return Admit::No;
                    }
                    match rates.global.check() {
                        Ok(()) => Admit::Yes,
                        Err(not_until) => {
                            let d = not_until.wait_time_from(rates.global.clock().now());
                            *self
                                .global_blocked_until
                                .lock()
                                .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + d);
                            note(d);
                            Admit::Stop
                        }
                    }
                })
            };
            let Some(e) = next else { break };
            batch.push(e);
        }
        if !batch.is_empty() {
            self.marking.store(true, Ordering::SeqCst);
            tokio::spawn(self.clone().start_batch(batch));
        }
        wait.filter(|_| !self.lock().is_empty())
    }

    /// Mark a batch of admitted executions `running` in one write, then run each. One write per
    /// batch rather than per execution: at thousands of starts a second, the writer's work per
    /// start is what bounds throughput.
    async fn start_batch(self: Arc<Self>, batch: Vec<Execution>) {
        let now = self.sched.now();
        let queued = batch.clone();
        let owner = self.node_id.clone();
        let limits = self.limits;
        // Ends the mark in flight however this task ends (a panic included), or dispatching
        // would wait for it for good.
        let in_flight = MarkInFlight(&self);
        let marked = write_with(&**self.sched.storage(), move |snap| {
            let mut started = Vec::with_capacity(queued.len());
            let users: Vec<UserId> = queued.iter().map(|e| e.user_id).collect();
            // Other nodes' runs count against the limits too; what does not fit stays
            // pending, and is tried again after `CLUSTER_BUSY_RETRY`.
            let mut counts = snap.running_counts(&users)?;
            let ids: Vec<ExecutionId> = queued.iter().map(|e| e.id).collect();
            let statuses = snap.execution_statuses(&ids)?;
            // Only a shared storage needs it: the queue keeps one run of a schedule at a time
            // within this node.
            let mut under_way = match counts {
                Some(_) => {
                    let schedules: Vec<ScheduleId> = queued.iter().map(|e| e.schedule_id).collect();
                    snap.runs_under_way(&schedules)?
                }
                None => HashMap::new(),
            };
            let mut busy = Vec::new();
            for cur in &queued {
                // A run deleted or cancelled meanwhile is dropped here. The queued copy is the
                // stored record otherwise: only the status moves while an execution waits.
                if statuses.get(&cur.id) != Some(&ExecutionStatus::Pending) {
                    continue;
                }
                if let Some(c) = counts.as_mut() {
                    let mine = c.by_user.entry(cur.user_id).or_default();
                    if c.all >= limits.max_concurrent as u64
                        || *mine >= limits.max_concurrent_per_user as u64
                    {
                        busy.push(cur.clone());
                        continue;
                    }
                    // One run of a schedule at a time holds across nodes too: another node
                    // may be running this schedule.
                    let under = under_way.entry(cur.schedule_id).or_default();
                    if under.running {
                        busy.push(cur.clone());
                        continue;
                    }
                    under.running = true;
                    *mine += 1;
                    c.all += 1;
                }
                let mut cur = cur.clone();
                cur.status = ExecutionStatus::Running;
                cur.started_at = Some(now);
                cur.attempt += 1;
                cur.owner_node = Some(owner.clone());
                started.push(cur);
            }
            Ok::<_, ServiceError>((
                WriteSet {
                    put_execution_progress: started.clone(),
                    ..WriteSet::default()
                },
                (started, busy),
            ))
        })
        .await
        .map_err(ServiceError::from)
        .and_then(|r| r);
        drop(in_flight);
        let (started, busy) = match marked {
            Ok(marked) => marked,
            Err(err) => {
                // Nothing was written: the runs are still pending. Put them back after a pause
                // rather than spin on a store that refuses writes.
                tracing::error!(error = %err, count = batch.len(), "marking executions running failed");
                {
                    let mut q = self.lock();
                    for e in &batch {
                        q.finish(e.id);
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                self.enqueue(batch);
                return;
            }
        };
        let running: HashSet<ExecutionId> = started.iter().map(|e| e.id).collect();
        {
            let mut q = self.lock();
            for e in batch.iter().filter(|e| !running.contains(&e.id)) {
                q.finish(e.id);
            }
        }
        self.notify.notify_one();
        if !busy.is_empty() {
            // Other nodes' runs fill the limits (or run the schedule): nothing here tells when
            // they finish, so try again shortly.
            let this = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(CLUSTER_BUSY_RETRY).await;
                this.enqueue(busy);
            });
        }
        for cur in started {
            let this = self.clone();
            tokio::spawn(async move {
                let id = cur.id;
                if let Err(err) = this.run_started(cur).await {
                    tracing::error!(execution = %id, error = %err, "recording an execution failed");
                }
                this.lock().finish(id);
                this.notify.notify_one();
            });
        }
    }

    pub fn retain_recent(&self) {
        self.rates().user.retain_recent();
    }

    /// Run an execution already marked `running`, and record its outcome.
    async fn run_started(&self, cur: Execution) -> Result<(), ServiceError> {
        let now = cur.started_at.unwrap_or_else(|| self.sched.now());
        let id = cur.id;
        crate::metrics::scheduling_lag(
            (now - cur.scheduled_for).num_milliseconds() as f64 / 1000.0,
        );
        let request = RunRequest {
            execution_id: cur.id.to_string(),
            schedule_id: cur.schedule_id.to_string(),
            user_id: cur.user_id.to_string(),
            job_type: cur.job_type.clone(),
            config: cur.job_config.clone(),
            scheduled_for: crate::timezone::format_utc(cur.scheduled_for),
            attempt: cur.attempt,
            is_manual: cur.is_manual,
            episode: cur.episode,
        };
        let outcome = self.sched.plugins().run(request).await;
        let finished = Finished {
            // Jobs the run submitted and the embedded job system left to this commit: they
            // become durable with the outcome, or (a crash first) not at all and are made
            // again by the re-dispatch.
            jobs: self.sched.plugins().take_deferred_jobs(&id.to_string()),
            done: self.sched.now(),
            outcome: Arc::new(outcome),
            running: cur,
        };
        self.recorder.record(finished).await.map(drop)
    }
}
