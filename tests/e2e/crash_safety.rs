//! Crash safety: SIGKILL the server in the middle of concurrent creates, updates and deletes,
//! restart it on the same data dir, and check that every acknowledged write is there, nothing
//! unacknowledged is half there, and the database opens at once. Repeated at many kill points,
//! on one data dir, so each restart also recovers from all the earlier crashes.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Api, Server, export_config, weekly_body};
use serde_json::{Value, json};

const WORKERS: usize = 6;
const KILL_AFTER_MS: [u64; 16] = [
    50, 150, 400, 90, 250, 600, 30, 1000, 200, 500, 10, 320, 700, 120, 45, 800,
];

#[derive(Debug, Clone)]
enum Op {
    Create { name: String },
    Update { id: String, name: String },
    Delete { id: String },
}

/// One request a worker made: what it did, and the id a create answered (when it answered).
#[derive(Debug, Clone)]
struct Record {
    op: Op,
    acked: bool,
    created: Option<String>,
}

fn body(name: &str) -> Value {
    let mut b = weekly_body(name, "Europe/Berlin", &[1], "09:00", "2030-03-25");
    // The description repeats the name: a torn write would show them apart.
    b["description"] = json!(name);
    b
}

/// A worker: creates, renames and deletes its own schedules until the server stops answering.
async fn worker(
    api: Api,
    w: usize,
    round: usize,
    mut owned: Vec<String>,
    log: Arc<Mutex<Vec<Record>>>,
) {
    let mut rng = (round * 7919 + w * 104_729 + 1) as u64;
    let mut n = 0;
    loop {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let roll = (rng >> 33) % 100;
        n += 1;
        let name = format!("r{round}-w{w}-n{n}");
        let op = if owned.is_empty() || roll < 40 {
            Op::Create { name }
        } else if roll < 85 {
            Op::Update {
                id: owned[(rng >> 40) as usize % owned.len()].clone(),
                name,
            }
        } else {
            Op::Delete {
                id: owned.swap_remove((rng >> 40) as usize % owned.len()),
            }
        };
        let result = match &op {
            Op::Create { name } => {
                api.try_send(
                    reqwest::Method::POST,
                    "/v1/schedules",
                    Some(body(name).to_string().into_bytes()),
                )
                .await
            }
            Op::Update { id, name } => {
                let patch = json!({"name": name, "description": name});
                api.try_send(
                    reqwest::Method::PUT,
                    &format!("/v1/schedules/{id}"),
                    Some(patch.to_string().into_bytes()),
                )
                .await
            }
            Op::Delete { id } => {
                api.try_send(
                    reqwest::Method::DELETE,
                    &format!("/v1/schedules/{id}"),
                    None,
                )
                .await
            }
        };
        let Ok(resp) = result else {
            // No answer: the server is gone; this request may or may not have been applied.
            log.lock().unwrap().push(Record {
                op,
                acked: false,
                created: None,
            });
            return;
        };
        let expected = match op {
            Op::Create { .. } => 201,
            Op::Update { .. } => 200,
            Op::Delete { .. } => 204,
        };
        assert_eq!(resp.status, expected, "{op:?}: {}", resp.text);
        let created = matches!(op, Op::Create { .. }).then(|| Api::id(&resp.json()));
        if let Some(id) = &created {
            owned.push(id.clone());
        }
        log.lock().unwrap().push(Record {
            op,
            acked: true,
            created,
        });
    }
}

/// What must hold for one schedule after the restart.
#[derive(Debug)]
struct Expect {
    /// Names it may have; empty: it must be gone.
    names: Vec<String>,
    /// May it be missing (an unacknowledged create or delete)?
    may_be_gone: bool,
}

