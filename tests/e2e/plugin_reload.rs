//! Plugins replaced while the server runs: a run started on a version finishes on it and the
//! next run gets the new one; a broken replacement keeps the previous version serving (and is
//! reported); added and removed files come and go; hostile guests loaded this way are
//! contained as at start; the real binary picks a change up by itself and on SIGHUP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sgsched::jobsystem::LocalJobSystem;
use sgsched::plugins::{PluginHost, PluginHostConfig, RunRequest};
use sgsched::store::Store;

use crate::common;

fn run(mode: &str) -> RunRequest {
    RunRequest {
        execution_id: uuid::Uuid::now_v7().to_string(),
        schedule_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
        user_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
        job_type: "hostile".into(),
        config: json!({ "mode": mode }),
        scheduled_for: "2026-11-27T10:00:00Z".into(),
        attempt: 1,
        is_manual: false,
        episode: None,
    }
}

async fn message(h: &PluginHost, mode: &str) -> String {
    let out = h.run(run(mode)).await.unwrap();
    out.summary["message"].as_str().unwrap().to_string()
}

/// Replace `file` the way an operator's deploy does: a new file renamed over the old one.
fn replace(file: &std::path::Path, bytes: &[u8]) {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}

#[tokio::test]
async fn a_reload_swaps_versions_without_failing_runs_and_a_broken_file_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let file = plugins.join("hostile.wasm");
    std::fs::copy(common::hostile_wasm(), &file).unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let config = PluginHostConfig {
        plugins_dir: Some(plugins.clone()),
        memory_limit_bytes: 32 << 20,
        ..PluginHostConfig::default()
    };
    let h = PluginHost::load(config, Arc::new(LocalJobSystem::new(Arc::new(store))))
        .await
        .unwrap();
    assert_eq!(h.info("hostile").unwrap().version, "0.0.1");
    assert!(!h.plugins_dir_changed());

    // A run in flight across the swap finishes on its version; the next one gets the new one.
    let in_flight = {
        let h = h.clone();
        tokio::spawn(async move { h.run(run("spin")).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    replace(&file, &std::fs::read(common::hostile_next_wasm()).unwrap());
    assert!(h.plugins_dir_changed());
    let report = h.reload().await.unwrap();
    assert_eq!(report.loaded, ["hostile"]);
    assert_eq!(h.info("hostile").unwrap().version, "0.0.2");
    let finished = in_flight
        .await
        .unwrap()
        .expect("the run across the reload succeeds");
    assert_eq!(
        finished.summary["message"], "0.0.1 after 0",
        "{}",
        finished.summary
    );
    assert_eq!(message(&h, "version").await, "0.0.2");
    assert!(!h.plugins_dir_changed());
    // Nothing changed: nothing is compiled again.
    let again = h.reload().await.unwrap();
    assert_eq!((again.loaded.len(), again.removed.len()), (0, 0));

    // A broken replacement: reported, and 0.0.2 keeps serving.
    replace(&file, b"\0asm\x0d\0\x01\0not a component");
    let report = h.reload().await.unwrap();
    assert_eq!(report.refused.len(), 1);
    let reason = &h.refused()[0].reason;
    assert!(reason.starts_with("cannot compile"), "{reason}");
    assert!(
        reason.ends_with("; version 0.0.2 keeps serving \"hostile\""),
        "{reason}"
    );
    assert_eq!(message(&h, "version").await, "0.0.2");

    // Hostile guests loaded by a reload are contained as at start.
    replace(&file, &std::fs::read(common::hostile_wasm()).unwrap());
    assert_eq!(h.reload().await.unwrap().loaded, ["hostile"]);
    assert!(h.refused().is_empty());
    let e = h.run(run("trap")).await.unwrap_err().to_string();
    assert!(e.starts_with("plugin hostile trapped"), "{e}");
    let e = h.run(run("oom")).await.unwrap_err().to_string();
    assert_eq!(e, "plugin hostile exceeded its memory limit of 32 MiB");
    assert_eq!(message(&h, "version").await, "0.0.1");

    // Removed and added.
    std::fs::remove_file(&file).unwrap();
    assert_eq!(h.reload().await.unwrap().removed, ["hostile"]);
    assert!(h.info("hostile").is_none());
    std::fs::copy(common::hostile_next_wasm(), plugins.join("again.wasm")).unwrap();
    assert_eq!(h.reload().await.unwrap().loaded, ["hostile"]);
    assert_eq!(message(&h, "version").await, "0.0.2");
}

async fn plugins_view(http: &reqwest::Client, server: &common::Server, token: &str) -> Value {
    http.get(server.url("/v1/plugins"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn version_of(view: &Value) -> Option<String> {
    view["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["job_type"] == "hostile")
        .map(|p| p["version"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_server_picks_up_a_changed_file_by_itself_and_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let server = common::Server::start(
        &dir.path().join("data"),
        &["--plugins-dir", plugins.to_str().unwrap()],
    );
    let token = server.token("0193a1b2-0000-7000-8000-00000000fe31");
    let http = reqwest::Client::new();
    assert_eq!(
        version_of(&plugins_view(&http, &server, &token).await),
        None
    );

    let wait_for = |want: Option<&'static str>| {
        let (http, token) = (http.clone(), token.clone());
        let server = &server;
        async move {
            let t = Instant::now();
            loop {
                let view = plugins_view(&http, server, &token).await;
                if version_of(&view).as_deref() == want {
                    return (t.elapsed(), view);
                }
                assert!(t.elapsed() < Duration::from_secs(20), "still {view}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let file = plugins.join("hostile.wasm");
    replace(&file, &std::fs::read(common::hostile_wasm()).unwrap());
    let (took, _) = wait_for(Some("0.0.1")).await;
    eprintln!("added file serving after {took:?}");
    replace(&file, &std::fs::read(common::hostile_next_wasm()).unwrap());
    let (took, _) = wait_for(Some("0.0.2")).await;
    eprintln!("changed file serving after {took:?}");

    // A broken file is reported by the API; the previous version keeps serving.
    replace(&file, b"garbage");
    let t = Instant::now();
    let view = loop {
        let view = plugins_view(&http, &server, &token).await;
        if !view["refused"].as_array().unwrap().is_empty() {
            break view;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "{view}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(view["refused"][0]["file"], "hostile.wasm");
    let reason = view["refused"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("keeps serving"), "{reason}");
    assert_eq!(version_of(&view).as_deref(), Some("0.0.2"));

    // SIGHUP rescans at once (the file did not change: nothing moves, the refusal stays).
    let pid = server.pid().to_string();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(hup.success());
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let view = plugins_view(&http, &server, &token).await;
    let reason = view["refused"][0]["reason"].as_str().unwrap();
    assert_eq!(reason.matches("keeps serving").count(), 1, "{reason}");
    assert!(
        metrics.contains("sgsched_plugin_reloads_total "),
        "{metrics}"
    );
    assert!(metrics.contains("sgsched_plugins_refused 1"), "{metrics}");
    assert_eq!(
        version_of(&plugins_view(&http, &server, &token).await).as_deref(),
        Some("0.0.2")
    );
}
