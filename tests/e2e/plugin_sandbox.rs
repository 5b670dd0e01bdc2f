//! The sandbox holds: a guest that loops, eats memory, traps, panics or reaches for the
//! filesystem fails its own call with a clear error, and the same host serves the next call.
//! Components that are not plugins of our world are refused at load, naming the reason.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sgsched::jobsystem::Unavailable;
use sgsched::plugins::{PluginError, PluginHost, PluginHostConfig, RunRequest};

async fn host(dir: &Path, tweak: impl FnOnce(&mut PluginHostConfig)) -> PluginHost {
    let mut config = PluginHostConfig {
        plugins_dir: Some(dir.to_path_buf()),
        ..PluginHostConfig::default()
    };
    tweak(&mut config);
    PluginHost::load(config, Arc::new(Unavailable))
        .await
        .expect("host loads")
}

async fn hostile_host(
    tweak: impl FnOnce(&mut PluginHostConfig),
) -> (tempfile::TempDir, PluginHost) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::hostile_wasm(), dir.path().join("hostile.wasm")).unwrap();
    let h = host(dir.path(), tweak).await;
    assert!(
        h.info("hostile").is_some(),
        "hostile loaded; refused: {:?}",
        h.refused()
    );
    (dir, h)
}

fn request(mode: &str) -> RunRequest {
    RunRequest {
        execution_id: uuid::Uuid::now_v7().to_string(),
        schedule_id: uuid::Uuid::now_v7().to_string(),
        user_id: uuid::Uuid::now_v7().to_string(),
        job_type: "hostile".into(),
        config: json!({ "mode": mode }),
        scheduled_for: "2026-11-27T10:00:00Z".into(),
        attempt: 1,
        is_manual: false,
        episode: None,
    }
}

/// The host is still healthy: a well-behaved call on the same host succeeds.
async fn still_serves(h: &PluginHost) {
    let out = h
        .run(request("ok"))
        .await
        .expect("a normal run after the fault");
    assert_eq!(out.summary, json!({ "message": "ok" }));
    assert_eq!(
        h.validate("export", &h.info("export").unwrap().example_config.clone())
            .await
            .unwrap(),
        Ok(())
    );
}

#[tokio::test]
async fn infinite_loop_in_run_hits_the_time_limit() {
    let (_d, h) = hostile_host(|c| c.run_timeout = Duration::from_secs(1)).await;
    let start = Instant::now();
    let err = h.run(request("loop")).await.unwrap_err();
    let took = start.elapsed();
    assert!(matches!(err, PluginError::TimeLimit { .. }), "{err}");
    assert!(err.to_string().contains("time limit"), "{err}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(2),
        "took {took:?}"
    );
    still_serves(&h).await;
}

#[tokio::test]
async fn infinite_loop_in_validate_hits_the_two_second_limit() {
    let (_d, h) = hostile_host(|_| {}).await;
    let start = Instant::now();
    let err = h
        .validate("hostile", &json!({ "mode": "loop" }))
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(err, PluginError::TimeLimit { limit, .. } if limit == Duration::from_secs(2)),
        "{err}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    still_serves(&h).await;
}

#[tokio::test]
async fn unbounded_memory_growth_hits_the_memory_limit() {
    let (_d, h) = hostile_host(|c| c.memory_limit_bytes = 32 << 20).await;
    let err = h.run(request("oom")).await.unwrap_err();
    assert!(
        matches!(err, PluginError::MemoryLimit { limit_mib: 32, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "plugin hostile exceeded its memory limit of 32 MiB"
    );
    still_serves(&h).await;
}

#[tokio::test]
async fn a_trap_fails_with_its_message() {
    let (_d, h) = hostile_host(|_| {}).await;
    let err = h.run(request("trap")).await.unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err}");
    assert!(err.to_string().contains("unreachable"), "{err}");
    still_serves(&h).await;
}

#[tokio::test]
async fn a_rust_panic_fails_with_the_panic_message() {
    let (_d, h) = hostile_host(|_| {}).await;
    let err = h.run(request("panic")).await.unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("hostile guest panicked on purpose"),
        "{err}"
    );
    still_serves(&h).await;
}

#[tokio::test]
async fn the_filesystem_and_environment_are_closed() {
    let (_d, h) = hostile_host(|_| {}).await;
    let err = h.run(request("open_file")).await.unwrap_err();
    match &err {
        PluginError::Rejected { message, .. } => {
            assert!(message.starts_with("open /etc/passwd denied"), "{message}")
        }
        other => panic!("expected the guest's own error, got {other}"),
    }
    let out = h.run(request("env")).await.unwrap();
    assert_eq!(out.summary, json!({ "message": "env vars: 0, args: 0" }));
    still_serves(&h).await;
}

#[tokio::test]
async fn guest_output_is_logged_not_fatal() {
    let (_d, h) = hostile_host(|_| {}).await;
    let out = h.run(request("log")).await.unwrap();
    assert_eq!(out.summary, json!({ "message": "logged" }));
}

