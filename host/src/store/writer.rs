//! The single writer: one OS thread owns every scheduling write transaction. It takes a request,
//! drains whatever else is queued (up to `max_group`), runs the closures in turn inside ONE
//! transaction, commits once, durably, and only then answers each caller. One fsync is shared by
//! the whole group, which is what makes durable writes cheap under concurrency.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::oneshot;

use super::StoreError;
use super::apply::WriteTables;
use super::storage::{Rejected, WriteFn, WriteSet};
use super::versions::UserVersions;
use crate::model::UserId;

pub enum Op {
    Closure(WriteFn),
    PutToken([u8; 32], UserId),
}

pub struct Request {
    pub op: Op,
    pub reply: oneshot::Sender<Result<(), StoreError>>,
}

#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Most requests merged into one transaction; 1 = one commit per write.
    pub max_group: usize,
    /// Record allocator state in each commit so reopening after a crash needs no full scan.
    pub quick_repair: bool,
}

/// The handle to the writer thread; dropping the last one stops and joins the thread, so the
/// database file is closed when the `Store` is gone.
pub struct Writer {
    tx: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(
        db: Arc<Database>,
        versions: Arc<UserVersions>,
        config: WriterConfig,
    ) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("sgsched-store-writer".into())
            .spawn(move || run(&db, &versions, &rx, config))
            .map_err(|e| StoreError::Task(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    pub async fn submit(&self, op: Op) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Task("the store writer has stopped".into());
        self.tx
            .as_ref()
            .ok_or_else(stopped)?
            .send(Request { op, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            // A closure holding the last `Store` would drop it on the writer thread itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

fn run(db: &Database, versions: &UserVersions, rx: &mpsc::Receiver<Request>, config: WriterConfig) {
    let max = config.max_group.max(1);
    let mut last_group = 0;
    // Ends when the writer does (its sender is dropped with this function's frame).
    let (garbage, freed) = mpsc::channel::<Vec<WriteSet>>();
    let _ = std::thread::Builder::new()
        .name("sgsched-store-free".into())
        .spawn(move || {
            for group in freed {
                drop(group)
            }
        });
    while let Ok(first) = rx.recv() {
        let mut group = Vec::with_capacity(max.min(64));
        group.push(first);
        gather(rx, &mut group, max, last_group);
        last_group = group.len();
        commit_group(db, versions, &garbage, group, config);
    }
}

/// How long the writer may wait for a group to fill up to the size of the last one. The callers
/// answered by the last commit are usually about to send their next write: waiting a few
/// microseconds for them costs far less than a commit (an fsync) spent on a handful of writes.
const GATHER: Duration = Duration::from_micros(150);

/// Drain what is queued into `group`, then, while it is smaller than the last group, give the
/// callers up to `GATHER` to catch up.
fn gather(rx: &mpsc::Receiver<Request>, group: &mut Vec<Request>, max: usize, last: usize) {
    let drain = |group: &mut Vec<Request>| {
        while group.len() < max {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
    };
    drain(group);
    let want = last.min(max);
    if group.len() >= want {
        return;
    }
    let until = Instant::now() + GATHER;
    while group.len() < want && Instant::now() < until {
        std::thread::yield_now();
        drain(group);
    }
}

/// What became of one request of the group before the commit.
enum Outcome {
    /// Its writes are in the transaction (or it was rejected and has none).
    Ready(Option<WriteSet>, Option<([u8; 32], UserId)>),
    /// It failed alone (its closure panicked, or applying its writes failed).
    Failed(StoreError),
}

fn commit_group(
    db: &Database,
    versions: &UserVersions,
    garbage: &mpsc::Sender<Vec<WriteSet>>,
    group: Vec<Request>,
    config: WriterConfig,
) {
    let mut outcomes: Vec<(Outcome, oneshot::Sender<Result<(), StoreError>>)> =
        Vec::with_capacity(group.len());
    let mut pending = group.into_iter();
    // Applying one request's writes can fail halfway (a corrupt old record, I/O): that leaves
    // part of it in the transaction, so the transaction is dropped and a new one replays the
    // writes already accepted (computed against exactly the state they saw) before going on.
    let result = 'attempt: loop {
        let tx = match begin(db, config) {
            Ok(tx) => tx,
            Err(e) => break 'attempt Err(e),
        };
        let mut tables = match WriteTables::open(&tx) {
            Ok(t) => t,
            Err(e) => break 'attempt Err(e),
        };
        for (outcome, _) in &outcomes {
            if let Outcome::Ready(writes, token) = outcome
                && let Err(e) = apply(&mut tables, writes.as_ref(), token.as_ref())
            {
                break 'attempt Err(e);
            }
        }
        let mut failed_apply = false;
        for Request { op, reply } in pending.by_ref() {
            let (writes, token) = match op {
                Op::Closure(mut f) => match catch_unwind(AssertUnwindSafe(|| f(&tables))) {
                    Ok(Ok(w)) => (Some(w), None),
                    Ok(Err(Rejected)) => (None, None),
                    Err(_) => {
                        outcomes.push((
                            Outcome::Failed(StoreError::Task("write closure panicked".into())),
                            reply,
                        ));
                        continue;
                    }
                },
                Op::PutToken(sha, user) => (None, Some((sha, user))),
            };
            match apply(&mut tables, writes.as_ref(), token.as_ref()) {
                Ok(()) => outcomes.push((Outcome::Ready(writes, token), reply)),
                Err(e) => {
                    outcomes.push((Outcome::Failed(e), reply));
                    failed_apply = true;
                    break;
                }
            }
        }
        if failed_apply {
            drop(tables);
            let _ = tx.abort();
            continue 'attempt;
        }
        let touched = std::mem::take(&mut tables.touched);
        drop(tables);
        break 'attempt tx.commit().map_err(StoreError::from).map(|()| touched);
    };
    if let Ok(touched) = &result {
        // Before any caller hears of its write, so whoever reads afterwards sees the move.
        versions.bump(touched);
    }
    // Requests never reached (the group failed before them) share the group's error.
    let mut rest: Vec<_> = pending
        .map(|r| (Outcome::Ready(None, None), r.reply))
        .collect();
    outcomes.append(&mut rest);
    let mut written = Vec::with_capacity(outcomes.len());
    for (outcome, reply) in outcomes {
        let answer = match (&result, outcome) {
            (_, Outcome::Failed(e)) => Err(e),
            (Ok(_), Outcome::Ready(writes, _)) => {
                written.extend(writes);
                Ok(())
            }
            (Err(e), Outcome::Ready(..)) => Err(e.clone()),
        };
        // A caller that went away no longer needs its answer; its write stands.
        let _ = reply.send(answer);
    }
    // Freeing a group's records (configs are JSON trees) is several percent of the writer's
    // time; another thread does it while the writer starts on the next group.
    if !written.is_empty() {
        let _ = garbage.send(written);
    }
}

fn begin(db: &Database, config: WriterConfig) -> Result<WriteTransaction, StoreError> {
    let mut tx = db.begin_write()?;
    tx.set_durability(Durability::Immediate)?;
    tx.set_quick_repair(config.quick_repair);
    Ok(tx)
}

fn apply(
    tables: &mut WriteTables<'_>,
    writes: Option<&WriteSet>,
    token: Option<&([u8; 32], UserId)>,
) -> Result<(), StoreError> {
    if let Some(w) = writes {
        tables.apply(w)?;
    }
    if let Some((sha, user)) = token {
        tables.put_token(sha, *user)?;
    }
    Ok(())
}
