//! Used by build scripts (`host/build.rs`, `tests/build.rs`) to compile guest components for
//! `wasm32-wasip2` with a nested cargo and its own target directory, the pattern of wasmtime's
//! `crates/test-programs/artifacts/build.rs`. Guests live in workspaces of their own because a
//! wit-bindgen guest does not link for the host target.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-wasip2";

/// Build `packages` of the guest workspace at `workspace` in release mode and return the path
/// of each `<package>.wasm`, in the order given. Panics (failing the build script) with the
/// nested cargo's own output when the build fails.
pub fn build(workspace: &Path, packages: &[&str]) -> Vec<PathBuf> {
    watch(workspace);
    ensure_target();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    let target_dir = shared_target_dir(&out_dir, workspace);
    let mut cmd = nested_cargo();
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let status = cmd
        .status()
        .expect("failed to run the nested cargo for the guests");
    assert!(
        status.success(),
        "building the guests in {} failed",
        workspace.display()
    );
    packages
        .iter()
        .map(|p| {
            let wasm = target_dir
                .join(TARGET)
                .join("release")
                .join(format!("{p}.wasm"));
            assert!(wasm.exists(), "missing {}", wasm.display());
            wasm
        })
        .collect()
}

/// Rebuild when the guest sources change, but not when the guests' own `target/` (a manual
/// build) does: a directory given to rerun-if-changed is scanned recursively.
fn watch(workspace: &Path) {
    let Ok(entries) = std::fs::read_dir(workspace) else {
        println!("cargo:rerun-if-changed={}", workspace.display());
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name() != "target" {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
}

/// A nested cargo must not inherit the outer build's target dir, flags or wrappers, which are
/// meant for the host target.
fn nested_cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (key, _) in env::vars() {
        let outer = (key.starts_with("CARGO_") && key != "CARGO_HOME")
            || matches!(
                key.as_str(),
                "RUSTFLAGS" | "RUSTC" | "RUSTDOC" | "RUSTC_WRAPPER" | "RUSTC_WORKSPACE_WRAPPER"
            );
        if outer {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// One directory per guest workspace, shared by every profile of the outer build (debug,
/// release, test, bench) so guests compile once: `<target>/<profile>/build/<pkg>/out` ->
/// `<target>/wasm-guests/<workspace dir name>`.
fn shared_target_dir(out_dir: &Path, workspace: &Path) -> PathBuf {
    let name = workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out_dir
        .ancestors()
        .nth(4)
        .unwrap_or(out_dir)
        .join("wasm-guests")
        .join(name)
}

/// rustup does not install a `targets` entry of rust-toolchain.toml into a toolchain that is
/// already installed, so a fresh machine would fail with E0463: add the target when missing.
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed =
        sysroot.is_some_and(|s| s.join("lib/rustlib").join(TARGET).join("lib").is_dir());
    if installed {
        return;
    }
    println!("cargo:warning=the {TARGET} target is missing: running `rustup target add {TARGET}`");
    let mut cmd = Command::new("rustup");
    cmd.args(["target", "add", TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        cmd.args(["--toolchain", &toolchain]);
    }
    let ok = cmd.status().is_ok_and(|s| s.success());
    assert!(
        ok,
        "could not add the {TARGET} target; run `rustup target add {TARGET}`"
    );
}
