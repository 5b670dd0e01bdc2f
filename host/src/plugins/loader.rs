//! Loading plugins: the built-ins embedded in the binary, then every `*.wasm` of the plugins dir
//! (through `reload::scan`, which rescans it while the server runs). A built-in that fails is a
//! bug and stops the start; a file that fails is refused with a log line naming it and the
//! reason, and the rest load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use super::bindings::{JobPlugin, JobPluginPre};
use super::call::{self, Target};
use super::engine::Engines;
use super::reload::{PluginSet, ReloadReport, scan};
use super::state::{HostState, RunCtx};
use super::{
    FieldError, PluginError, PluginHostConfig, PluginHostError, PluginInfo, PluginOrigin,
    RunOutcome, RunRequest, cache,
};
use crate::jobsystem::JobSystem;

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

/// A plugin file that was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub file: PathBuf,
    pub reason: String,
}

pub(crate) struct Plugin {
    pub info: PluginInfo,
    name: Arc<str>,
    pre: JobPluginPre<HostState>,
    limits: super::Limits,
}

pub(crate) struct Loaded {
    /// The built-ins, which every plugin set starts from.
    builtins: BTreeMap<String, Arc<Plugin>>,
    /// The plugins in force; a call clones its plugin out, so a swap never disturbs it.
    set: std::sync::RwLock<Arc<PluginSet>>,
    /// One rescan at a time.
    reloading: tokio::sync::Mutex<()>,
    config: PluginHostConfig,
    pub jobs: Arc<dyn JobSystem>,
    /// Bounds live instances to what the pooling allocator holds, so callers wait instead of
    /// failing when the pool is full.
    permits: Semaphore,
    engines: Engines,
}

impl Loaded {
    pub fn current(&self) -> Arc<PluginSet> {
        self.set.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether a file of the plugins dir changed since the set in force was made.
    pub fn dir_changed(&self) -> bool {
        self.config
            .plugins_dir
            .as_deref()
            .is_some_and(|dir| self.current().differs_from(dir))
    }

    /// Rescan the plugins dir and put the new set in force.
    pub async fn reload(&self) -> Result<ReloadReport, PluginHostError> {
        let _one = self.reloading.lock().await;
        let Some(dir) = self.config.plugins_dir.as_deref() else {
            return Ok(ReloadReport::default());
        };
        let current = self.current();
        let (next, report) =
            scan(&self.engines, &self.config, &self.builtins, &current, dir).await?;
        crate::metrics::plugins_reloaded(next.refused.len());
        *self.set.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        Ok(report)
    }

    fn target<'a>(&self, p: &'a Plugin) -> Target<'a> {
        Target {
            name: &p.name,
            pre: &p.pre,
            memory_limit: p.limits.memory_bytes,
        }
    }

    pub async fn validate(
        &self,
        p: &Plugin,
        config: &serde_json::Value,
    ) -> Result<Result<(), Vec<FieldError>>, PluginError> {
        let _permit = self.permits.acquire().await;
        call::validate(self.target(p), p.limits.validate_timeout, config).await
    }

    pub async fn run(&self, p: &Plugin, req: RunRequest) -> Result<RunOutcome, PluginError> {
        let _permit = self.permits.acquire().await;
        let ctx = RunCtx {
            jobs: self.jobs.clone(),
            user_id: req.user_id.clone(),
            execution_id: req.execution_id.clone(),
            attempt: req.attempt,
            submits: 0,
        };
        call::run(self.target(p), p.limits.run_timeout, ctx, req).await
    }
}

pub(super) async fn load(
    config: PluginHostConfig,
    jobs: Arc<dyn JobSystem>,
) -> Result<Loaded, PluginHostError> {
    let engines = Engines::new(&config)?;
    let mut plugins = BTreeMap::new();
    for (name, bytes) in BUILTIN_PLUGINS {
        let p = prepare(&engines, &config, name, bytes, PluginOrigin::BuiltIn)
            .await
            .map_err(|message| PluginHostError::BuiltIn {
                name: name.to_string(),
                message,
            })?;
        plugins.insert(p.info.job_type.clone(), p);
    }
    let builtins: BTreeMap<String, Arc<Plugin>> =
        plugins.into_iter().map(|(k, p)| (k, Arc::new(p))).collect();
    let set = match &config.plugins_dir {
        Some(dir) => {
            scan(&engines, &config, &builtins, &PluginSet::default(), dir)
                .await?
                .0
        }
        None => PluginSet {
            plugins: builtins.clone(),
            ..PluginSet::default()
        },
    };
    let loaded: Vec<String> = set.plugins.keys().cloned().collect();
    let problems = super::limits::check(&config.plugin_limits, &loaded);
    if !problems.is_empty() {
        return Err(PluginHostError::Limits(problems));
    }
    let permits = Semaphore::new(config.max_instances.max(1) as usize);
    Ok(Loaded {
        builtins,
        set: std::sync::RwLock::new(Arc::new(set)),
        reloading: tokio::sync::Mutex::new(()),
        config,
        jobs,
        permits,
        engines,
    })
}

pub(super) fn wasm_files(dir: &Path) -> Result<Vec<PathBuf>, PluginHostError> {
    let io = |source| PluginHostError::PluginsDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "wasm") && path.is_file() {
            files.push(path);
        }
    }
    // Sorted, so which of two files claiming one job type wins does not depend on the disk.
    files.sort();
    Ok(files)
}

