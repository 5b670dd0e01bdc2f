//! The plugins of `--plugins-dir` while the server runs: the set in force is one immutable
//! `PluginSet` behind a lock; a call takes its plugin (an `Arc`) out of it and keeps it, so a run
//! that started on a version finishes on it whatever is loaded meanwhile. A rescan (SIGHUP, or
//! the watcher seeing a file's size or time change) compiles only the files that changed, on the
//! blocking pool, and swaps in the new set: an added file is offered, a removed one withdrawn,
//! and a file that no longer loads keeps its previous version serving, reported with the reason.
//! A file claiming a built-in's job type is refused unless the configuration allows replacing
//! built-ins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::PluginOrigin;
use super::loader::{Plugin, Refused, prepare, wasm_files};

/// What a file was when it was last looked at, and what it gave.
#[derive(Clone)]
pub(super) struct FileState {
    stamp: Stamp,
    /// The plugin it loaded as (or the one still serving for it after a failed change).
    plugin: Option<Arc<Plugin>>,
    /// Why it did not load, if it did not (as the loader said it, before what keeps serving).
    refusal: Option<String>,
}

type Stamp = Option<(SystemTime, u64)>;

fn stamp_of(file: &Path) -> Stamp {
    let m = std::fs::metadata(file).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The plugins in force.
#[derive(Clone, Default)]
pub(crate) struct PluginSet {
    pub plugins: BTreeMap<String, Arc<Plugin>>,
    pub refused: Vec<Refused>,
    pub(super) files: BTreeMap<PathBuf, FileState>,
}

/// What a rescan changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    pub loaded: Vec<String>,
    pub removed: Vec<String>,
    pub refused: Vec<Refused>,
}

impl PluginSet {
    /// Whether any file of `dir` differs from what this set was made from.
    pub(super) fn differs_from(&self, dir: &Path) -> bool {
        match wasm_files(dir) {
            Ok(files) => {
                files.len() != self.files.len()
                    || files
                        .iter()
                        .any(|f| self.files.get(f).is_none_or(|s| s.stamp != stamp_of(f)))
            }
            Err(_) => false,
        }
    }
}

/// The set `dir` gives now over `builtins`, from `current` (whose unchanged files are not
/// compiled again).
pub(super) async fn scan(
    engines: &super::engine::Engines,
    config: &super::PluginHostConfig,
    builtins: &BTreeMap<String, Arc<Plugin>>,
    current: &PluginSet,
    dir: &Path,
) -> Result<(PluginSet, ReloadReport), super::PluginHostError> {
    let mut next = PluginSet {
        plugins: builtins.clone(),
        ..PluginSet::default()
    };
    let mut report = ReloadReport::default();
    for file in wasm_files(dir)? {
        let stamp = stamp_of(&file);
        let before = current.files.get(&file);
        let outcome = match before {
            Some(s) if s.stamp == stamp => match (&s.refusal, &s.plugin) {
                (None, Some(p)) => Ok(p.clone()),
                (Some(r), _) => Err(r.clone()),
                (None, None) => Err("not loaded".to_string()),
            },
            _ => compile(engines, config, &file).await.map(Arc::new),
        };
        let mut state = FileState {
            stamp,
            plugin: None,
            refusal: None,
        };
        let refuse = |reason: String, report: &mut ReloadReport, next: &mut PluginSet| {
            tracing::warn!(file = %file.display(), %reason, "plugin refused");
            let r = Refused {
                file: file.clone(),
                reason,
            };
            report.refused.push(r.clone());
            next.refused.push(r);
        };
        match outcome {
            Ok(p) => {
                let job_type = p.info.job_type.clone();
                let taken = next
                    .plugins
                    .get(&job_type)
                    .filter(|q| q.info.origin != PluginOrigin::BuiltIn || !config.replace_builtins);
                if let Some(q) = taken {
                    let reason = if q.info.origin == PluginOrigin::BuiltIn {
                        format!(
                            "job type {job_type:?} is a built-in's; set plugins_replace_builtins = true to replace it"
                        )
                    } else {
                        format!("job type {job_type:?} is already taken")
                    };
                    state.refusal = Some(reason.clone());
                    refuse(reason, &mut report, &mut next);
                } else {
                    let fresh = before
                        .is_none_or(|s| s.plugin.as_ref().is_none_or(|old| !Arc::ptr_eq(old, &p)));
                    if fresh {
                        tracing::info!(file = %file.display(), %job_type, version = %p.info.version, "plugin loaded");
                        report.loaded.push(job_type.clone());
                    }
                    next.plugins.insert(job_type, p.clone());
                    state.plugin = Some(p);
                }
            }
            Err(reason) => {
                state.refusal = Some(reason.clone());
                // A file that worked before keeps serving its last good version.
                let previous = before.and_then(|s| s.plugin.clone());
                let reason = match &previous {
                    Some(old) if !next.plugins.contains_key(&old.info.job_type) => {
                        next.plugins.insert(old.info.job_type.clone(), old.clone());
                        state.plugin = Some(old.clone());
                        format!(
                            "{reason}; version {} keeps serving {:?}",
                            old.info.version, old.info.job_type
                        )
                    }
                    _ => reason,
                };
                refuse(reason, &mut report, &mut next);
            }
        }
        next.files.insert(file, state);
    }
    // Withdrawn: a file's plugin no file gives any more (a built-in it replaced serves again).
    for (job_type, p) in &current.plugins {
        let still = next
            .plugins
            .get(job_type)
            .is_some_and(|q| Arc::ptr_eq(p, q));
        if p.info.origin != PluginOrigin::BuiltIn && !still && !report.loaded.contains(job_type) {
            report.removed.push(job_type.clone());
        }
    }
    Ok((next, report))
}

async fn compile(
    engines: &super::engine::Engines,
    config: &super::PluginHostConfig,
    file: &Path,
) -> Result<Plugin, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    prepare(
        engines,
        config,
        &name,
        &bytes,
        PluginOrigin::File(file.to_path_buf()),
    )
    .await
}
