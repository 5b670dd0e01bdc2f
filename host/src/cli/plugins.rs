//! `sgsched plugins list|validate|run`: the plugin author's loop without a server. `run`
//! validates a config, runs the plugin once against the embedded dry-run job system (in a
//! throwaway database) and prints each job it submitted, its log lines (on stderr, as they
//! happen), the outcome and the time taken.
//!
//! Exit codes: 0 valid / succeeded, 1 an invalid config or a failed run, 2 a plugin that
//! cannot be loaded (or a file that cannot be read).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use crate::jobsystem::{JobSystem, LocalJobSystem, Unavailable};
use crate::plugins::{PluginError, PluginHost, PluginHostConfig, RunRequest};
use crate::store::JobRecords;

/// The plugins for `job_type` from `plugins_dir` and the built-ins; exit 2 (with the reason a
/// file for it was refused, if one was) when it is not among them.
async fn load(
    plugins_dir: Option<PathBuf>,
    jobs: Arc<dyn JobSystem>,
    job_type: Option<&str>,
) -> Result<PluginHost, ExitCode> {
    let config = PluginHostConfig {
        plugins_dir,
        ..PluginHostConfig::default()
    };
    let host = PluginHost::load(config, jobs).await.map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    if let Some(t) = job_type
        && host.info(t).is_none()
    {
        eprintln!(
            "error: unknown job type {t:?}; known: {}",
            host.job_types().join(", ")
        );
        for r in host.refused() {
            eprintln!("  refused {}: {}", r.file.display(), r.reason);
        }
        return Err(ExitCode::from(2));
    }
    Ok(host)
}

pub async fn list(plugins_dir: Option<PathBuf>) -> ExitCode {
    let host = match load(plugins_dir, Arc::new(Unavailable), None).await {
        Ok(h) => h,
        Err(code) => return code,
    };
    for p in host.plugins() {
        println!(
            "{:<24} {:<10} contract {:<8} {}",
            p.job_type, p.version, p.contract_version, p.origin
        );
    }
    for r in host.refused() {
        eprintln!("refused {}: {}", r.file.display(), r.reason);
    }
    ExitCode::SUCCESS
}

/// The config file as JSON; `Err` is the exit code, the message already printed.
fn read_config(path: &Path) -> Result<serde_json::Value, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        println!("(config): not valid JSON: {e}");
        ExitCode::from(1)
    })
}

/// Checks `config`, printing every field error; `Err` is the exit code.
async fn check(
    host: &PluginHost,
    job_type: &str,
    config: &serde_json::Value,
) -> Result<(), ExitCode> {
    match host.validate(job_type, config).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(errors)) => {
            for e in errors {
                let field = if e.field.is_empty() {
                    "(config)"
                } else {
                    e.field.as_str()
                };
                println!("{field}: {}", e.message);
            }
            Err(ExitCode::from(1))
        }
        // The plugin itself failed (a trap, its time limit): the config was not judged.
        Err(e) => {
            println!("failed to validate: {e}");
            Err(ExitCode::from(1))
        }
    }
}

pub async fn validate(job_type: &str, path: &Path, plugins_dir: Option<PathBuf>) -> ExitCode {
    let config = match read_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let host = match load(plugins_dir, Arc::new(Unavailable), Some(job_type)).await {
        Ok(h) => h,
        Err(code) => return code,
    };
    match check(&host, job_type, &config).await {
        Ok(()) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

pub async fn run(
    job_type: &str,
    path: &Path,
    plugins_dir: Option<PathBuf>,
    episode: Option<u32>,
) -> ExitCode {
    let config = match read_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // The dry-run job system records into a database of its own, gone when this ends.
    let scratch =
        std::env::temp_dir().join(format!("sgsched-plugins-run-{}", uuid::Uuid::new_v4()));
    let code = run_in(&scratch, job_type, config, plugins_dir, episode).await;
    let _ = std::fs::remove_dir_all(&scratch);
    code
}

async fn run_in(
    scratch: &Path,
    job_type: &str,
    config: serde_json::Value,
    plugins_dir: Option<PathBuf>,
    episode: Option<u32>,
) -> ExitCode {
    let store = match std::fs::create_dir_all(scratch)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            crate::store::Store::open(&scratch.join("jobs.redb")).map_err(|e| e.to_string())
        }) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("error: cannot make the dry-run job system's database: {e}");
            return ExitCode::from(2);
        }
    };
    let jobs: Arc<dyn JobSystem> = Arc::new(LocalJobSystem::new(store.clone()));
    let host = match load(plugins_dir, jobs, Some(job_type)).await {
        Ok(h) => h,
        Err(code) => return code,
    };
    if let Err(code) = check(&host, job_type, &config).await {
        return code;
    }
    let execution_id = uuid::Uuid::now_v7().to_string();
    let request = RunRequest {
        execution_id: execution_id.clone(),
        schedule_id: uuid::Uuid::now_v7().to_string(),
        user_id: uuid::Uuid::nil().to_string(),
        job_type: job_type.to_string(),
        config,
        scheduled_for: crate::timezone::format_utc(chrono::Utc::now()),
        attempt: 1,
        is_manual: true,
        episode,
    };
    println!("execution {execution_id}");
    let started = Instant::now();
    let outcome = host.run(request).await;
    let took = started.elapsed();
    // Jobs under the execution's own key wait for its outcome's commit; others are recorded.
    let mut submitted = host.take_deferred_jobs(&execution_id);
    if let Ok(recorded) = store.local_jobs(None, None, 1000).await {
        for j in recorded {
            if !submitted.iter().any(|s| s.job_id == j.job_id) {
                submitted.push(j);
            }
        }
    }
    for j in &submitted {
        println!(
            "submitted job {} ({}), idempotency key {}: {}",
            j.job_id, j.job_type, j.idempotency_key, j.payload
        );
    }
    let ms = took.as_secs_f64() * 1000.0;
    match outcome {
        Ok(out) => {
            let job = out.job_id.as_deref().unwrap_or("none");
            println!(
                "succeeded in {ms:.1} ms: job {job}, summary {}",
                out.summary
            );
            ExitCode::SUCCESS
        }
        Err(PluginError::Rejected { message, .. }) => {
            println!("failed in {ms:.1} ms: {message}");
            ExitCode::from(1)
        }
        Err(e) => {
            println!("failed in {ms:.1} ms: {e}");
            ExitCode::from(1)
        }
    }
}
