//! A job type written in Python (`examples/python-plugin`), built into a component with
//! componentize-py and run through the real host: loaded from a plugins dir, validated, run
//! against the local job system.
//!
//! Needs `componentize-py` on PATH. Without it the test says so and passes, unless
//! `SGSCHED_REQUIRE_PYTHON_PLUGIN=1` (set by `.ci/run`, which installs it).

use crate::common;

use std::process::Command;
use std::sync::Arc;

use serde_json::json;
use sgsched::jobsystem::LocalJobSystem;
use sgsched::plugins::{PluginHost, PluginHostConfig, PluginOrigin, RunRequest};
use sgsched::store::Store;

fn componentize_py_available() -> bool {
    Command::new("componentize-py")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn python_plugin_builds_loads_validates_and_runs() {
    if !componentize_py_available() {
        assert!(
            std::env::var("SGSCHED_REQUIRE_PYTHON_PLUGIN").as_deref() != Ok("1"),
            "componentize-py is required (SGSCHED_REQUIRE_PYTHON_PLUGIN=1) but not on PATH"
        );
        eprintln!(
            "skipped: componentize-py not on PATH (pip install -r examples/python-plugin/requirements.txt)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let wasm = plugins.join("social_post.wasm");
    let status = Command::new("bash")
        .arg(common::repo_root().join("examples/python-plugin/build.sh"))
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
    let info = h.info("social_post").expect("social_post loaded").clone();
    assert_eq!(info.version, "0.1.0");
    assert_eq!(info.origin, PluginOrigin::File(wasm.clone()));
    assert_eq!(info.config_schema["type"], "object");

    assert_eq!(
        h.validate("social_post", &info.example_config)
            .await
            .unwrap(),
        Ok(())
    );
    let bad = json!({ "platform": "myspace", "text": "", "video_id": "nope", "hashtags": ["ok", "#fine"], "extra": 1 });
    let errors = h.validate("social_post", &bad).await.unwrap().unwrap_err();
    let mut fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["extra", "hashtags[0]", "platform", "text", "video_id"]
    );

    let exec = "0193a1b2-0000-7000-8000-000000000301";
    let out = h
        .run(RunRequest {
            execution_id: exec.into(),
            schedule_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
            user_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
            job_type: "social_post".into(),
            config: info.example_config.clone(),
            scheduled_for: "2026-11-27T10:00:00Z".into(),
            attempt: 1,
            is_manual: true,
            episode: None,
        })
        .await
        .unwrap();
    let job_id = out.job_id.expect("a job id");
    // The job the run submitted, as the dispatcher commits it with the run's outcome.
    let jobs = h.take_deferred_jobs(exec);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job_id, job_id);
    assert_eq!(jobs[0].idempotency_key, exec);
    assert_eq!(jobs[0].job_type, "social_post");
}
