//! Resource bounds of a running server.
//!
//! * Churn: 10,000 schedules created and then deleted, round after round. After a warm-up round
//!   the database file and the server's resident memory (`VmRSS`) must stay within 10% of where
//!   the warm-up round left them. What is compared, and why:
//!   - the database file's high-water mark in each round (sampled every 20 ms) against the
//!     warm-up round's. redb does not give a deleted row's pages back to the file system: it
//!     reuses them, and trims the file only when the free pages happen to lie at its end, so
//!     the size at one moment moves up and down with page placement (seen here: 15 to 35 MB
//!     between rounds). A leak of pages would raise the high-water mark round after round;
//!   - resident memory once everything is deleted, and its peak in the round, against the
//!     warm-up round's: the allocator and redb's page cache keep what the first round needed,
//!     a leak would add to it every round.
//! * Idle connections: 1,000 TCP connections that send nothing or half a request do not stop
//!   other clients from being served (each on a new connection, p99 under 1 s), and once they
//!   close the server lets go of them and still serves. The server is started with the usual
//!   default soft limit of 1,024 open files, which it must raise (it would otherwise stop
//!   accepting anyone at ~1,000 connections).

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Api, Latencies, Server};
use serde_json::{Value, json};

const SCHEDULES: usize = 10_000;
/// The warm-up round, then the rounds that must not grow anything.
const ROUNDS: usize = 4;
const CLIENTS: usize = 8;
/// Schedules per bulk create request.
const BATCH: usize = 100;
const GROWTH: f64 = 1.10;
const IDLE: usize = 1_000;
/// Connections of this test's own clients that may be open besides the idle ones (reqwest
/// may replace or add a pooled connection).
const SLACK_FDS: usize = 4;
/// The usual default soft limit on open files (systemd, most shells).
const DEFAULT_SOFT_OPEN_FILES: u64 = 1_024;

