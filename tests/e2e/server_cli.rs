//! The real binary: `plugins list`, `plugins validate`, and `serve` answering `/healthz`,
//! `/v1/plugins` and `/v1/jobs`, shutting down on SIGTERM and reusing its compiled cache.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::Server;
use serde_json::{Value, json};

fn sgsched(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::binary()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn plugins_list_prints_the_six_built_ins() {
    let (code, out, _) = sgsched(&["plugins", "list"]);
    assert_eq!(code, 0);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["batch_generation", "0.1.0", "contract", "0.1.0", "built-in"],
            vec![
                "caption_generation",
                "0.1.0",
                "contract",
                "0.1.0",
                "built-in"
            ],
            vec!["export", "0.1.0", "contract", "0.1.0", "built-in"],
            vec![
                "script_generation",
                "0.1.0",
                "contract",
                "0.1.0",
                "built-in"
            ],
            vec![
                "thumbnail_generation",
                "0.1.0",
                "contract",
                "0.1.0",
                "built-in"
            ],
            vec!["video_generation", "0.1.0", "contract", "0.1.0", "built-in"],
        ]
    );
}

#[test]
fn plugins_list_with_a_plugins_dir_shows_files_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::hostile_wasm(), dir.path().join("hostile.wasm")).unwrap();
    std::fs::copy(common::wrong_world_wasm(), dir.path().join("wrong.wasm")).unwrap();
    std::fs::copy(
        common::future_contract_wasm(),
        dir.path().join("future.wasm"),
    )
    .unwrap();
    let (code, out, err) = sgsched(&[
        "plugins",
        "list",
        "--plugins-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let hostile: Vec<&str> = out
        .lines()
        .find(|l| l.starts_with("hostile "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(hostile[..4], ["hostile", "0.0.1", "contract", "0.1.0"]);
    assert_eq!(
        hostile[4],
        format!("file:{}", dir.path().join("hostile.wasm").display())
    );
    assert_eq!(out.lines().count(), 7);
    assert!(
        err.contains(&format!(
            "refused {}: not a component of world",
            dir.path().join("wrong.wasm").display()
        )),
        "{err}"
    );
    // Built against another contract: refused with both versions named.
    assert!(
        err.contains(&format!(
            "refused {}: built against contract 1.0.0 (story-genius:scheduler/job-runner@1.0.0); \
             this sgsched speaks 0.1.x (story-genius:scheduler/job-runner@0.1.0)",
            dir.path().join("future.wasm").display()
        )),
        "{err}"
    );
}

#[test]
fn plugins_validate_exit_codes_and_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let bad = dir.path().join("bad.json");
    let notjson = dir.path().join("notjson.json");
    std::fs::write(
        &good,
        json!({"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4", "resolution": "1080p"}).to_string(),
    )
    .unwrap();
    std::fs::write(
        &bad,
        json!({"format": "avi", "resolution": "9000p", "bogus": 1}).to_string(),
    )
    .unwrap();
    std::fs::write(&notjson, "{ nope").unwrap();

    let (code, out, _) = sgsched(&["plugins", "validate", "export", good.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, "valid\n"));

    let (code, out, _) = sgsched(&["plugins", "validate", "export", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    let mut fields: Vec<&str> = out.lines().map(|l| l.split(": ").next().unwrap()).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["bogus", "format", "project_id", "resolution"],
        "{out}"
    );

    let (code, out, _) = sgsched(&["plugins", "validate", "export", notjson.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.starts_with("(config): not valid JSON"), "{out}");

    let (code, _, err) = sgsched(&[
        "plugins",
        "validate",
        "no_such_type",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown job type \"no_such_type\""), "{err}");

    let (code, _, err) = sgsched(&["plugins", "validate", "export", "/no/such/file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /no/such/file.json"), "{err}");
}

#[tokio::test]
async fn serve_answers_health_plugins_and_jobs_then_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &[]);
    let http = reqwest::Client::new();

    let health = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let anonymous = http.get(server.url("/v1/plugins")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    let bad = http
        .get(server.url("/v1/plugins"))
        .bearer_auth("sgs_not_a_token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let token = server.token("0193a1b2-0000-7000-8000-0000000000cc");
    let plugins: Value = http
        .get(server.url("/v1/plugins"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = plugins["plugins"].as_array().unwrap();
    for p in list {
        assert_eq!(
            (&p["version"], &p["contract_version"]),
            (&json!("0.1.0"), &json!("0.1.0")),
            "{p}"
        );
    }
    let types: Vec<&str> = list
        .iter()
        .map(|p| p["job_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "batch_generation",
            "caption_generation",
            "export",
            "script_generation",
            "thumbnail_generation",
            "video_generation"
        ]
    );
    for p in list {
        assert_eq!(p["version"], "0.1.0");
        assert_eq!(p["origin"], "built-in");
        assert_eq!(p["config_schema"]["type"], "object");
        assert!(p["example_config"].is_object());
        assert!(p["description"].as_str().is_some_and(|d| !d.is_empty()));
    }

    let jobs: Value = http
        .get(server.url("/v1/jobs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jobs, json!({ "items": [], "next_cursor": null }));

    let bad = http
        .get(server.url("/v1/jobs?limit=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let body: Value = bad.json().await.unwrap();
    assert_eq!(
        body["errors"],
        json!([{ "field": "limit", "message": "must be an integer from 1 to 1000" }])
    );

    let bad = http
        .get(server.url("/v1/jobs?cursor=zzz"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    // As on the schedule routes (it was a 400 here before the query reader was shared).
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(
        body["errors"],
        json!([{ "field": "cursor", "message": "must be a cursor from a previous page" }])
    );
    let missing = http
        .get(server.url("/v1/jobs/0193a1b2-0000-7000-8000-000000000000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let nowhere = http
        .get(server.url("/v1/nowhere"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);
    assert_eq!(
        nowhere.headers()["content-type"],
        "application/problem+json"
    );

    assert!(
        server.terminate(Duration::from_secs(10)),
        "clean exit on SIGTERM"
    );

    // The compiled cache is in the data dir, one artifact per built-in, and a restart reuses it.
    let cache = data.path().join("cache/plugins");
    let count = || std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(count(), 6);
    let server = Server::start(data.path(), &[]);
    let health = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(count(), 6);
    // The token, imported on first use, is in the database now and survives the restart.
    let again = http
        .get(server.url("/v1/plugins"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
}

#[test]
fn serve_refuses_a_port_in_use_with_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let (code, _, err) = sgsched(&[
        "serve",
        "--listen",
        &addr,
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[test]
fn serve_refuses_a_bad_config_file_naming_the_key() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let config = data.path().join("sgsched.toml");
    for (text, needle) in [
        ("max_concurent = 4\n", "unknown field `max_concurent`"),
        ("max_concurrent = \"many\"\n", "max_concurrent"),
        (
            "max_concurrent = 0\n",
            "max_concurrent = 0 is out of range (1..=100000)",
        ),
        (
            "grace_secs = 100000\n",
            "grace_secs = 100000 is out of range (0..=86400)",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let (code, _, err) = sgsched(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir,
            "--config",
            config.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(needle), "{text}: {err}");
    }
    let (code, _, err) = sgsched(&["serve", "--data-dir", dir, "--config", "/nonexistent.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read the config file /nonexistent.toml"),
        "{err}"
    );
}

/// The config file's settings take effect: here the API rate limit, observable from outside.
#[tokio::test]
async fn serve_reads_its_limits_from_a_config_file() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("sgsched.toml");
    std::fs::write(
        &config,
        "api_rate_per_minute = 3\nmax_concurrent = 8\nuser_rate_per_minute = 30\n",
    )
    .unwrap();
    let server = Server::start(data.path(), &["--config", config.to_str().unwrap()]);
    let api = common::Api::for_new_user(&server);
    for _ in 0..3 {
        api.get("/v1/schedules").await.expect(200);
    }
    let limited = api.get("/v1/schedules").await;
    assert_eq!(limited.status, 429, "{}", limited.text);
}

/// Read from `c` until the server closes it (or `limit` passes); returns how long that took, or
/// `None` if the connection was still open at the limit.
fn closed_within(c: &mut std::net::TcpStream, limit: Duration) -> Option<Duration> {
    use std::io::Read;
    let start = std::time::Instant::now();
    c.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(start.elapsed());
            }
            Err(_) => return None,
        }
    }
}

/// A client that withholds its request's headers, or leaves a keep-alive connection idle, is
/// disconnected after `header_timeout_secs` (here 1 s, from the config file): such clients
/// cannot hold the server's descriptors for ever. A prompt client on another connection is
/// served meanwhile, and a connection in use is not cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_after_the_header_timeout() {
    use std::io::Write;
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("sgsched.toml");
    std::fs::write(&config, "header_timeout_secs = 1\n").unwrap();
    let server = Server::start(data.path(), &["--config", config.to_str().unwrap()]);
    let limit = Duration::from_secs(5);
    tokio::task::block_in_place(|| {
        let mut silent = std::net::TcpStream::connect(&server.addr).unwrap();
        let mut trickle = std::net::TcpStream::connect(&server.addr).unwrap();
        write!(trickle, "GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
        let took = closed_within(&mut silent, limit).expect("a silent connection stays open");
        assert!(took < Duration::from_millis(2500), "closed after {took:?}");
        let took = closed_within(&mut trickle, limit).expect("a partial header stays open");
        assert!(took < Duration::from_millis(2500), "closed after {took:?}");

        // Keep-alive: three requests 300 ms apart are all answered on one connection; once it
        // is left idle past the deadline the server closes it.
        let mut kept = std::net::TcpStream::connect(&server.addr).unwrap();
        kept.set_read_timeout(Some(limit)).unwrap();
        for _ in 0..3 {
            write!(kept, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut buf = [0u8; 1024];
            let n = std::io::Read::read(&mut kept, &mut buf).unwrap();
            let head = String::from_utf8_lossy(&buf[..n]);
            assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
            std::thread::sleep(Duration::from_millis(300));
        }
        let took = closed_within(&mut kept, limit).expect("an idle keep-alive stays open");
        assert!(took < Duration::from_millis(2500), "closed after {took:?}");
    });
    // And the server still serves.
    let api = common::Api::new(&server, None);
    assert_eq!(api.get("/healthz").await.status, 200);
}
