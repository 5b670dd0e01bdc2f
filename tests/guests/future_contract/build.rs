//! The contract as a later, incompatible sgsched would publish it: this repository's WIT with
//! its package version raised to 1.0.0, written where `generate!` reads it.

fn main() {
    let here = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let source = here.join("../../../wit/scheduler.wit");
    println!("cargo:rerun-if-changed={}", source.display());
    let wit = std::fs::read_to_string(&source).unwrap();
    let current = "package story-genius:scheduler@0.1.0;";
    assert!(wit.contains(current), "the contract's package line changed: update this guest");
    let out = here.join("wit-1.0");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("scheduler.wit"), wit.replace(current, "package story-genius:scheduler@1.0.0;")).unwrap();
}