/// The two tests measure one server process each; run side by side they would time and size
/// each other's load.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Apply `op` to every item with `CLIENTS` concurrent clients; results in order.
async fn fan_out<T, R, F, Fut>(api: &Api, items: Vec<T>, op: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Api, T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = R> + Send,
{
    let n = items.len();
    let mut slices: Vec<Vec<(usize, T)>> = (0..CLIENTS).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        slices[i % CLIENTS].push((i, item));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for slice in slices {
        let api = api.clone();
        let op = op.clone();
        tasks.spawn(async move {
            let mut out = Vec::with_capacity(slice.len());
            for (i, item) in slice {
                out.push((i, op(api.clone(), item).await));
            }
            out
        });
    }
    let mut all: Vec<(usize, R)> = Vec::with_capacity(n);
    while let Some(r) = tasks.join_next().await {
        all.extend(r.unwrap());
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

fn db_bytes(server: &Server) -> u64 {
    std::fs::metadata(server.data_dir.join("sgsched.redb"))
        .expect("the database file")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_and_deleting_10000_schedules_leaves_db_and_memory_flat() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let server = common::start_blocking(dir.path(), &common::unlimited_args(None));
    let token = common::token_blocking(&server, &uuid::Uuid::now_v7().to_string());
    let api = Api::new(&server, Some(token));
    api.get("/v1/schedules?limit=1").await.expect(200);
    eprintln!(
        "start: db {} KiB, rss {} KiB",
        db_bytes(&server) / 1024,
        server.rss_kib()
    );

    // Per round: the peaks (sampled all through it) and the values once all is deleted.
    let sampler = Sampler::start(&server);
    let mut rounds: Vec<Round> = Vec::new();
    for round in 0..ROUNDS {
        sampler.reset();
        let t = Instant::now();
        let bodies: Vec<Value> = (0..SCHEDULES)
            .map(|i| {
                let mut b = common::weekly_body(
                    &format!("r{round} s{i}"),
                    "UTC",
                    &[1],
                    "09:00",
                    "2030-03-25",
                );
                b["description"] = Value::from(format!("churn round {round}, schedule {i}"));
                b
            })
            .collect();
        // Created through the bulk endpoint (BATCH a request): 10,000 single creates take
        // minutes on a busy machine, each one a plugin validation too. Deleted one by one.
        let batches: Vec<Vec<Value>> = bodies.chunks(BATCH).map(<[Value]>::to_vec).collect();
        let ids: Vec<String> = fan_out(&api, batches, |api, batch| async move {
            let n = batch.len();
            let r = api
                .post("/v1/schedules/bulk", &json!({ "schedules": batch }))
                .await
                .expect(201);
            assert_eq!(r["success_count"], n, "{r}");
            r["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["schedule_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .await
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(ids.len(), SCHEDULES);
        let listed = api.get("/v1/schedules?limit=1").await.expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let created = t.elapsed();
        let t = Instant::now();
        let statuses = fan_out(&api, ids.clone(), |api, id| async move {
            api.delete(&format!("/v1/schedules/{id}")).await.status
        })
        .await;
        assert_eq!(
            statuses.iter().filter(|s| **s == 204).count(),
            SCHEDULES,
            "every delete answered 204"
        );
        let deleted = t.elapsed();
        let page = api.get("/v1/schedules?limit=10").await.expect(200);
        assert_eq!(page["items"], json!([]), "round {round}: all gone");
        api.get(&format!("/v1/schedules/{}", ids[0]))
            .await
            .problem(404);
        let (peak_db, peak_rss) = sampler.peaks();
        let r = Round {
            peak_db,
            peak_rss,
            end_db: db_bytes(&server),
            end_rss: server.rss_kib(),
        };
        eprintln!("round {round}: {SCHEDULES} created in {created:?}, deleted in {deleted:?}; {r}");
        rounds.push(r);
    }
    sampler.stop();

    // Against the warm-up round, which grew the file and the heap to hold 10,000 schedules.
    let w = rounds[0];
    for (i, r) in rounds.iter().enumerate().skip(1) {
        let within = |v: u64, base: u64| v as f64 <= base as f64 * GROWTH;
        assert!(
            within(r.peak_db, w.peak_db),
            "round {i}: the database file grew past its warm-up high-water mark: {r} vs {w}"
        );
        assert!(
            within(r.end_rss, w.end_rss),
            "round {i}: resident memory with everything deleted grew: {r} vs {w}"
        );
        assert!(
            within(r.peak_rss, w.peak_rss),
            "round {i}: peak resident memory grew: {r} vs {w}"
        );
    }
    let last = rounds[ROUNDS - 1];
    eprintln!(
        "churn: {} schedules created and deleted in {ROUNDS} rounds; warm-up: {w}; last: \
         {last}; total {:?}",
        SCHEDULES * ROUNDS,
        started.elapsed()
    );
}

#[derive(Debug, Clone, Copy)]
struct Round {
    peak_db: u64,
    peak_rss: u64,
    end_db: u64,
    end_rss: u64,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "db peak {} KiB, end {} KiB; rss peak {} KiB, end {} KiB",
            self.peak_db / 1024,
            self.end_db / 1024,
            self.peak_rss,
            self.end_rss
        )
    }
}

/// Samples the database file size and the server's VmRSS every 20 ms on a thread of its own
/// and keeps the maxima since the last `reset`: the file and the heap can grow and shrink back
/// within a round, and a leak shows first in the peaks.
struct Sampler {
    peaks: std::sync::Arc<std::sync::Mutex<(u64, u64)>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(server: &Server) -> Sampler {
        let peaks = std::sync::Arc::new(std::sync::Mutex::new((0, 0)));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let db = server.data_dir.join("sgsched.redb");
        let pid = server.pid();
        let thread = std::thread::spawn({
            let peaks = peaks.clone();
            let stop = stop.clone();
            move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
                    let rss = common::rss_kib_of(pid).unwrap_or(0);
                    let mut p = peaks.lock().unwrap();
                    p.0 = p.0.max(size);
                    p.1 = p.1.max(rss);
                    drop(p);
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        });
        Sampler {
            peaks,
            stop,
            thread: Some(thread),
        }
    }

    fn reset(&self) {
        *self.peaks.lock().unwrap() = (0, 0);
    }

    fn peaks(&self) -> (u64, u64) {
        *self.peaks.lock().unwrap()
    }

    fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
    }
}

/// Make sure this process may hold `IDLE` sockets and more (the server, started after this,
/// inherits the limit).
fn raise_fd_limit(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    }
    assert!(
        lim.rlim_cur >= want,
        "the hard limit on open files ({}) is below {want}",
        lim.rlim_max
    );
}

/// A client that opens a new connection for every request.
fn fresh_connections(api: &Api) -> Api {
    Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        ..api.clone()
    }
}

/// How many of `conns` the server has closed (a read returns end of file at once).
fn closed_by_server(conns: &mut [TcpStream]) -> usize {
    let mut closed = 0;
    for c in conns.iter_mut() {
        c.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 256];
        match c.read(&mut buf) {
            Ok(0) => closed += 1,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => closed += 1,
        }
    }
    closed
}

