//! `cargo bench -p sgsched --bench claim`
//!
//! Claims/s of the claim transaction alone (`executor::claim_due`: find the due schedules,
//! lock them, create each one's execution and advance it, in one commit) at batch sizes 1, 100
//! and 512, on the embedded redb store and on PostgreSQL (a private server that syncs every
//! commit, as redb does) in the same run, with the ratio. Nothing is dispatched: the
//! executions stay pending, so the figure is the claim's own cost, the ceiling of a node's
//! dispatch rate. Where PostgreSQL is not installed, only redb is measured.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sgsched::clock::SystemClock;
use sgsched::jobsystem::LocalJobSystem;
use sgsched::model::*;
use sgsched::plugins::{PluginHost, PluginHostConfig};
use sgsched::service::Scheduler;
use sgsched::store::{Storage, Store};
use uuid::Uuid;

/// (batch size, claims of that size measured).
const SIZES: [(usize, usize); 3] = [(1, 400), (100, 40), (512, 16)];

async fn scheduler(storage: Arc<dyn Storage>) -> Scheduler {
    let jobs = Arc::new(LocalJobSystem::new(storage.clone()));
    let config = PluginHostConfig {
        cache_dir: Some(std::env::temp_dir().join("sgsched-bench-plugin-cache")),
        ..PluginHostConfig::default()
    };
    let plugins = PluginHost::load(config, jobs).await.unwrap();
    Scheduler::new(storage, plugins, Arc::new(SystemClock))
}

/// `n` once schedules, due a second ago, written in a few large commits (not measured).
async fn put_due(storage: &dyn Storage, n: usize) {
    let user = Uuid::now_v7();
    let at = Utc::now() - chrono::Duration::seconds(1);
    let config =
        serde_json::json!({"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"});
    let all: Vec<Schedule> = (0..n)
        .map(|_| {
            fixtures::schedule(user, at)
                .name("claim bench")
                .job("export", config.clone())
                .build()
        })
        .collect();
    common::put_schedules(storage, all).await;
}

/// Claims/s at `batch`, over `claims` claims of exactly that size.
async fn measure(storage: Arc<dyn Storage>, batch: usize, claims: usize) -> f64 {
    put_due(&*storage, batch * claims).await;
    // As the executor claims: on shared storage, as a node.
    let claimer = storage.shared().then_some("bench");
    let sched = scheduler(storage).await;
    let start = Instant::now();
    for _ in 0..claims {
        let got = sgsched::executor::claim_due(&sched, batch, claimer)
            .await
            .unwrap();
        assert_eq!(got.len(), batch, "every claim takes a whole batch");
    }
    let elapsed = start.elapsed();
    assert!(
        sgsched::executor::claim_due(&sched, batch, claimer)
            .await
            .unwrap()
            .is_empty(),
        "every due schedule was claimed once"
    );
    (batch * claims) as f64 / elapsed.max(Duration::from_nanos(1)).as_secs_f64()
}

async fn redb(batch: usize, claims: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sgsched.redb")).unwrap();
    measure(Arc::new(store), batch, claims).await
}

async fn postgres(cluster: &sgsched_pgtest::Cluster, batch: usize, claims: usize) -> f64 {
    let storage = sgsched::store::open_postgres(&cluster.database())
        .await
        .unwrap();
    measure(storage, batch, claims).await
}

fn main() {
    // `cargo bench` passes harness flags; this bench takes none.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let cluster = sgsched_pgtest::durable();
    if cluster.is_none() {
        println!("PostgreSQL is not installed: measuring redb only");
    }
    runtime.block_on(async {
        for (batch, claims) in SIZES {
            // The better of two runs each, so a passing hiccup of the shared machine does not
            // decide the figure.
            let r = redb(batch, claims).await.max(redb(batch, claims).await);
            print!("claim batch {batch:>3}: redb {r:>8.0} claims/s");
            if let Some(c) = &cluster {
                let p = postgres(c, batch, claims)
                    .await
                    .max(postgres(c, batch, claims).await);
                print!("  PostgreSQL {p:>8.0} claims/s  ({:.2}x redb)", p / r);
            }
            println!();
        }
    });
}
