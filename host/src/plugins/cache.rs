//! On-disk cache of compiled components, keyed by the component's SHA-256 and the engine's
//! compatibility hash, so a restart deserializes instead of recompiling.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

pub(super) fn load_component(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: Option<&Path>,
) -> wasmtime::Result<Component> {
    let Some(dir) = cache_dir else {
        return Component::new(engine, bytes);
    };
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{hex}-{:016x}.cwasm", h.finish()));
    // Read, not mmap (`deserialize_file`): a mapped artifact that is truncated or rewritten
    // under a running server would kill it with SIGBUS.
    if let Ok(artifact) = std::fs::read(&path) {
        // SAFETY: the file lives in our own data dir and was written by `precompile_component`
        // of an engine with the same compatibility hash (it is in the file name); wasmtime
        // still checks its header and refuses a mismatched artifact.
        match unsafe { Component::deserialize(engine, &artifact) } {
            Ok(c) => return Ok(c),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "discarding unusable compiled plugin cache entry");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let compiled = engine.precompile_component(bytes)?;
    if let Err(e) = write_atomically(dir, &path, &compiled) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot write the compiled plugin cache");
    }
    // SAFETY: `compiled` was produced just now by this engine.
    unsafe { Component::deserialize(engine, &compiled) }
}

/// Write to a temporary name and rename, so a crash never leaves a truncated artifact under the
/// final name.
fn write_atomically(dir: &Path, path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}
