//! Builds the guest components of `tests/guests/` (hostile and its next version, wrong-world,
//! future-contract) for the sandbox and reload tests and tells the tests where they are.

fn main() {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!(
        "cargo:rerun-if-changed={}",
        dir.parent().unwrap().join("wit").display()
    );
    let wasms = guest_build::build(
        &dir.join("guests"),
        &["hostile", "wrong_world", "future_contract", "hostile_next"],
    );
    println!("cargo:rustc-env=HOSTILE_WASM={}", wasms[0].display());
    println!("cargo:rustc-env=WRONG_WORLD_WASM={}", wasms[1].display());
    println!(
        "cargo:rustc-env=FUTURE_CONTRACT_WASM={}",
        wasms[2].display()
    );
    println!("cargo:rustc-env=HOSTILE_NEXT_WASM={}", wasms[3].display());
}
