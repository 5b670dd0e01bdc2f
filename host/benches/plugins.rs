//! `cargo bench -p sgsched --bench plugins`
//!
//! - one `validate` call on a built-in plugin, fresh instance included (target: median <= 50 us),
//!   beside the native floor of the same work (JSON encode + parse of the config) as baseline;
//! - process start to `/healthz` answering with the six built-ins, compiled cache cold and warm
//!   (target: warm <= 300 ms);
//! - `validate` of the Rust, Python and JavaScript examples in the same run (export,
//!   `examples/python-plugin`, `examples/js-plugin`, each built by its build.sh; a language whose
//!   tools are missing is left out, saying so), with ratios to Rust; and the time a rescan takes
//!   to put a changed file in force (the server's watcher looks once a second on top of that).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use sgsched::jobsystem::Unavailable;
use sgsched::plugins::{PluginHost, PluginHostConfig};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn validate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let host = rt
        .block_on(PluginHost::load(
            PluginHostConfig::default(),
            Arc::new(Unavailable),
        ))
        .unwrap();
    let config = host.info("export").unwrap().example_config.clone();

    // A manual median first, so the figure and its ratio print plainly.
    let samples: Vec<Duration> = rt.block_on(async {
        let mut v = Vec::with_capacity(5000);
        for _ in 0..5000 {
            let t = Instant::now();
            host.validate("export", &config).await.unwrap().unwrap();
            v.push(t.elapsed());
        }
        v
    });
    let wasm = median(samples);
    let native = median(
        (0..5000)
            .map(|_| {
                let t = Instant::now();
                let s = serde_json::to_string(&config).unwrap();
                let v: serde_json::Value = serde_json::from_str(&s).unwrap();
                std::hint::black_box(v);
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "validate(export) median {:.1} us (target <= 50 us: {:.2}x of target); native JSON round trip {:.2} us; ratio {:.0}x",
        wasm.as_secs_f64() * 1e6,
        wasm.as_secs_f64() / 50e-6,
        native.as_secs_f64() * 1e6,
        wasm.as_secs_f64() / native.as_secs_f64().max(1e-9)
    );

    let mut g = c.benchmark_group("plugins");
    g.bench_function("validate_export_fresh_instance", |b| {
        b.to_async(&rt)
            .iter(|| async { host.validate("export", &config).await.unwrap().unwrap() })
    });
    g.bench_function("native_json_roundtrip_baseline", |b| {
        b.iter(|| {
            let s = serde_json::to_string(&config).unwrap();
            serde_json::from_str::<serde_json::Value>(&s).unwrap()
        })
    });
    g.finish();
}

/// Spawn `sgsched serve` and time until `/healthz` answers 200.
fn time_to_healthz(data_dir: &std::path::Path) -> Duration {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sgsched"))
        .args(["serve", "--listen", &addr, "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let took = loop {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                break start.elapsed();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "server did not come up"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = child.kill();
    let _ = child.wait();
    took
}

fn startup() {
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        cold.push(time_to_healthz(dir.path()));
        for _ in 0..3 {
            warm.push(time_to_healthz(dir.path()));
        }
    }
    let (cold, warm) = (median(cold), median(warm));
    println!(
        "startup to /healthz: warm cache median {} ms (target <= 300 ms: {:.2}x of target), cold cache median {} ms; cold/warm {:.1}x",
        warm.as_millis(),
        warm.as_secs_f64() / 0.3,
        cold.as_millis(),
        cold.as_secs_f64() / warm.as_secs_f64()
    );
}

/// `validate` medians by language, and the rescan that brings a changed file in.
fn languages() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let examples = [
        ("python", "examples/python-plugin/build.sh", "social_post"),
        ("javascript", "examples/js-plugin/build.sh", "newsletter"),
    ];
    let mut built = vec![("rust", "export")];
    for (lang, script, job_type) in examples {
        let staged = dir.path().join(format!("{job_type}.wasm"));
        let ok = Command::new("bash")
            .arg(root.join(script))
            .arg(&staged)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            built.push((lang, job_type));
        } else {
            println!("validate by language: {lang} left out (its build tools are missing)");
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = PluginHostConfig {
        plugins_dir: Some(plugins.clone()),
        ..PluginHostConfig::default()
    };
    let host = rt
        .block_on(PluginHost::load(config, Arc::new(Unavailable)))
        .unwrap();
    // Each file arrives while the host runs: the rescan is what a changed file costs.
    for (_, job_type) in &built[1..] {
        let name = format!("{job_type}.wasm");
        std::fs::rename(dir.path().join(&name), plugins.join(&name)).unwrap();
        let t = Instant::now();
        let report = rt.block_on(host.reload()).unwrap();
        assert_eq!(report.loaded, [job_type.to_string()]);
        println!(
            "rescan putting a changed {job_type}.wasm in force: {} ms (compile + info; the watcher adds up to 1 s)",
            t.elapsed().as_millis()
        );
    }
    let mut medians = Vec::new();
    for (lang, job_type) in &built {
        let config = host.info(job_type).unwrap().example_config;
        let m = rt.block_on(async {
            let mut v = Vec::with_capacity(300);
            for _ in 0..300 {
                let t = Instant::now();
                host.validate(job_type, &config).await.unwrap().unwrap();
                v.push(t.elapsed());
            }
            median(v)
        });
        medians.push((*lang, *job_type, m));
    }
    let rust = medians[0].2.as_secs_f64();
    println!("validate by language (medians of 300, same run):");
    for (lang, job_type, m) in &medians {
        println!(
            "  {lang:<10} {job_type:<12} {:>9.1} us   {:.1}x of rust",
            m.as_secs_f64() * 1e6,
            m.as_secs_f64() / rust
        );
    }
}

criterion_group!(benches, validate);

fn main() {
    startup();
    languages();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
