//! The crash loop: a dispatch storm against the job-system stub (once schedules due all through
//! the run, minutely schedules due twice, and new schedules created over HTTP while it runs),
//! the server SIGKILLed at 20 seeded random points and restarted on the same data dir each time.
//! At the end: every acknowledged schedule is there, every due run was executed exactly once
//! (one execution per due instant, one job per execution at the stub, every job's key an
//! execution id), nothing is left `running` and every execution is final.
//!
//! The seed is printed; `SGSCHED_CRASH_SEED=<n>` replays a run's kill points and schedule.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, SecondsFormat, Utc};
use common::{Api, Server, StubServer};
use job_system_stub::StubConfig;
use serde_json::{Value, json};

const KILLS: usize = 20;
/// Once schedules created before the storm, due at random instants in its window.
const PRE_ONCE: usize = 240;
/// Minutely schedules with `count: 2`: each runs at two minute boundaries, a minute apart.
const RECURRING: usize = 30;
/// Clients creating once schedules (due a few seconds later) while the server is killed.
const CREATORS: usize = 2;

/// SplitMix64: small, seedable, good enough to pick kill points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn seed() -> u64 {
    match std::env::var("SGSCHED_CRASH_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SGSCHED_CRASH_SEED={s:?} is not a u64")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One create request and what it should lead to.
#[derive(Debug, Clone)]
struct Planned {
    name: String,
    /// The instants it must run at, sorted.
    runs: Vec<DateTime<Utc>>,
    /// The id the server answered with; `None`: no answer came (the server was killed while
    /// the request was in flight), so the schedule may or may not exist.
    acked: Option<String>,
}

fn minutely_body(name: &str, first: DateTime<Utc>) -> Value {
    json!({
        "name": name,
        "job_type": "export",
        "job_config": common::export_config(),
        "schedule_type": "recurring",
        "timezone": "UTC",
        "recurrence_rule": {
            "frequency": "minutely",
            "interval": 1,
            "time_of_day": first.format("%H:%M").to_string(),
            "start_date": first.format("%Y-%m-%d").to_string(),
            "count": 2,
        },
    })
}

