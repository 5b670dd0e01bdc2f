//! Three nodes on one PostgreSQL through a dispatch storm: once schedules due all through the
//! run and recurring ones, created over HTTP on every node, while nodes are SIGKILLed at
//! seeded random points and restarted and the database itself restarts once. Afterwards every
//! acknowledged schedule is there, every due run was executed exactly once (one execution per
//! occurrence, one job per execution id at the job-system stub), and nothing is left running.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use crate::common::{self, Api, Server};

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// POST a create, answering the schedule id when it was acknowledged (201); a 503 while the
/// database restarts or a refused connection while the node is down is not.
async fn try_create(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> Option<String> {
    let resp = http
        .post(format!("{base}/v1/schedules"))
        .bearer_auth(token)
        .json(body)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    assert!(status == 201 || status == 503, "create answered {status}");
    if status != 201 {
        return None;
    }
    let v: Value = resp.json().await.ok()?;
    Some(Api::id(&v))
}

#[tokio::test(flavor = "multi_thread")]
async fn three_nodes_run_every_due_run_exactly_once_through_kills_and_a_database_restart() {
    let Some(db) = sgsched_pgtest::private() else {
        return;
    };
    let url = db.database();
    let seed = std::env::var("SGSCHED_STORM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026u64);
    eprintln!("storm seed {seed} (SGSCHED_STORM_SEED replays it)");
    let mut rng = Lcg(seed);

    let (stub, stub_url) = common::stub_server(job_system_stub::StubConfig {
        complete_after: Duration::from_millis(400),
        ..Default::default()
    })
    .await;
    // Limits out of the way (a run delayed by a kill is late, not missed: every one must run).
    let args = |node: usize| -> Vec<String> {
        let mut a = common::unlimited_args(Some(&stub_url));
        a.extend([
            "--database-url".into(),
            url.clone(),
            "--node-id".into(),
            format!("node-{node}"),
        ]);
        a
    };
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let start = |node: usize| common::start_blocking(dirs[node].path(), &args(node));
    let mut nodes: Vec<Server> = (0..3).map(start).collect();
    let mut bases: Vec<String> = nodes.iter().map(|n| n.url("")).collect();
    let user = uuid::Uuid::new_v4().to_string();
    let token = common::db_token(&url, &user);
    let http = reqwest::Client::new();

    // Creates in waves over ~12 s, each due 2-6 s after it is made; every tenth recurring
    // (every minute, once).
    let begun = Instant::now();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut kills = vec![2 + rng.next(6), 6 + rng.next(5)];
    kills.sort();
    let db_restart_at = 4 + rng.next(6);
    let mut db_restarted = false;
    let mut wave = 0u64;
    while begun.elapsed() < Duration::from_secs(12) {
        let second = begun.elapsed().as_secs();
        if kills.first().is_some_and(|&k| second >= k) {
            kills.remove(0);
            let victim = rng.next(3) as usize;
            eprintln!("{second}s: SIGKILL node-{victim}");
            nodes[victim].kill();
            tokio::time::sleep(Duration::from_millis(300 + rng.next(700))).await;
            nodes[victim] = start(victim);
            bases[victim] = nodes[victim].url("");
        }
        if !db_restarted && second >= db_restart_at {
            db_restarted = true;
            eprintln!("{second}s: restarting the database");
            db.stop().unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            db.restart().unwrap();
        }
        let mut calls = Vec::new();
        for i in 0..20u64 {
            let n = (wave * 20 + i) as usize;
            let body = if n % 10 == 9 {
                // Its one occurrence is the next whole minute.
                let first = Utc::now() + chrono::Duration::seconds(60);
                json!({
                    "name": format!("recurring {n}"), "job_type": "export",
                    "job_config": common::export_config(), "schedule_type": "recurring",
                    "timezone": "UTC",
                    "recurrence_rule": {
                        "frequency": "minutely", "interval": 1, "count": 1,
                        "time_of_day": first.format("%H:%M").to_string(),
                        "start_date": first.format("%Y-%m-%d").to_string(),
                    },
                })
            } else {
                let at = Utc::now() + chrono::Duration::milliseconds(2000 + rng.next(4000) as i64);
                common::once_body(
                    &format!("once {n}"),
                    &at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )
            };
            let (http, base, token) = (http.clone(), bases[n % 3].clone(), token.clone());
            calls.push(tokio::spawn(async move {
                try_create(&http, &base, &token, &body).await
            }));
        }
        for c in calls {
            if let Some(id) = c.await.unwrap() {
                acknowledged.push(id);
            }
        }
        wave += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        acknowledged.len() >= 300,
        "only {} creates were acknowledged",
        acknowledged.len()
    );

    // Everything settles: every schedule completed with exactly one completed execution.
    let api = Api::new(&nodes[0], Some(token));
    let deadline = Instant::now() + Duration::from_secs(150);
    let executions = loop {
        let mut all: HashMap<String, Vec<Value>> = HashMap::new();
        let mut pending = 0;
        for id in &acknowledged {
            let runs = api
                .get(&format!("/v1/schedules/{id}/executions"))
                .await
                .expect(200);
            let items = runs["items"].as_array().unwrap().clone();
            if items.len() != 1 || items[0]["status"] != "completed" {
                pending += 1;
            }
            all.insert(id.clone(), items);
        }
        if pending == 0 {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} of {} schedules have not run exactly once: e.g. {:?}",
            acknowledged.len(),
            all.iter()
                .find(|(_, v)| v.len() != 1 || v[0]["status"] != "completed")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let listed = api.list_all("").await;
    let listed: HashSet<String> = listed.iter().map(Api::id).collect();
    assert_eq!(
        listed,
        acknowledged.iter().cloned().collect(),
        "every acknowledged schedule is there"
    );
    for id in &acknowledged {
        assert_eq!(api.schedule(id).await["status"], "completed", "{id}");
    }
    let ids: HashSet<String> = executions
        .values()
        .map(|v| v[0]["execution_id"].as_str().unwrap().to_string())
        .collect();
    let stats = stub.stats();
    assert_eq!(
        stats.jobs as usize,
        ids.len(),
        "one job per execution: {stats:?}"
    );
    let keys: HashSet<String> = stats.by_idempotency_key.keys().cloned().collect();
    assert_eq!(keys, ids, "the job system saw exactly the executions' ids");
    let view = api.get("/v1/cluster").await.expect(200);
    assert!(
        view["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["running_executions"] == 0),
        "nothing is left running: {view}"
    );
    eprintln!(
        "storm: {} schedules, {} submissions for {} jobs, in {:?}",
        acknowledged.len(),
        stats.submissions,
        stats.jobs,
        begun.elapsed()
    );
}
