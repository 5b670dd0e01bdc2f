//! The plugin author's loop: `sgsched plugins run` (its output and exit codes, hostile guests
//! contained), and limits per job type from the config file (applied to that plugin alone,
//! checked at start).

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sgsched::jobsystem::LocalJobSystem;
use sgsched::plugins::{PluginHost, PluginHostConfig, PluginLimits, RunRequest};
use sgsched::store::Store;

use crate::common;

fn plugins(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::binary())
        .arg("plugins")
        .args(args)
        .env("RUST_LOG", "warn,sgsched::guest=info")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn plugins_run_prints_the_jobs_the_outcome_and_exits_by_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("export.json");
    std::fs::write(&config, common::export_config().to_string()).unwrap();
    let (code, out, err) = plugins(&["run", "export", config.to_str().unwrap(), "--episode", "3"]);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let exec = lines[0]
        .strip_prefix("execution ")
        .expect("the execution id first");
    let (job, rest) = lines[1]
        .strip_prefix("submitted job ")
        .and_then(|l| l.split_once(" (export), idempotency key "))
        .unwrap_or_else(|| panic!("{out}"));
    let (key, payload) = rest.split_once(": ").unwrap();
    assert_eq!(key, exec, "the idempotency key is the execution id");
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(payload["config"]["project_id"], common::PROJECT_ID);
    assert_eq!(
        (payload["episode"].clone(), payload["attempt"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(payload["execution_id"], exec);
    assert!(lines[2].starts_with("succeeded in "), "{out}");
    assert!(
        lines[2].contains(&format!(": job {job}, summary {{")),
        "{out}"
    );

    // Every field error, exit 1; not JSON, exit 1.
    std::fs::write(
        &config,
        r#"{"project_id": "nope", "format": "gif", "extra": 1}"#,
    )
    .unwrap();
    let (code, out, _) = plugins(&["run", "export", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    let fields: Vec<&str> = out.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(fields, ["extra", "project_id"], "{out}");
    assert!(!out.contains("submitted"), "an invalid config ran: {out}");
    std::fs::write(&config, "{").unwrap();
    let (code, out, _) = plugins(&["run", "export", config.to_str().unwrap()]);
    assert_eq!(
        (code, out.starts_with("(config): not valid JSON")),
        (1, true),
        "{out}"
    );

    // A plugin that cannot be loaded: exit 2, with why its file was refused.
    std::fs::write(&config, "{}").unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    std::fs::write(dir2.path().join("broken.wasm"), b"\0asm\x0d\0\x01\0garbage").unwrap();
    let (code, _, err) = plugins(&[
        "run",
        "broken",
        config.to_str().unwrap(),
        "--plugins-dir",
        dir2.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown job type \"broken\""), "{err}");
    assert!(
        err.contains("refused") && err.contains("broken.wasm: cannot compile"),
        "{err}"
    );

    // Hostile guests fail their own run (exit 1); their log lines reach stderr.
    std::fs::copy(common::hostile_wasm(), dir2.path().join("hostile.wasm")).unwrap();
    let plugins_dir = dir2.path().to_str().unwrap();
    for (mode, want) in [
        ("trap", "plugin hostile trapped"),
        ("panic", "hostile guest panicked on purpose"),
    ] {
        std::fs::write(&config, json!({ "mode": mode }).to_string()).unwrap();
        let (code, out, _) = plugins(&[
            "run",
            "hostile",
            config.to_str().unwrap(),
            "--plugins-dir",
            plugins_dir,
        ]);
        assert_eq!(code, 1, "{mode}: {out}");
        assert!(
            // The hostile guest misbehaves in validate already.
            out.starts_with("failed to validate: ") && out.contains(want),
            "{mode}: {out}"
        );
    }
    std::fs::write(&config, json!({ "mode": "log" }).to_string()).unwrap();
    let (code, out, err) = plugins(&[
        "run",
        "hostile",
        config.to_str().unwrap(),
        "--plugins-dir",
        plugins_dir,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("summary {\"message\":\"logged\"}\n"), "{out}");
    assert!(
        err.contains("hello from the hostile guest's stderr"),
        "{err}"
    );
}

async fn hostile_with(
    limits: PluginLimits,
    config: impl FnOnce(&mut PluginHostConfig),
) -> (tempfile::TempDir, PluginHost) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::hostile_wasm(), dir.path().join("hostile.wasm")).unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let mut c = PluginHostConfig {
        plugins_dir: Some(dir.path().to_path_buf()),
        ..PluginHostConfig::default()
    };
    c.plugin_limits.insert("hostile".into(), limits);
    config(&mut c);
    let h = PluginHost::load(c, Arc::new(LocalJobSystem::new(Arc::new(store))))
        .await
        .unwrap();
    (dir, h)
}

fn run(mode: &str) -> RunRequest {
    RunRequest {
        execution_id: "0193a1b2-0000-7000-8000-000000000401".into(),
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

#[tokio::test]
async fn limits_per_job_type_apply_to_that_plugin_alone_and_are_checked_at_start() {
    let limits = PluginLimits {
        memory_mib: Some(16),
        validate_timeout_ms: Some(200),
        run_timeout_secs: Some(1),
    };
    let (_d, h) = hostile_with(limits, |_| {}).await;
    let t = std::time::Instant::now();
    let e = h.run(run("loop")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "plugin hostile exceeded its time limit of 1s"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let e = h.run(run("oom")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "plugin hostile exceeded its memory limit of 16 MiB"
    );
    let e = h
        .validate("hostile", &json!({ "mode": "loop" }))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "plugin hostile exceeded its time limit of 200ms"
    );
    // The built-ins keep the host-wide limits.
    let out = h
        .run(RunRequest {
            job_type: "export".into(),
            config: common::export_config(),
            ..run("")
        })
        .await
        .unwrap();
    assert!(out.job_id.is_some());

    // A limit for a job type nobody has, or out of range, stops the load, naming each.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let mut c = PluginHostConfig::default();
    c.plugin_limits
        .insert("nope".into(), PluginLimits::default());
    c.plugin_limits.insert(
        "video_generation".into(),
        PluginLimits {
            memory_mib: Some(0),
            ..Default::default()
        },
    );
    let e = PluginHost::load(c, Arc::new(LocalJobSystem::new(Arc::new(store))))
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(
        text.starts_with("plugin_limits.nope: no plugin has job type \"nope\" (loaded: "),
        "{text}"
    );
    assert!(
        text.ends_with("; plugin_limits.video_generation.memory_mib: 0 is out of range 1..=4096"),
        "{text}"
    );
}

#[test]
fn serve_reads_limits_per_job_type_from_the_config_file_and_refuses_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sgsched.toml");
    std::fs::write(
        &file,
        "max_concurrent = 4\n[plugin_limits.vidoe]\nrun_timeout_secs = 30\n",
    )
    .unwrap();
    let out = Command::new(common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plugin_limits.vidoe: no plugin has job type \"vidoe\""),
        "{err}"
    );
    std::fs::write(&file, "[plugin_limits.video_generation]\nmemory_mb = 30\n").unwrap();
    let out = Command::new(common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plugin_limits: unknown field `memory_mb`"),
        "{err}"
    );
    // A good one starts.
    std::fs::write(
        &file,
        "[plugin_limits.video_generation]\nmemory_mib = 128\nrun_timeout_secs = 30\n",
    )
    .unwrap();
    let mut server = common::Server::start(
        &dir.path().join("data"),
        &["--config", file.to_str().unwrap()],
    );
    assert!(server.terminate(Duration::from_secs(10)));
}
