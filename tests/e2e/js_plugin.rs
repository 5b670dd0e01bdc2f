//! A job type written in JavaScript (`examples/js-plugin`), built into a component with
//! componentize-js and run through the real host: loaded from a plugins dir, validated, run
//! against the local job system.
//!
//! Needs Node.js and npm on PATH and the pinned npm packages installed
//! (`npm ci --prefix examples/js-plugin`). Without them the test says so and passes, unless
//! `SGSCHED_REQUIRE_JS_PLUGIN=1` (set by `.ci/run`, which installs them).

use crate::common;

use std::process::Command;
use std::sync::Arc;

use serde_json::json;
use sgsched::jobsystem::LocalJobSystem;
use sgsched::plugins::{PluginError, PluginHost, PluginHostConfig, PluginOrigin, RunRequest};
use sgsched::store::Store;

/// Why the component cannot be built here, or `None` when it can.
fn missing_tools() -> Option<String> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("{tool} not on PATH"));
        }
    }
    let package = common::repo_root()
        .join("examples/js-plugin/node_modules/@bytecodealliance/componentize-js/package.json");
    if !package.is_file() {
        return Some(
            "the npm packages are not installed (npm ci --prefix examples/js-plugin)".into(),
        );
    }
    None
}

#[tokio::test]
async fn js_plugin_builds_loads_validates_and_runs() {
    if let Some(why) = missing_tools() {
        assert!(
            std::env::var("SGSCHED_REQUIRE_JS_PLUGIN").as_deref() != Ok("1"),
            "the JS plugin is required (SGSCHED_REQUIRE_JS_PLUGIN=1) but cannot be built: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let wasm = plugins.join("newsletter.wasm");
    let status = Command::new("bash")
        .arg(common::repo_root().join("examples/js-plugin/build.sh"))
        .arg(&wasm)
        .status()
        .unwrap();
    assert!(status.success(), "build.sh failed");

    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let config = PluginHostConfig {
        plugins_dir: Some(plugins.clone()),
        ..PluginHostConfig::default()
    };
    let h = PluginHost::load(
        config,
        Arc::new(LocalJobSystem::new(Arc::new(store.clone()))),
    )
    .await
    .unwrap();
    assert!(h.refused().is_empty(), "{:?}", h.refused());
    let info = h.info("newsletter").expect("newsletter loaded").clone();
    assert_eq!(info.version, "0.1.0");
    assert_eq!(info.origin, PluginOrigin::File(wasm.clone()));
    assert_eq!(info.config_schema["type"], "object");
    let example: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            common::repo_root().join("examples/js-plugin/example-config.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        info.example_config, example,
        "example-config.json matches info"
    );

    assert_eq!(
        h.validate("newsletter", &info.example_config)
            .await
            .unwrap(),
        Ok(())
    );
    let bad = json!({
        "list_id": "nope",
        "subject": " ",
        "video_id": 7,
        "send_at_local_hour": 24,
        "segments": ["vip", "vip", "Not OK", 3],
        "extra": true,
    });
    let errors = h.validate("newsletter", &bad).await.unwrap().unwrap_err();
    let mut fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "extra",
            "list_id",
            "segments[1]",
            "segments[2]",
            "segments[3]",
            "send_at_local_hour",
            "subject",
            "video_id",
        ]
    );
    let missing = h
        .validate("newsletter", &json!({}))
        .await
        .unwrap()
        .unwrap_err();
    let mut fields: Vec<String> = missing.into_iter().map(|e| e.field).collect();
    fields.sort();
    assert_eq!(fields, ["list_id", "subject", "video_id"]);

    let exec = "0193a1b2-0000-7000-8000-000000000401";
    let out = h
        .run(RunRequest {
            execution_id: exec.into(),
            schedule_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
            user_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
            job_type: "newsletter".into(),
            config: info.example_config.clone(),
            scheduled_for: "2026-11-27T10:00:00Z".into(),
            attempt: 1,
            is_manual: false,
            episode: Some(3),
        })
        .await
        .unwrap();
    let job_id = out.job_id.expect("a job id");
    // The job the run submitted, as the dispatcher commits it with the run's outcome.
    let jobs = h.take_deferred_jobs(exec);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job_id, job_id);
    assert_eq!(jobs[0].idempotency_key, exec);
    assert_eq!(jobs[0].job_type, "newsletter");
    assert_eq!(jobs[0].payload["list_id"], example["list_id"]);
    assert_eq!(jobs[0].payload["segments"], example["segments"]);
    assert_eq!(jobs[0].payload["episode"], 3);
    assert_eq!(out.summary["job_id"], job_id.as_str());
    assert_eq!(out.summary["state"], "succeeded");
    assert_eq!(out.summary["segment_count"], 2);

    // An `err` returned from JS is the execution's error, not a crashed plugin.
    let exec = "0193a1b2-0000-7000-8000-000000000402";
    let err = h
        .run(RunRequest {
            execution_id: exec.into(),
            schedule_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
            user_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
            job_type: "newsletter".into(),
            config: json!({ "subject": "Hi" }),
            scheduled_for: "2026-11-27T10:00:00Z".into(),
            attempt: 1,
            is_manual: true,
            episode: None,
        })
        .await
        .unwrap_err();
    match err {
        PluginError::Rejected { message, .. } => assert!(
            message.starts_with("invalid configuration: list_id: is required"),
            "{message}"
        ),
        other => panic!("expected the plugin's own error, got {other:?}"),
    }
    assert!(h.take_deferred_jobs(exec).is_empty());
}
