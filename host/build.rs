//! Builds the built-in job-type plugins (`plugins/`, a guest workspace of its own) and generates
//! `builtin_plugins.rs`, which embeds each component in the binary.

use std::fmt::Write as _;
use std::path::PathBuf;

const PLUGINS: &[&str] = &[
    "video_generation",
    "batch_generation",
    "script_generation",
    "caption_generation",
    "thumbnail_generation",
    "export",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap();
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    let wasms = guest_build::build(&root.join("plugins"), PLUGINS);
    let mut generated = String::from("/// The built-in plugins: (name, component bytes).\n");
    generated.push_str("pub static BUILTIN_PLUGINS: &[(&str, &[u8])] = &[\n");
    for (name, wasm) in PLUGINS.iter().zip(&wasms) {
        writeln!(
            generated,
            "    ({name:?}, include_bytes!({:?})),",
            wasm.display().to_string()
        )
        .unwrap();
    }
    generated.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_plugins.rs");
    std::fs::write(out, generated).unwrap();
}