#[tokio::test]
async fn job_system_is_refused_outside_run_and_reported_inside() {
    let (_d, h) = hostile_host(|_| {}).await;
    // `Unavailable` refuses every submission: the guest turns that into its own error.
    let err = h.run(request("submit")).await.unwrap_err();
    match err {
        PluginError::Rejected { message, .. } => {
            assert_eq!(
                message,
                "job system unreachable: no job system in this command"
            )
        }
        other => panic!("{other}"),
    }
}

/// Pooled slots are reset in place between calls (only the pages a call touched, found with
/// `PAGEMAP_SCAN` where the kernel has it): with one slot, every call still starts from the
/// component's initial memory, with nothing of the last call near the start of memory or
/// megabytes beyond the reset window.
#[tokio::test]
async fn each_call_starts_from_fresh_memory_in_a_reused_slot() {
    let (_d, h) = hostile_host(|c| c.max_instances = 1).await;
    for _ in 0..4 {
        let out = h.run(request("remember")).await.unwrap();
        assert_eq!(out.summary, json!({ "message": "calls 1, leftovers 0" }));
    }
}

#[tokio::test]
async fn many_concurrent_calls_share_the_pool() {
    let (_d, h) = hostile_host(|c| c.max_instances = 8).await;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move { h.run(request("ok")).await }));
    }
    for t in tasks {
        assert_eq!(
            t.await.unwrap().unwrap().summary,
            json!({ "message": "ok" })
        );
    }
}

#[tokio::test]
async fn bad_files_are_refused_and_the_rest_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::wrong_world_wasm(),
        dir.path().join("a_wrong_world.wasm"),
    )
    .unwrap();
    std::fs::write(dir.path().join("b_garbage.wasm"), b"this is not wasm").unwrap();
    // A core module (not a component): the 8-byte preamble of an empty module.
    std::fs::write(dir.path().join("c_core_module.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::copy(common::hostile_wasm(), dir.path().join("d_hostile.wasm")).unwrap();
    std::fs::copy(
        common::hostile_wasm(),
        dir.path().join("e_hostile_again.wasm"),
    )
    .unwrap();
    std::fs::write(dir.path().join("ignored.txt"), b"not a plugin").unwrap();
    let h = host(dir.path(), |_| {}).await;

    let mut types = h.job_types();
    types.sort();
    assert_eq!(
        types,
        [
            "batch_generation",
            "caption_generation",
            "export",
            "hostile",
            "script_generation",
            "thumbnail_generation",
            "video_generation"
        ]
    );
    let refused: Vec<(String, String)> = h
        .refused()
        .iter()
        .map(|r| {
            (
                r.file.file_name().unwrap().to_string_lossy().into_owned(),
                r.reason.clone(),
            )
        })
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert_eq!(refused[0].0, "a_wrong_world.wasm");
    assert!(
        refused[0]
            .1
            .starts_with("not a component of world story-genius:scheduler/job-plugin@0.1.0"),
        "{}",
        refused[0].1
    );
    assert_eq!(refused[1].0, "b_garbage.wasm");
    assert_eq!(
        refused[1].1,
        "not a WebAssembly component (a core module or another format)"
    );
    assert_eq!(refused[2].0, "c_core_module.wasm");
    assert_eq!(
        refused[2].1,
        "not a WebAssembly component (a core module or another format)"
    );
    assert_eq!(
        refused[3],
        (
            "e_hostile_again.wasm".to_string(),
            "job type \"hostile\" is already taken".to_string()
        )
    );
}

#[tokio::test]
async fn a_built_in_job_type_cannot_be_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let export = sgsched::plugins::builtin_component("export").unwrap();
    std::fs::write(dir.path().join("my_export.wasm"), export).unwrap();
    let h = host(dir.path(), |_| {}).await;
    assert_eq!(h.refused().len(), 1);
    assert_eq!(
        h.refused()[0].reason,
        "job type \"export\" is a built-in's; set plugins_replace_builtins = true to replace it"
    );
    assert_eq!(
        h.info("export").unwrap().origin,
        sgsched::plugins::PluginOrigin::BuiltIn
    );
    // Unless the operator says so.
    let h = host(dir.path(), |c| c.replace_builtins = true).await;
    assert!(h.refused().is_empty(), "{:?}", h.refused());
    assert_eq!(
        h.info("export").unwrap().origin,
        sgsched::plugins::PluginOrigin::File(dir.path().join("my_export.wasm"))
    );
}

#[tokio::test]
async fn compiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let h = host(dir.path(), |c| c.cache_dir = Some(cache.clone())).await;
    let files = |p: &Path| {
        let mut v: Vec<(String, std::time::SystemTime)> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().modified().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = files(&cache);
    assert_eq!(before.len(), 6, "{before:?}");
    assert!(before.iter().all(|(n, _)| n.ends_with(".cwasm")));
    // A second load finds every artifact and rewrites none.
    let h2 = host(dir.path(), |c| c.cache_dir = Some(cache.clone())).await;
    assert_eq!(files(&cache), before);
    assert_eq!(h2.job_types(), h.job_types());
    // A corrupt artifact is discarded and rebuilt, not fatal.
    std::fs::write(cache.join(&before[0].0), b"garbage").unwrap();
    let h3 = host(dir.path(), |c| c.cache_dir = Some(cache.clone())).await;
    assert_eq!(h3.job_types(), h.job_types());
    assert_eq!(files(&cache).len(), 6);
}