/// Creates once schedules due 2-8 s ahead until the server stops answering.
async fn creator(api: Api, round: usize, worker: usize, seed: u64, log: Arc<Mutex<Vec<Planned>>>) {
    let mut rng = Rng(seed ^ ((round as u64) << 32) ^ worker as u64);
    for n in 0.. {
        let name = format!("live r{round} w{worker} n{n}");
        let at = Utc::now()
            .duration_trunc(chrono::Duration::seconds(1))
            .unwrap()
            + chrono::Duration::seconds(rng.range(2, 8) as i64);
        let body = common::once_body(&name, &rfc3339(at));
        let answer = api
            .try_send(
                reqwest::Method::POST,
                "/v1/schedules",
                Some(body.to_string().into_bytes()),
            )
            .await;
        let acked = match answer {
            Ok(r) => Some(Api::id(&r.expect(201))),
            Err(_) => None,
        };
        let done = acked.is_none();
        log.lock().unwrap().push(Planned {
            name,
            runs: vec![at],
            acked,
        });
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_due_run_executes_exactly_once_across_20_sigkills() {
    let seed = seed();
    eprintln!("crash loop seed {seed} (replay with SGSCHED_CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let started = Instant::now();

    // Jobs take a while, so kills land while runs are submitted and being waited on.
    let stub = StubServer::start(StubConfig {
        complete_after: Duration::from_millis(600),
        ..StubConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let log_text = Arc::new(Mutex::new(String::new()));
    let args = common::unlimited_args(Some(&stub.url()));
    let start = |log: Arc<Mutex<String>>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tokio::task::block_in_place(|| Server::start_logged(dir.path(), &args, log))
    };
    let mut server = start(log_text.clone());
    let token = common::token_blocking(&server, &uuid::Uuid::now_v7().to_string());
    let api = Api::new(&server, Some(token.clone()));
    // The token's first use imports it (a write): alone, before the storm.
    api.get("/v1/schedules?limit=1").await.expect(200);

    let mut planned: Vec<Planned> = Vec::new();
    let t0 = Utc::now()
        .duration_trunc(chrono::Duration::seconds(1))
        .unwrap();
    for i in 0..PRE_ONCE {
        let name = format!("pre once {i}");
        let at = t0 + chrono::Duration::seconds(rng.range(5, 60) as i64);
        let s = api.create(&common::once_body(&name, &rfc3339(at))).await;
        assert_eq!(s["next_run_at"], rfc3339(at), "{s}");
        planned.push(Planned {
            name,
            runs: vec![at],
            acked: Some(Api::id(&s)),
        });
    }
    // The first minute boundary at least 10 s ahead (creating them all must end before it),
    // then the next one.
    let first = (Utc::now() + chrono::Duration::seconds(70))
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let second = first + chrono::Duration::minutes(1);
    for i in 0..RECURRING {
        let name = format!("minutely {i}");
        let s = api.create(&minutely_body(&name, first)).await;
        assert_eq!(s["next_run_at"], rfc3339(first), "{s}");
        planned.push(Planned {
            name,
            runs: vec![first, second],
            acked: Some(Api::id(&s)),
        });
    }
    eprintln!(
        "created {} schedules in {:?}; minutely runs at {first} and {second}",
        planned.len(),
        started.elapsed()
    );

    // Kill points spread over the window in which runs fall due: each round's delay is drawn
    // from the time left divided by the rounds left.
    let window_end = second + chrono::Duration::seconds(3);
    let mut rounds = Vec::new();
    for round in 0..KILLS {
        let api = Api::new(&server, Some(token.clone()));
        let logs: Vec<Arc<Mutex<Vec<Planned>>>> = (0..CREATORS).map(|_| Arc::default()).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for (w, log) in logs.iter().enumerate() {
            tasks.spawn(creator(api.clone(), round, w, seed, log.clone()));
        }
        let left_ms = (window_end - Utc::now()).num_milliseconds().max(0) as u64;
        let per_round = left_ms / (KILLS - round) as u64;
        let kill_after = rng.range(300, (2 * per_round).clamp(600, 8000));
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        let jobs_before = stub.stub.stats().jobs;
        server.kill();
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let mut created = 0;
        for log in &logs {
            let log = std::mem::take(&mut *log.lock().unwrap());
            created += log.iter().filter(|p| p.acked.is_some()).count();
            planned.extend(log);
        }
        log_text.lock().unwrap().clear();
        let t = Instant::now();
        server = start(log_text.clone());
        let api = Api::new(&server, Some(token.clone()));
        assert_eq!(api.get("/healthz").await.status, 200);
        let restart = t.elapsed();
        let said = log_text.lock().unwrap().to_lowercase();
        for word in ["panick", "corrupt"] {
            assert!(
                !said.contains(word),
                "round {round}: the restarted server said {word:?}:\n{said}"
            );
        }
        rounds.push((kill_after, created, jobs_before, restart.as_millis()));
    }
    let survived = rounds.len();
    eprintln!(
        "(kill after ms, schedules created in the round, stub jobs at the kill, restart ms): \
         {rounds:?}"
    );

    // Everything due has come due; wait until every schedule has had all its runs.
    let api = Api::new(&server, Some(token.clone()));
    let last_due = planned
        .iter()
        .flat_map(|p| p.runs.iter())
        .max()
        .copied()
        .unwrap();
    let wait = (last_due - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_secs(1)).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let listed = loop {
        let listed = api.list_all("").await;
        let open: Vec<&Value> = listed
            .iter()
            .filter(|s| s["status"] != "completed")
            .collect();
        if open.is_empty() {
            break listed;
        }
        assert!(
            Instant::now() < deadline,
            "{} schedules never completed, e.g. {}",
            open.len(),
            open[0]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // Every acknowledged schedule is there; every listed one was asked for.
    let by_name: BTreeMap<&str, &Planned> = planned.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(by_name.len(), planned.len(), "names are unique");
    let listed_ids: BTreeMap<String, &Value> = listed.iter().map(|s| (Api::id(s), s)).collect();
    for p in planned.iter().filter(|p| p.acked.is_some()) {
        let id = p.acked.as_ref().unwrap();
        let s = listed_ids
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged schedule {id} ({}) is missing", p.name));
        assert_eq!(s["name"], p.name.as_str());
    }
    let unacked_present = listed
        .iter()
        .filter(|s| {
            let p = by_name
                .get(s["name"].as_str().unwrap())
                .unwrap_or_else(|| panic!("a schedule nobody created: {s}"));
            match &p.acked {
                Some(id) => {
                    assert_eq!(*id, Api::id(s), "two schedules named {}", p.name);
                    false
                }
                None => true,
            }
        })
        .count();

    // Every due run executed exactly once, and final.
    let mut executions: BTreeMap<String, Value> = BTreeMap::new();
    for s in &listed {
        let id = Api::id(s);
        let p = by_name[s["name"].as_str().unwrap()];
        let runs = api.settled_executions(&id).await;
        let mut at: Vec<DateTime<Utc>> = runs
            .iter()
            .map(|e| e["scheduled_for"].as_str().unwrap().parse().unwrap())
            .collect();
        at.sort();
        assert_eq!(
            at, p.runs,
            "{}: runs at the due instants, once each: {runs:?}",
            p.name
        );
        assert_eq!(s["run_count"], p.runs.len(), "{s}");
        for e in runs {
            assert_eq!(e["status"], "completed", "{}: {e}", p.name);
            assert_eq!(e["is_manual"], false, "{e}");
            let attempt = e["attempt"].as_u64().unwrap();
            assert!(
                (1..=1 + KILLS as u64).contains(&attempt),
                "attempt {attempt}: {e}"
            );
            executions.insert(e["execution_id"].as_str().unwrap().to_string(), e);
        }
    }

    // At the stub: one job per execution, keyed by its id, and no key sent more often than its
    // execution was dispatched (a re-dispatch after a kill repeats the key, never a new job).
    let stats = stub.stub.stats();
    assert_eq!(
        stats.jobs as usize,
        executions.len(),
        "one job per execution"
    );
    let keys: BTreeSet<&String> = stats.by_idempotency_key.keys().collect();
    let ids: BTreeSet<&String> = executions.keys().collect();
    assert_eq!(keys, ids, "every job is keyed by an execution id");
    for (key, n) in &stats.by_idempotency_key {
        let e = &executions[key];
        assert!(
            *n <= e["attempt"].as_u64().unwrap(),
            "key {key} sent {n} times for {} dispatches",
            e["attempt"]
        );
        let job: uuid::Uuid = e["job_id"].as_str().unwrap().parse().unwrap();
        let job = stub.stub.job(job).expect("the execution's job exists");
        assert_eq!(job["idempotency_key"], key.as_str());
        assert_eq!(job["status"], "succeeded");
    }
    let said = log_text.lock().unwrap().to_lowercase();
    assert!(!said.contains("panick"), "{said}");

    let redispatched = executions
        .values()
        .filter(|e| e["attempt"].as_u64() > Some(1))
        .count();
    let acked = planned.iter().filter(|p| p.acked.is_some()).count();
    eprintln!(
        "crash loop: seed {seed}; kill points survived {survived}; schedules {} \
         ({acked} acknowledged, {unacked_present} created by a request cut off by a kill); \
         executions {}; dispatches (POSTs at the stub) {}; re-dispatched after a kill {}; \
         keys sent again {}; duplicate jobs 0; missing runs 0; total {:?}",
        listed.len(),
        executions.len(),
        stats.submissions,
        redispatched,
        stats.duplicate_keys.len(),
        started.elapsed()
    );
    assert_eq!(survived, KILLS);
    assert!(
        redispatched > 0,
        "no kill landed while a run was in flight: the loop proved nothing about recovery"
    );
}
