//! `sgsched plugins new NAME --lang rust|python|js`: each template's output builds with its own
//! README's command, loads, validates (every error) and runs through the real binary
//! (`plugins validate`, `plugins run`). A language whose tools are missing is skipped with a
//! message, unless the matching `SGSCHED_REQUIRE_*` says it must run (`.ci/run` sets them).

use std::path::Path;
use std::process::Command;

use crate::common;

fn sgsched(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::binary()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn available(tool: &str, arg: &str, require: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var(require).as_deref() != Ok("1"),
            "{require}=1 but {tool} is not available"
        );
        eprintln!("skipped: {tool} is not available");
    }
    ok
}

/// Writes the template, builds it into `plugins/`, then validates and runs it.
fn template_builds_and_runs(lang: &str, build: impl FnOnce(&Path, &Path) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("made_in_{lang}");
    let project = dir.path().join(&name);
    let (code, out, err) = sgsched(&[
        "plugins",
        "new",
        &name,
        "--lang",
        lang,
        "--dir",
        project.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("wrote "), "{out}");
    assert!(project.join("wit/scheduler.wit").is_file());
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    assert!(
        build(&project, &plugins.join(format!("{name}.wasm"))),
        "{lang}: the build failed"
    );

    let pd = plugins.to_str().unwrap();
    let good = project.join("example-config.json");
    let (code, out, err) = sgsched(&[
        "plugins",
        "validate",
        &name,
        good.to_str().unwrap(),
        "--plugins-dir",
        pd,
    ]);
    assert_eq!((code, out.as_str()), (0, "valid\n"), "{lang}: {err}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"message": "", "colour": "red"}"#).unwrap();
    let (code, out, _) = sgsched(&[
        "plugins",
        "validate",
        &name,
        bad.to_str().unwrap(),
        "--plugins-dir",
        pd,
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        out, "colour: unknown field\nmessage: must be a text of 1 to 200 characters\n",
        "{lang}"
    );
    let (code, out, err) = sgsched(&[
        "plugins",
        "run",
        &name,
        good.to_str().unwrap(),
        "--plugins-dir",
        pd,
    ]);
    assert_eq!(code, 0, "{lang}: {out}{err}");
    let exec = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("execution ")
        .unwrap();
    assert!(
        out.contains(&format!("({name}), idempotency key {exec}: ")),
        "{lang}: {out}"
    );
    assert!(
        out.lines().last().unwrap().starts_with("succeeded in "),
        "{lang}: {out}"
    );
}

fn run_script(project: &Path, out: &Path) -> bool {
    Command::new("bash")
        .arg(project.join("build.sh"))
        .arg(out)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_rust_template_builds_and_runs() {
    template_builds_and_runs("rust", |project, out| {
        let mut cargo = Command::new("cargo");
        cargo
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .current_dir(project);
        // The toolchain running the tests (it has the wasm target), not the directory's default.
        if let Ok(t) = std::env::var("RUSTUP_TOOLCHAIN") {
            cargo.env("RUSTUP_TOOLCHAIN", t);
        }
        let ok = cargo.status().is_ok_and(|s| s.success());
        let name = project.file_name().unwrap().to_str().unwrap();
        let built = project.join(format!("target/wasm32-wasip2/release/{name}.wasm"));
        ok && std::fs::copy(built, out).is_ok()
    });
}

#[test]
fn the_python_template_builds_and_runs() {
    if !available(
        "componentize-py",
        "--version",
        "SGSCHED_REQUIRE_PYTHON_PLUGIN",
    ) {
        return;
    }
    template_builds_and_runs("python", run_script);
}

#[test]
fn the_js_template_builds_and_runs() {
    if !available("npm", "--version", "SGSCHED_REQUIRE_JS_PLUGIN") {
        return;
    }
    template_builds_and_runs("js", run_script);
}

#[test]
fn a_bad_name_or_a_full_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = sgsched(&[
        "plugins",
        "new",
        "Bad-Name",
        "--lang",
        "rust",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a job type name"), "{err}");
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let (code, _, err) = sgsched(&[
        "plugins",
        "new",
        "fine",
        "--lang",
        "js",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("exists and is not empty"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing was written"
    );
}