/// Compile, link and ask `info`. The pooled engine is tried first; a component the pool cannot
/// hold (a Python guest is tens of MB) gets the on-demand engine.
pub(super) async fn prepare(
    engines: &Engines,
    config: &PluginHostConfig,
    name: &str,
    bytes: &[u8],
    origin: PluginOrigin,
) -> Result<Plugin, String> {
    if !is_component(bytes) {
        return Err("not a WebAssembly component (a core module or another format)".into());
    }
    match prepare_on(&engines.pooled, config, name, bytes, origin.clone()).await {
        Ok(p) => Ok(p),
        Err(pooled_err) => {
            match prepare_on(&engines.on_demand, config, name, bytes, origin).await {
                Ok(p) => {
                    tracing::info!(plugin = name, reason = %pooled_err, "plugin uses on-demand allocation");
                    Ok(p)
                }
                Err(e) => Err(e),
            }
        }
    }
}

async fn prepare_on(
    engine: &Engine,
    config: &PluginHostConfig,
    name: &str,
    bytes: &[u8],
    origin: PluginOrigin,
) -> Result<Plugin, String> {
    let (engine2, bytes2, cache_dir) = (engine.clone(), bytes.to_vec(), config.cache_dir.clone());
    // Compiling is seconds of CPU: keep it off the async workers.
    let component = tokio::task::spawn_blocking(move || {
        cache::load_component(&engine2, &bytes2, cache_dir.as_deref())
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot compile: {e}"))?;
    let contract_version = contract_of(&component, engine)?;
    let mut linker: Linker<HostState> = Linker::new(engine);
    // `wasi:cli/exit` (with `exit-with-code`, which Rust guests import) is part of this.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| e.to_string())?;
    JobPlugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
        .map_err(|e| e.to_string())?;
    let world = format!("story-genius:scheduler/job-plugin@{CONTRACT_VERSION}");
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| format!("not a component of world {world}: {}", chain(&e)))?;
    let pre = JobPluginPre::new(pre)
        .map_err(|e| format!("not a component of world {world}: {}", chain(&e)))?;
    let name: Arc<str> = Arc::from(name);
    let target = Target {
        name: &name,
        pre: &pre,
        memory_limit: config.memory_limit_bytes,
    };
    let raw = call::info(target, config.validate_timeout)
        .await
        .map_err(|e| format!("info failed: {e}"))?;
    let info = parse_info(raw, origin, contract_version)?;
    Ok(Plugin {
        name: Arc::from(info.job_type.as_str()),
        limits: config.limits_for(&info.job_type),
        info,
        pre,
    })
}

/// The version of `wit/scheduler.wit` this host speaks (its package line).
pub const CONTRACT_VERSION: &str = "0.1.0";

const RUNNER: &str = "story-genius:scheduler/job-runner";

/// The contract version a component was built against, read from the name of its `job-runner`
/// export; refused, naming both versions, when this host does not speak it (semver: the same
/// major version, and below 1.0 the same minor).
fn contract_of(
    component: &wasmtime::component::Component,
    engine: &Engine,
) -> Result<String, String> {
    let ty = component.component_type();
    let names: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let Some(version) = names.iter().find_map(|n| {
        n.strip_prefix(RUNNER)
            .map(|rest| rest.strip_prefix('@').unwrap_or(""))
    }) else {
        // Not a job runner at all: linking says what is missing.
        return Ok(CONTRACT_VERSION.to_string());
    };
    let ours = semver::Version::parse(CONTRACT_VERSION).map_err(|e| e.to_string())?;
    let compatible = semver::Version::parse(version)
        .is_ok_and(|v| v.major == ours.major && (ours.major > 0 || v.minor == ours.minor));
    if !compatible {
        let theirs = if version.is_empty() {
            "no version"
        } else {
            version
        };
        return Err(format!(
            "built against contract {theirs} ({RUNNER}@{theirs}); this sgsched speaks {} \
             ({RUNNER}@{CONTRACT_VERSION}): rebuild the plugin against this sgsched's wit/scheduler.wit",
            compatible_range(&ours)
        ));
    }
    Ok(version.to_string())
}

fn compatible_range(v: &semver::Version) -> String {
    if v.major > 0 {
        format!("{}.x", v.major)
    } else {
        format!("{}.{}.x", v.major, v.minor)
    }
}

fn parse_info(
    raw: super::bindings::exports::story_genius::scheduler::job_runner::PluginInfo,
    origin: PluginOrigin,
    contract_version: String,
) -> Result<PluginInfo, String> {
    let valid_type = raw
        .job_type
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && raw.job_type.len() <= 64
        && raw
            .job_type
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_type {
        return Err(format!(
            "info: job type {:?} must match [a-z][a-z0-9_]{{0,63}}",
            raw.job_type
        ));
    }
    let config_schema = serde_json::from_str(&raw.config_schema)
        .map_err(|e| format!("info: config-schema is not JSON: {e}"))?;
    let example_config = serde_json::from_str(&raw.example_config)
        .map_err(|e| format!("info: example-config is not JSON: {e}"))?;
    Ok(PluginInfo {
        job_type: raw.job_type,
        version: raw.version,
        contract_version,
        description: raw.description,
        config_schema,
        example_config,
        origin,
    })
}

/// A component's preamble: `\0asm`, then version 0x0d and layer 1 (core modules have layer 0).
fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [1, 0]
}

fn chain(e: &wasmtime::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
