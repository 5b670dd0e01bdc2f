//! `sgsched plugins new NAME --lang rust|python|js [--dir DIR]`: a working plugin project from
//! the templates in `templates/plugins/` (embedded here, so the binary alone can do it), with
//! the contract (`wit/scheduler.wit`) copied beside it and `{{name}}` replaced by the job type.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

/// (path in the project, text, executable).
type Template = &'static [(&'static str, &'static str, bool)];

macro_rules! template {
    ($lang:literal: $($path:literal $(as $dest:literal)? $(, exec = $exec:literal)?);+ $(;)?) => {
        &[$((
            template!(@dest $path $(, $dest)?),
            include_str!(concat!("../../../templates/plugins/", $lang, "/", $path)),
            template!(@exec $($exec)?),
        )),+]
    };
    (@dest $path:literal) => { $path };
    (@dest $path:literal, $dest:literal) => { $dest };
    (@exec) => { false };
    (@exec $exec:literal) => { $exec };
}

const RUST: Template = template!("rust":
    "Cargo.toml"; "src/lib.rs"; "README.md"; "example-config.json"; "gitignore" as ".gitignore");
const PYTHON: Template = template!("python":
    "app.py"; "build.sh", exec = true; "requirements.txt"; "README.md"; "example-config.json";
    "gitignore" as ".gitignore");
const JS: Template = template!("js":
    "app.js"; "build.sh", exec = true; "package.json"; "package-lock.json"; "README.md";
    "example-config.json"; "gitignore" as ".gitignore");

const WIT: &str = include_str!("../../../wit/scheduler.wit");

impl Lang {
    fn files(self) -> Template {
        match self {
            Lang::Rust => RUST,
            Lang::Python => PYTHON,
            Lang::Js => JS,
        }
    }

    fn build_command(self, name: &str) -> String {
        match self {
            Lang::Rust => format!(
                "cargo build --release --target wasm32-wasip2   # target/wasm32-wasip2/release/{name}.wasm"
            ),
            Lang::Python => format!("pip install -r requirements.txt && ./build.sh {name}.wasm"),
            Lang::Js => format!("npm ci && ./build.sh {name}.wasm"),
        }
    }
}

/// A job type name as `info` must report it.
fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn write_all(dir: &Path, name: &str, lang: Lang) -> std::io::Result<usize> {
    let mut files: Vec<(&str, &str, bool)> = lang.files().to_vec();
    files.push(("wit/scheduler.wit", WIT, false));
    for (path, text, executable) in &files {
        let dest = dir.join(path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, text.replace("{{name}}", name))?;
        if *executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(files.len())
}

pub fn new(name: &str, lang: Lang, dir: Option<PathBuf>) -> ExitCode {
    if !valid_name(name) {
        eprintln!(
            "error: {name:?} is not a job type name: lowercase letters, digits and _, starting with a letter, at most 64"
        );
        return ExitCode::from(2);
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        eprintln!("error: {} exists and is not empty", dir.display());
        return ExitCode::from(2);
    }
    match write_all(&dir, name, lang) {
        Ok(n) => {
            println!("wrote {n} files to {}", dir.display());
            println!(
                "build: cd {} && {}",
                dir.display(),
                lang.build_command(name)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
