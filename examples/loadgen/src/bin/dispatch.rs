//! `cargo run --release -p loadgen --bin dispatch -- [--bin target/release/sgsched]
//! [--schedules 10000] [--rounds 2] [--lead-secs 10]`
//!
//! Dispatch through real `sgsched serve` processes, as an operator runs them. `--schedules`
//! once schedules (ten users, the built-in `export` plugin, the embedded job system) are
//! created over HTTP (bulk, spread over the nodes) due at one instant a few seconds ahead;
//! measured from that instant until the nodes' `/metrics` count every one completed. Three
//! setups in the same run: one node on the embedded redb store (the baseline), one node on
//! PostgreSQL, three nodes on one PostgreSQL; each setup `--rounds` times, the best kept, with
//! its ratio to redb. Where the time goes: the CPU the nodes and the database's processes
//! spent per execution, and the mean wait from due to running.
//!
//! Then failover: two nodes, a run in flight at a job-system stub on one of them, that node
//! SIGKILLed; printed is the time until the other node submits the run again (same execution
//! id). The PostgreSQL server is a private one that syncs every commit, as redb does.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use clap::Parser;
use loadgen::{Node, cpu_time, cpu_time_of_all};
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/sgsched")]
    bin: String,
    #[arg(long, default_value_t = 10_000)]
    schedules: usize,
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Seconds between the start of the creates and the instant the schedules are due.
    #[arg(long, default_value_t = 10)]
    lead_secs: i64,
}

const USERS: usize = 10;

/// The limits out of the way, so what is measured is the executor and the store.
fn unlimited() -> Vec<String> {
    [
        "--max-concurrent",
        "2000",
        "--max-concurrent-per-user",
        "2000",
        "--user-rate-per-minute",
        "10000000",
        "--global-rate-per-minute",
        "10000000",
        "--api-rate-per-minute",
        "0",
        "--grace-secs",
        "3600",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

enum Backend<'a> {
    Redb,
    Postgres(&'a sgsched_pgtest::Cluster),
}

struct Setup {
    nodes: Vec<Node>,
    _dirs: Vec<tempfile::TempDir>,
    tokens: Vec<String>,
}

fn setup(bin: &str, backend: &Backend, nodes: usize, extra: &[String]) -> Setup {
    let url = match backend {
        Backend::Redb => None,
        Backend::Postgres(c) => Some(c.database()),
    };
    let dirs: Vec<_> = (0..nodes).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut tokens = Vec::new();
    for u in 0..USERS {
        let user = format!("0193a1b2-0000-7000-8000-{:012}", u + 1);
        let target: Vec<&OsStr> = match &url {
            Some(url) => vec!["--database-url".as_ref(), url.as_ref()],
            None => vec!["--data-dir".as_ref(), dirs[0].path().as_os_str()],
        };
        tokens.push(loadgen::token(bin, &user, &target));
    }
    let nodes = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let mut args = unlimited();
            args.extend(extra.iter().cloned());
            if let Some(url) = &url {
                args.extend(["--database-url".into(), url.clone()]);
                args.extend(["--node-id".into(), format!("node-{i}")]);
            }
            Node::start(bin, dir.path(), &args)
        })
        .collect();
    Setup {
        nodes,
        _dirs: dirs,
        tokens,
    }
}

fn once(i: usize, at: &str) -> Value {
    json!({"name": format!("due {i}"), "job_type": "export", "schedule_type": "once",
           "scheduled_at": at, "timezone": "UTC",
           "job_config": {"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"}})
}

/// The sums over the nodes of what their `/metrics` say.
#[derive(Default, Debug)]
struct Counts {
    completed: f64,
    failed: f64,
    lag_sum: f64,
    lag_count: f64,
}

