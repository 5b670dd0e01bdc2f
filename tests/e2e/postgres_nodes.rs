//! The real binary on PostgreSQL (`serve --database-url`): two nodes on one database see each
//! other's writes at once, everything survives a restart, tokens are made in the database,
//! and a database that goes away gives 503s with a clear body, then work resumes by itself.
//! Skipped where PostgreSQL is not installed (unless `SGSCHED_REQUIRE_POSTGRES=1`).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{self, Api, Server, db_token, once_body, weekly_body};
use serde_json::{Value, json};

fn node(dir: &tempfile::TempDir, url: &str) -> Server {
    Server::start(dir.path(), &["--database-url", url])
}

/// The executions of `id` once every one is final.
async fn settled(api: &Api, id: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let runs = api
            .get(&format!("/v1/schedules/{id}/executions"))
            .await
            .expect(200);
        let items = runs["items"].as_array().unwrap().clone();
        let done = items.iter().all(|e| {
            ["completed", "failed", "skipped", "cancelled"].contains(&e["status"].as_str().unwrap())
        });
        if items.len() == count && done {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "runs of {id} did not settle: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_share_every_write_and_it_survives_a_restart() {
    let Some(cluster) = sgsched_pgtest::cluster() else {
        return;
    };
    let url = cluster.database();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = node(&dir_a, &url);
    let user = uuid::Uuid::new_v4().to_string();
    let token = db_token(&url, &user);
    let on_a = Api::new(&a, Some(token.clone()));

    let weekly = Api::id(
        &on_a
            .create(&weekly_body(
                "weekly",
                "Europe/Berlin",
                &[1, 3],
                "09:00",
                "2030-03-25",
            ))
            .await,
    );
    let once = Api::id(
        &on_a
            .create(&once_body("once", "2031-01-15T13:00:00Z"))
            .await,
    );
    on_a.post(&format!("/v1/schedules/{once}/run"), &json!({}))
        .await
        .expect(201);
    let runs = settled(&on_a, &once, 1).await;
    assert_eq!(runs[0]["status"], "completed");
    let job_id = runs[0]["job_id"].as_str().unwrap().to_string();

    // A second node on the same database sees all of it at once, the token included.
    let b = node(&dir_b, &url);
    let on_b = Api::new(&b, Some(token.clone()));
    assert_eq!(on_b.schedule(&weekly).await, on_a.schedule(&weekly).await);
    assert_eq!(
        on_b.get(&format!("/v1/schedules/{once}/executions"))
            .await
            .text,
        on_a.get(&format!("/v1/schedules/{once}/executions"))
            .await
            .text
    );
    assert_eq!(
        on_b.get(&format!("/v1/jobs/{job_id}")).await.expect(200)["job_id"],
        job_id
    );
    // Paused on B: A's read and A's calendar (kept per node) show it paused at once.
    let calendar =
        "/v1/schedules/calendar?start_date=2030-03-25&end_date=2030-03-31&timezone=Europe/Berlin";
    let before = on_a.get(calendar).await.expect(200);
    assert_eq!(before["total_executions"], 2, "{before}");
    on_b.post_empty(&format!("/v1/schedules/{weekly}/pause"))
        .await
        .expect(200);
    assert_eq!(on_a.schedule(&weekly).await["status"], "paused");
    let after = on_a.get(calendar).await.expect(200);
    assert_eq!(
        after["total_executions"], 0,
        "a paused schedule plans nothing: {after}"
    );
    // Another user sees none of it on either node.
    let stranger = Api::new(&b, Some(db_token(&url, &uuid::Uuid::new_v4().to_string())));
    assert_eq!(
        stranger
            .get(&format!("/v1/schedules/{weekly}"))
            .await
            .status,
        404
    );
    assert_eq!(
        stranger.get("/v1/schedules").await.expect(200)["items"],
        json!([])
    );

    // Everything is as it was after both nodes are gone and one comes back.
    let everything = |api: Api| {
        let once = once.clone();
        async move {
            let mut list = api.get("/v1/schedules?limit=100").await.expect(200);
            for s in list["items"].as_array_mut().unwrap() {
                *s = common::stable(s.take());
            }
            (
                list,
                api.get(&format!("/v1/schedules/{once}/executions"))
                    .await
                    .text,
            )
        }
    };
    let seen = everything(on_a.clone()).await;
    a.kill();
    drop(b);
    let a = node(&dir_a, &url);
    assert_eq!(everything(Api::new(&a, Some(token))).await, seen);
}

/// `GET /v1/schedules` as raw status and body: the `Api` helper refuses a 5xx, and here one
/// is expected.
async fn raw(
    method: reqwest::Method,
    server: &Server,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, server.url(path))
        .bearer_auth(token)
        .timeout(Duration::from_secs(20));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("an answer, not a hang");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_goes_away_gives_503_then_work_resumes() {
    let Some(cluster) = sgsched_pgtest::cluster() else {
        return;
    };
    let url = cluster.database();
    let db = url.rsplit('/').next().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let server = node(&dir, &url);
    let token = db_token(&url, &uuid::Uuid::new_v4().to_string());
    let api = Api::new(&server, Some(token.clone()));
    let kept = Api::id(&api.create(&once_body("kept", "2031-01-15T13:00:00Z")).await);

    // The database refuses new connections and drops the node's.
    cluster
        .sql(
            "postgres",
            &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"),
        )
        .unwrap();
    cluster
        .sql(
            "postgres",
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
            ),
        )
        .unwrap();
    let started = Instant::now();
    let (status, problem) = raw(reqwest::Method::GET, &server, &token, "/v1/schedules", None).await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["title"], "Service Unavailable");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("database is unreachable"),
        "{problem}"
    );
    let body = once_body("lost", "2031-01-16T13:00:00Z");
    let (status, _) = raw(
        reqwest::Method::POST,
        &server,
        &token,
        "/v1/schedules",
        Some(body),
    )
    .await;
    assert_eq!(status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "503s come in seconds: {:?}",
        started.elapsed()
    );

    // Back: the node reconnects by itself; what failed was not written, and runs go on.
    cluster
        .sql(
            "postgres",
            &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, list) =
            raw(reqwest::Method::GET, &server, &token, "/v1/schedules", None).await;
        if status == 200 {
            let names: Vec<&str> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, ["kept"]);
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "the node did not reconnect");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    api.post(&format!("/v1/schedules/{kept}/run"), &json!({}))
        .await
        .expect(201);
    assert_eq!(settled(&api, &kept, 1).await[0]["status"], "completed");
}