async fn wait_for_fds(server: &Server, what: &str, ok: impl Fn(usize) -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = server.open_fds();
        if ok(n) {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {n} open fds: {:?}",
            server.fd_targets()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_stop_other_clients() {
    let _serial = SERIAL.lock().await;
    raise_fd_limit(IDLE as u64 + 1024);
    let dir = tempfile::tempdir().unwrap();
    // Started the way most systems start a process, with a soft limit of 1,024 open files (and
    // this process's hard limit): 1,000 connections and the server's own files exceed it
    // unless the server raises it.
    let args = common::unlimited_args(None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = tokio::task::block_in_place(|| {
        Server::start_with_open_files(dir.path(), &args, DEFAULT_SOFT_OPEN_FILES)
    });
    let token = common::token_blocking(&server, &uuid::Uuid::now_v7().to_string());
    let api = Api::new(&server, Some(token.clone()));
    let id = Api::id(
        &api.create(&common::weekly_body(
            "idle test",
            "UTC",
            &[1],
            "09:00",
            "2030-03-25",
        ))
        .await,
    );
    let path = format!("/v1/schedules/{id}");
    // The server's descriptors with one keep-alive client connected.
    let base_fds = server.open_fds();
    eprintln!("server fds at the start: {:?}", server.fd_targets());
    let fresh = fresh_connections(&api);
    let before = Latencies::of_gets(&fresh, &path, 100).await;
    wait_for_fds(&server, "the server lets go of closed connections", |n| {
        n <= base_fds + SLACK_FDS
    })
    .await;

    // Half send nothing; half send a request line and some headers, never the blank line.
    let mut idle: Vec<TcpStream> = tokio::task::block_in_place(|| {
        (0..IDLE)
            .map(|i| {
                let mut c = TcpStream::connect(&server.addr).expect("connect");
                if i % 2 == 1 {
                    write!(
                        c,
                        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n",
                        server.addr
                    )
                    .unwrap();
                }
                c
            })
            .collect()
    });
    let held = wait_for_fds(&server, "the server accepts all idle connections", |n| {
        n >= base_fds + IDLE
    })
    .await;

    let during = Latencies::of_gets(&fresh, &path, 200).await;
    let keep_alive = Latencies::of_gets(&api, &path, 200).await;
    api.create(&common::weekly_body(
        "while idle",
        "UTC",
        &[2],
        "10:00",
        "2030-03-25",
    ))
    .await;
    let closed = tokio::task::block_in_place(|| closed_by_server(&mut idle));
    eprintln!(
        "idle connections: {IDLE} opened, server fds {base_fds} -> {held}, {closed} closed by \
         the server meanwhile; GET on new connections before {before}; while held: new \
         connections {during}, keep-alive {keep_alive}"
    );
    assert!(
        during.p99() < 1000.0,
        "p99 {:.1} ms on new connections",
        during.p99()
    );
    assert!(
        keep_alive.p99() < 1000.0,
        "p99 {:.1} ms keep-alive",
        keep_alive.p99()
    );

    drop(idle);
    let after_close = wait_for_fds(&server, "the server lets go of closed connections", |n| {
        n <= base_fds + SLACK_FDS
    })
    .await;
    let after = Latencies::of_gets(&fresh, &path, 100).await;
    assert!(after.p99() < 1000.0, "p99 {:.1} ms after", after.p99());
    assert_eq!(api.list_all("").await.len(), 2);
    eprintln!("after closing them: server fds {after_close}; GET on new connections {after}");
}