/// Check the restarted server against the model (id -> name of every live schedule) and each
/// worker's log; returns the new model.
async fn check(
    api: &Api,
    model: &BTreeMap<String, String>,
    logs: &[Vec<Record>],
) -> BTreeMap<String, String> {
    let mut expect: HashMap<String, Expect> = model
        .iter()
        .map(|(id, n)| {
            (
                id.clone(),
                Expect {
                    names: vec![n.clone()],
                    may_be_gone: false,
                },
            )
        })
        .collect();
    let mut maybe_created: Vec<String> = Vec::new();
    for log in logs {
        for r in log {
            match (&r.op, r.acked) {
                (Op::Create { name }, true) => {
                    let id = r.created.clone().unwrap();
                    expect.insert(
                        id,
                        Expect {
                            names: vec![name.clone()],
                            may_be_gone: false,
                        },
                    );
                }
                (Op::Create { name }, false) => maybe_created.push(name.clone()),
                (Op::Update { id, name }, true) => {
                    expect.get_mut(id).unwrap().names = vec![name.clone()]
                }
                (Op::Update { id, name }, false) => {
                    expect.get_mut(id).unwrap().names.push(name.clone())
                }
                (Op::Delete { id }, true) => expect.get_mut(id).unwrap().names.clear(),
                (Op::Delete { id }, false) => expect.get_mut(id).unwrap().may_be_gone = true,
            }
        }
    }
    let listed = api.list_all("").await;
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for s in &listed {
        let id = Api::id(s);
        let mut full = api.schedule(&id).await;
        full.as_object_mut().unwrap().remove("recent_executions");
        assert_eq!(
            full,
            common::stable(s.clone()),
            "GET and list agree on {id}"
        );
        let name = full["name"].as_str().unwrap().to_string();
        assert_eq!(full["description"], name.as_str(), "a torn write: {full}");
        assert_eq!(full["job_config"], export_config(), "{full}");
        assert_eq!(full["status"], "active", "{full}");
        assert_eq!(full["next_run_at"], "2030-03-25T08:00:00Z", "{full}");
        assert_eq!(
            full["next_run_at_local"], "2030-03-25T09:00:00+01:00",
            "{full}"
        );
        assert_eq!(
            full["rrule"],
            "DTSTART;TZID=Europe/Berlin:20300325T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO"
        );
        assert_eq!(full["run_count"], 0);
        match expect.get(&id) {
            Some(e) => assert!(
                e.names.contains(&name),
                "{id} is named {name:?}, expected one of {:?}",
                e.names
            ),
            None => assert!(
                maybe_created.contains(&name),
                "{id} ({name}) was never acknowledged nor in flight"
            ),
        }
        found.insert(id, name);
    }
    for (id, e) in &expect {
        let there = found.contains_key(id);
        if e.names.is_empty() {
            assert!(!there, "{id} was deleted (acknowledged) but is listed");
            api.get(&format!("/v1/schedules/{id}")).await.problem(404);
        } else if !e.may_be_gone {
            assert!(
                there,
                "{id} (acknowledged, one of {:?}) is missing after the restart",
                e.names
            );
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_at_any_point() {
    let dir = tempfile::tempdir().unwrap();
    let user = uuid::Uuid::new_v4().to_string();
    let log_text = Arc::new(Mutex::new(String::new()));
    let mut server = Server::start_logged(dir.path(), &[], log_text.clone());
    let token = server.token(&user);
    let mut model: BTreeMap<String, String> = BTreeMap::new();
    let mut stats = Vec::new();
    let started = Instant::now();
    for (round, kill_ms) in KILL_AFTER_MS.iter().enumerate() {
        let api = Api::new(&server, Some(token.clone()));
        // Make sure the token is in the database before the storm (its import is a write too).
        api.get("/v1/schedules?limit=1").await.expect(200);
        let logs: Vec<Arc<Mutex<Vec<Record>>>> = (0..WORKERS).map(|_| Arc::default()).collect();
        let ids: Vec<String> = model.keys().cloned().collect();
        let mut tasks = tokio::task::JoinSet::new();
        for (w, log) in logs.iter().enumerate() {
            let owned: Vec<String> = ids.iter().skip(w).step_by(WORKERS).cloned().collect();
            tasks.spawn(worker(api.clone(), w, round, owned, log.clone()));
        }
        tokio::time::sleep(Duration::from_millis(*kill_ms)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let logs: Vec<Vec<Record>> = logs.iter().map(|l| l.lock().unwrap().clone()).collect();
        let acked = logs.iter().flatten().filter(|r| r.acked).count();

        log_text.lock().unwrap().clear();
        let t = Instant::now();
        server = Server::start_logged(dir.path(), &[], log_text.clone());
        let api = Api::new(&server, Some(token.clone()));
        assert_eq!(api.get("/healthz").await.status, 200);
        let open = t.elapsed();
        assert!(open < Duration::from_secs(10), "restart took {open:?}");
        model = check(&api, &model, &logs).await;
        let said = log_text.lock().unwrap().to_lowercase();
        for word in ["repair", "corrupt", "panick"] {
            assert!(
                !said.contains(word),
                "round {round}: the restarted server said {word:?}:\n{said}"
            );
        }
        stats.push((kill_ms, acked, model.len(), open.as_millis()));
    }
    eprintln!("(kill after ms, acknowledged writes, live schedules, restart ms): {stats:?}");
    eprintln!("total {:?}", started.elapsed());
    assert!(
        stats.iter().map(|s| s.1).sum::<usize>() >= 50,
        "too few writes to prove anything: {stats:?}"
    );
}