#[test]
fn bad_database_urls_are_refused_at_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for (url, says) in [
        ("mysql://nobody@127.0.0.1/x", "not a PostgreSQL URL"),
        (
            "postgres://nobody@127.0.0.1:1/x",
            "cannot open the database postgres://nobody@127.0.0.1/x",
        ),
    ] {
        let out = Command::new(common::binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(["--database-url", url])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(says), "{url}: {stderr}");
    }
    let secret = "postgres://sg:hunter2@127.0.0.1:1/x";
    let out = Command::new(common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("SGSCHED_DATABASE_URL", secret)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("postgres://sg@127.0.0.1/x"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is never shown: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_nodes_run_is_taken_over_with_the_same_execution_id() {
    let Some(cluster) = sgsched_pgtest::cluster() else {
        return;
    };
    let url = cluster.database();
    let (stub, stub_url) = common::stub_server(job_system_stub::StubConfig {
        complete_after: Duration::from_secs(8),
        ..Default::default()
    })
    .await;
    let args = |node: &str| {
        vec![
            "--database-url".to_string(),
            url.clone(),
            "--job-system-url".into(),
            stub_url.clone(),
            "--node-id".into(),
            node.into(),
        ]
    };
    let start = |dir: &tempfile::TempDir, node: &str| {
        let a = args(node);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        tokio::task::block_in_place(|| Server::start(dir.path(), &a))
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = start(&dir_a, "node-a");
    let b = start(&dir_b, "node-b");
    let token = db_token(&url, &uuid::Uuid::new_v4().to_string());
    let (on_a, on_b) = (Api::new(&a, Some(token.clone())), Api::new(&b, Some(token)));
    let cluster_view = on_b.get("/v1/cluster").await.expect(200);
    assert_eq!(cluster_view["backend"], "postgres");
    assert_eq!(cluster_view["node_id"], "node-b");
    let names: Vec<&str> = cluster_view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["node-a", "node-b"], "{cluster_view}");

    // A run started by A (run-now goes to the node asked), in flight at the job system.
    let id = Api::id(
        &on_a
            .create(&once_body("long", "2031-01-15T13:00:00Z"))
            .await,
    );
    on_a.post(&format!("/v1/schedules/{id}/run"), &json!({}))
        .await
        .expect(201);
    let deadline = Instant::now() + Duration::from_secs(20);
    let execution = loop {
        let runs = on_b
            .get(&format!("/v1/schedules/{id}/executions"))
            .await
            .expect(200);
        if stub.stats().jobs == 1 && runs["items"][0]["status"] == "running" {
            break runs["items"][0].clone();
        }
        assert!(Instant::now() < deadline, "the run never started: {runs}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(execution["attempt"], 1, "{execution}");
    let execution_id = execution["execution_id"].as_str().unwrap().to_string();

    // A dies mid-run: B takes the run over once A's lease (10 s) lapses, same execution id.
    a.kill();
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(40);
    let done = loop {
        let runs = on_b
            .get(&format!("/v1/schedules/{id}/executions"))
            .await
            .expect(200);
        let items = runs["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "one execution, never a second: {runs}");
        if items[0]["status"] == "completed" {
            break items[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "B never finished A's run: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = killed.elapsed();
    eprintln!("kill to completion on the other node: {took:?}");
    assert_eq!(done["execution_id"], execution_id.as_str());
    assert_eq!(done["attempt"], 2, "{done}");
    assert!(
        took >= Duration::from_secs(5),
        "not before A's lease could lapse: {took:?}"
    );
    let stats = stub.stats();
    assert_eq!(stats.jobs, 1, "the job system saw one job: {stats:?}");
    assert_eq!(
        stats.by_idempotency_key.get(&execution_id),
        Some(&2),
        "{stats:?}"
    );
    let view = on_b.get("/v1/cluster").await.expect(200);
    let names: Vec<&str> = view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["node-b"], "the dead node is forgotten: {view}");
}

/// The nodes `view` (a `/v1/cluster` answer) shows alive.
fn alive(view: &Value) -> Vec<String> {
    view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["alive"] == true)
        .map(|n| n["node_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_that_stops_cleanly_gives_up_its_lease_at_once() {
    let Some(cluster) = sgsched_pgtest::cluster() else {
        return;
    };
    let url = cluster.database();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let start = |dir: &tempfile::TempDir, name: &str| {
        Server::start(dir.path(), &["--database-url", &url, "--node-id", name])
    };
    let mut a = start(&dir_a, "node-a");
    let b = start(&dir_b, "node-b");
    let on_b = Api::new(&b, Some(db_token(&url, &uuid::Uuid::new_v4().to_string())));
    let view = on_b.get("/v1/cluster").await.expect(200);
    assert_eq!(alive(&view), ["node-a", "node-b"], "{view}");
    assert!(a.terminate(Duration::from_secs(20)), "node A stops cleanly");
    // Its lease ran for ten seconds more; given up, it is over as A exits.
    let view = on_b.get("/v1/cluster").await.expect(200);
    assert_eq!(alive(&view), ["node-b"], "{view}");
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_moves_an_embedded_install_exactly_and_refuses_a_full_target() {
    let Some(cluster) = sgsched_pgtest::cluster() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    let mut embedded = Server::start(dir.path(), &[]);
    let token = embedded.token(&uuid::Uuid::new_v4().to_string());
    let api = Api::new(&embedded, Some(token.clone()));
    api.create(&weekly_body(
        "weekly",
        "America/New_York",
        &[1, 5],
        "07:30",
        "2030-03-25",
    ))
    .await;
    let once = Api::id(&api.create(&once_body("once", "2031-01-15T13:00:00Z")).await);
    api.post(&format!("/v1/schedules/{once}/run"), &json!({}))
        .await
        .expect(201);
    settled(&api, &once, 1).await;
    let series = json!({
        "name": "Weekly show", "episode_count": 2, "job_type": "export", "timezone": "Europe/Berlin",
        "job_config": common::export_config(),
        "schedule_rule": {"frequency": "weekly", "days_of_week": [1], "time_of_day": "09:00", "start_date": "2030-03-18"}
    });
    let series_id = api.post("/v1/schedules/series", &series).await.expect(201)["series_id"]
        .as_str()
        .unwrap()
        .to_string();
    let everything = |api: Api| {
        let (once, series_id) = (once.clone(), series_id.clone());
        async move {
            let mut list = api.get("/v1/schedules?limit=100").await.expect(200);
            for s in list["items"].as_array_mut().unwrap() {
                *s = common::stable(s.take());
            }
            [
                list.to_string(),
                api.get(&format!("/v1/schedules/{once}/executions"))
                    .await
                    .text,
                api.get("/v1/jobs").await.text,
                api.get(&format!("/v1/schedules/series/{series_id}"))
                    .await
                    .text,
            ]
        }
    };
    let before = everything(api.clone()).await;
    // A calendar feed moves too: its URL answers the same calendar from the new node.
    let feed = api.post("/v1/feeds", &json!({})).await.expect(201);
    let feed_path = feed["url"]
        .as_str()
        .unwrap()
        .replacen(&embedded.url(""), "", 1);
    let calendar = |server: &Server| {
        let (origin, path) = (server.url(""), feed_path.clone());
        let api = Api::new(server, None);
        async move {
            api.get(&path)
                .await
                .expect_text(200)
                .replace(&origin, "ORIGIN")
        }
    };
    let feed_before = calendar(&embedded).await;
    assert!(
        feed_before.contains(&format!("UID:{once}@sgsched")),
        "{feed_before}"
    );
    assert!(embedded.terminate(Duration::from_secs(10)));

    let migrate = || {
        Command::new(common::binary())
            .args(["migrate", "--data-dir"])
            .arg(dir.path())
            .args(["--database-url", &url])
            .output()
            .unwrap()
    };
    let out = migrate();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "copied 4 schedules, 1 executions, 1 series, 1 tokens, 1 jobs, 1 feeds"
    );
    // A second copy into the now full database is refused and changes nothing.
    let again = migrate();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("the target database is not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The same token, the same answers, from a node on PostgreSQL.
    let elsewhere = tempfile::tempdir().unwrap();
    let on_pg = node(&elsewhere, &url);
    assert_eq!(everything(Api::new(&on_pg, Some(token))).await, before);
    assert_eq!(calendar(&on_pg).await, feed_before);
}

/// Two runs asked of two nodes at once, each with `limit` as its `--max-concurrent`: the
/// executions of `first` and `second` (schedules of one user), settled.
async fn two_runs_on_two_nodes(limit: &str, same_schedule: bool) -> (Value, Value, u64) {
    let cluster = sgsched_pgtest::cluster().expect("checked by the caller");
    let url = cluster.database();
    let (stub, stub_url) = common::stub_server(job_system_stub::StubConfig {
        complete_after: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let args: Vec<String> = [
        "--database-url",
        url.as_str(),
        "--job-system-url",
        stub_url.as_str(),
        "--max-concurrent",
        limit,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = common::start_blocking(dir_a.path(), &args);
    let b = common::start_blocking(dir_b.path(), &args);
    let token = db_token(&url, &uuid::Uuid::new_v4().to_string());
    let (on_a, on_b) = (Api::new(&a, Some(token.clone())), Api::new(&b, Some(token)));
    let first = Api::id(
        &on_a
            .create(&once_body("first", "2031-01-15T13:00:00Z"))
            .await,
    );
    let second = if same_schedule {
        first.clone()
    } else {
        Api::id(
            &on_b
                .create(&once_body("second", "2031-01-15T13:00:00Z"))
                .await,
        )
    };
    let (empty, run1, run2) = (
        json!({}),
        format!("/v1/schedules/{first}/run"),
        format!("/v1/schedules/{second}/run"),
    );
    let (r1, r2) = tokio::join!(on_a.post(&run1, &empty), on_b.post(&run2, &empty));
    r1.expect(201);
    r2.expect(201);
    let (one, two) = if same_schedule {
        let mut runs = settled(&on_a, &first, 2).await;
        (runs.remove(0), runs.remove(0))
    } else {
        (
            settled(&on_a, &first, 1).await.remove(0),
            settled(&on_a, &second, 1).await.remove(0),
        )
    };
    (one, two, stub.stats().jobs)
}

/// The two runs completed, one after the other.
fn one_after_the_other(one: &Value, two: &Value) {
    assert_eq!(
        (one["status"].as_str(), two["status"].as_str()),
        (Some("completed"), Some("completed"))
    );
    let at =
        |e: &Value, f: &str| chrono::DateTime::parse_from_rfc3339(e[f].as_str().unwrap()).unwrap();
    let (earlier, later) = if at(one, "started_at") <= at(two, "started_at") {
        (one, two)
    } else {
        (two, one)
    };
    assert!(
        at(later, "started_at") >= at(earlier, "completed_at"),
        "the runs did not overlap: {earlier} / {later}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_concurrency_limit_holds_across_nodes() {
    if sgsched_pgtest::cluster().is_none() {
        return;
    }
    // A limit of one running execution is the cluster's: one run waits for the other.
    let (one, two, jobs) = two_runs_on_two_nodes("1", false).await;
    one_after_the_other(&one, &two);
    assert_eq!(jobs, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_run_of_a_schedule_at_a_time_holds_across_nodes() {
    if sgsched_pgtest::cluster().is_none() {
        return;
    }
    let (one, two, jobs) = two_runs_on_two_nodes("16", true).await;
    one_after_the_other(&one, &two);
    assert_eq!(jobs, 2);
}
