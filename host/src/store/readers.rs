//! Reader threads: a few OS threads serve every read, so redb never runs on an async task. Each
//! takes a request, drains what else is queued, and answers the whole batch from one read
//! transaction. Compared with a `spawn_blocking` per read this saves a thread wake-up and a
//! transaction per request under load, and keeps a burst of readers from growing the blocking
//! pool to dozens of threads fighting over a few cores. Fewer readers batch more: on two cores
//! one reader served a point read with a fifth less CPU than two (futex wake-ups and context
//! switches are most of a point read's cost), so the default is one per two cores; reads of
//! many records go to the blocking pool instead, so they never hold up point reads.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use redb::{Database, ReadTransaction, ReadableDatabase};

use super::StoreError;

/// One read; gets the batch's transaction, or the error that prevented opening it.
pub type ReadJob = Box<dyn FnOnce(Result<&ReadTransaction, &StoreError>) + Send>;

/// Requests served from one read transaction at most; it was begun after they were all sent,
/// so each still sees every write acknowledged before it was asked.
const MAX_BATCH: usize = 256;

pub struct Readers {
    senders: Vec<mpsc::Sender<ReadJob>>,
    next: AtomicUsize,
    threads: Vec<JoinHandle<()>>,
}

impl Readers {
    pub fn start(db: &Arc<Database>, count: usize) -> Result<Self, StoreError> {
        let mut senders = Vec::new();
        let mut threads = Vec::new();
        for i in 0..count.max(1) {
            let (tx, rx) = mpsc::channel::<ReadJob>();
            let db = db.clone();
            let thread = std::thread::Builder::new()
                .name(format!("sgsched-store-reader-{i}"))
                .spawn(move || run(&db, &rx))
                .map_err(|e| StoreError::Task(format!("cannot start a reader thread: {e}")))?;
            senders.push(tx);
            threads.push(thread);
        }
        Ok(Self {
            senders,
            next: AtomicUsize::new(0),
            threads,
        })
    }

    pub fn submit(&self, job: ReadJob) -> Result<(), StoreError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len().max(1);
        self.senders
            .get(i)
            .ok_or_else(|| StoreError::Task("no reader threads".into()))?
            .send(job)
            .map_err(|_| StoreError::Task("the store readers have stopped".into()))
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.senders.clear();
        for thread in self.threads.drain(..) {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

fn run(db: &Database, rx: &mpsc::Receiver<ReadJob>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let tx = db.begin_read().map_err(StoreError::from);
        for job in batch.drain(..) {
            // A panicking read drops its reply channel: its caller gets an error, others go on.
            let _ = catch_unwind(AssertUnwindSafe(|| job(tx.as_ref())));
        }
    }
}