async fn counts(client: &reqwest::Client, nodes: &[Node]) -> Counts {
    let mut c = Counts::default();
    for n in nodes {
        let Ok(r) = client.get(format!("{}/metrics", n.base())).send().await else {
            continue;
        };
        let text = r.text().await.unwrap_or_default();
        for line in text.lines() {
            let Some((name, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let v: f64 = value.parse().unwrap_or(0.0);
            if name.starts_with("sgsched_executions_total{") {
                if name.contains("status=\"completed\"") {
                    c.completed += v;
                } else if name.contains("status=\"failed\"") {
                    c.failed += v;
                }
            } else if name.starts_with("sgsched_scheduling_lag_seconds_sum") {
                c.lag_sum += v;
            } else if name.starts_with("sgsched_scheduling_lag_seconds_count") {
                c.lag_count += v;
            }
        }
    }
    c
}

struct Measured {
    rate: f64,
    seconds: f64,
    first_ms: f64,
    node_cpu_us: f64,
    db_cpu_us: f64,
    mean_wait_ms: f64,
}

async fn dispatch(args: &Args, backend: &Backend<'_>, nodes: usize) -> Measured {
    let s = setup(&args.bin, backend, nodes, &[]);
    let client = reqwest::Client::new();
    let lead = chrono::Duration::seconds(args.lead_secs);
    let due = (Utc::now() + lead).with_nanosecond(0).unwrap();
    let at = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let per_user = args.schedules.div_ceil(USERS);
    let mut made = 0;
    for (u, token) in s.tokens.iter().enumerate() {
        for chunk in (0..per_user).collect::<Vec<_>>().chunks(1000) {
            let n = chunk.len().min(args.schedules - made);
            if n == 0 {
                break;
            }
            let items: Vec<Value> = chunk[..n].iter().map(|i| once(*i, &at)).collect();
            let node = &s.nodes[(made / 1000) % nodes];
            let r = client
                .post(format!("{}/v1/schedules/bulk", node.base()))
                .bearer_auth(token)
                .json(&json!({ "schedules": items }))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                201,
                "bulk create for user {u}: {}",
                r.text().await.unwrap()
            );
            made += n;
        }
    }
    let ahead = (due - Utc::now()).num_milliseconds();
    assert!(
        ahead > 500,
        "the creates ended {} ms before the due instant: raise --lead-secs",
        ahead
    );
    let cpu = |s: &Setup| -> f64 {
        let nodes: Duration = s.nodes.iter().filter_map(|n| cpu_time(n.pid())).sum();
        nodes.as_secs_f64()
    };
    tokio::time::sleep((due - Utc::now()).to_std().unwrap_or_default()).await;
    let (nodes_before, db_before) = (cpu(&s), cpu_time_of_all("postgres").as_secs_f64());
    let mut first = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    let done = loop {
        let c = counts(&client, &s.nodes).await;
        let now = Utc::now();
        if c.completed > 0.0 && first.is_none() {
            first = Some(now);
        }
        assert_eq!(c.failed, 0.0, "failed executions: see the nodes' serve.log");
        if c.completed as usize >= args.schedules {
            break (now, c);
        }
        assert!(Instant::now() < deadline, "not done after 600 s: {c:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let (nodes_after, db_after) = (cpu(&s), cpu_time_of_all("postgres").as_secs_f64());
    let seconds = (done.0 - due).num_microseconds().unwrap() as f64 / 1e6;
    let per = |a: f64, b: f64| (b - a) * 1e6 / args.schedules as f64;
    Measured {
        rate: args.schedules as f64 / seconds,
        seconds,
        first_ms: (first.unwrap() - due).num_milliseconds() as f64,
        node_cpu_us: per(nodes_before, nodes_after),
        db_cpu_us: per(db_before, db_after),
        mean_wait_ms: done.1.lag_sum / done.1.lag_count.max(1.0) * 1e3,
    }
}

fn report(name: &str, m: &Measured, base: &Measured) {
    println!(
        "{name:<28} {:>7.0} runs/s  ({:>5.2} s; first done after {:>5.0} ms)  vs redb {:.2}x  \
         CPU per run: nodes {:>4.0} us, database {:>4.0} us  mean due->running {:>6.0} ms",
        m.rate,
        m.seconds,
        m.first_ms,
        m.rate / base.rate,
        m.node_cpu_us,
        m.db_cpu_us,
        m.mean_wait_ms
    );
}

async fn best(args: &Args, backend: &Backend<'_>, nodes: usize) -> Measured {
    let mut all = Vec::new();
    for _ in 0..args.rounds {
        all.push(dispatch(args, backend, nodes).await);
    }
    all.into_iter()
        .max_by(|a, b| a.rate.total_cmp(&b.rate))
        .unwrap()
}

/// Seconds from SIGKILLing the node running a job to the other node submitting it again.
async fn failover(bin: &str, cluster: &sgsched_pgtest::Cluster) -> f64 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stub_url = format!("http://{}", listener.local_addr().unwrap());
    let stub = job_system_stub::Stub::new(job_system_stub::StubConfig {
        complete_after: Duration::from_secs(120),
        ..Default::default()
    });
    tokio::spawn(stub.clone().serve(listener, std::future::pending()));
    let extra = ["--job-system-url".to_string(), stub_url];
    let mut s = setup(bin, &Backend::Postgres(cluster), 2, &extra);
    let client = reqwest::Client::new();
    let (a, b, token) = (s.nodes[0].base(), s.nodes[1].base(), s.tokens[0].clone());
    let call = |req: reqwest::RequestBuilder| async {
        let r = req.bearer_auth(&token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (status, created) = call(
        client
            .post(format!("{a}/v1/schedules"))
            .json(&once(0, "2031-01-15T13:00:00Z")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["schedule_id"].as_str().unwrap().to_string();
    // Run-now runs on the node asked.
    let (status, _) = call(
        client
            .post(format!("{a}/v1/schedules/{id}/run"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 201);
    let deadline = Instant::now() + Duration::from_secs(30);
    let execution = loop {
        let (_, runs) = call(client.get(format!("{b}/v1/schedules/{id}/executions"))).await;
        if stub.stats().jobs == 1 && runs["items"][0]["status"] == "running" {
            break runs["items"][0]["execution_id"]
                .as_str()
                .unwrap()
                .to_string();
        }
        assert!(Instant::now() < deadline, "the run never started: {runs}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    s.nodes[0].kill();
    let killed = Instant::now();
    loop {
        let stats = stub.stats();
        if stats.by_idempotency_key.get(&execution) == Some(&2) {
            assert_eq!(stats.jobs, 1, "one job at the job system: {stats:?}");
            return killed.elapsed().as_secs_f64();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "never re-dispatched"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    assert!(
        Path::new(&args.bin).exists(),
        "{} is missing: cargo build --release -p sgsched",
        args.bin
    );
    println!(
        "{} once schedules due at one instant, {} rounds each (best kept)",
        args.schedules, args.rounds
    );
    let redb = best(&args, &Backend::Redb, 1).await;
    report("1 node, redb (baseline)", &redb, &redb);
    let Some(cluster) = sgsched_pgtest::durable() else {
        println!("PostgreSQL is not installed: the PostgreSQL setups are left out");
        return;
    };
    let pg1 = best(&args, &Backend::Postgres(&cluster), 1).await;
    report("1 node, PostgreSQL", &pg1, &redb);
    let pg3 = best(&args, &Backend::Postgres(&cluster), 3).await;
    report("3 nodes, one PostgreSQL", &pg3, &redb);
    println!(
        "3 nodes vs 1 node on PostgreSQL: {:.2}x (targets: PostgreSQL >= 0.5x redb; 3 nodes >= 1x one)",
        pg3.rate / pg1.rate
    );
    let took = failover(&args.bin, &cluster).await;
    println!(
        "failover: a killed node's run submitted again by another after {took:.2} s (lease 10 s, poll 1 s)"
    );
}
