//! A job type that misbehaves on request: `{"mode": "..."}` in `validate` or `run` makes it
//! loop forever, eat memory, trap, panic, or reach for the filesystem and environment. The host
//! must contain each and keep serving.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

wit_bindgen::generate!({ path: "../../../wit", world: "job-plugin" });

use exports::story_genius::scheduler::job_runner::{FieldError, Guest, JobOutcome, JobRequest, PluginInfo};
use story_genius::scheduler::job_system;

struct Hostile;

fn mode(config: &str) -> String {
    // No JSON crate: keep the guest tiny. The mode is the value after `"mode":"`.
    let key = "\"mode\":\"";
    config
        .find(key)
        .and_then(|i| config[i + key.len()..].split('"').next())
        .unwrap_or("ok")
        .to_string()
}

/// Calls this instance has served, and a large zero-initialised region: `remember` reports
/// what an earlier call left in them, so a test can check that every call starts from a fresh
/// instance whose memory holds nothing of the last one, near its start and far beyond it.
static CALLS: AtomicU32 = AtomicU32::new(0);
const SEEN_BYTES: usize = 6 << 20;
static SEEN: [AtomicU8; SEEN_BYTES] = [const { AtomicU8::new(0) }; SEEN_BYTES];

fn remember() -> String {
    let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    let mut leftovers = 0;
    for offset in (0..SEEN_BYTES).step_by(4096).chain([SEEN_BYTES - 1]) {
        leftovers += usize::from(SEEN[offset].swap(0xAB, Ordering::Relaxed) != 0);
    }
    format!("calls {calls}, leftovers {leftovers}")
}

/// Misbehave as asked; returns a message for the modes that end normally.
fn act(mode: &str) -> Result<String, String> {
    match mode {
        "remember" => Ok(remember()),
        "loop" => {
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        "oom" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut chunk = vec![0u8; 1 << 20];
                chunk[0] = hoard.len() as u8;
                hoard.push(std::hint::black_box(chunk));
            }
        }
        "trap" => core::arch::wasm32::unreachable(),
        "panic" => panic!("hostile guest panicked on purpose"),
        "open_file" => match std::fs::read("/etc/passwd") {
            Ok(b) => Ok(format!("read {} bytes of /etc/passwd", b.len())),
            Err(e) => Err(format!("open /etc/passwd denied: {e}")),
        },
        "env" => Ok(format!("env vars: {}, args: {}", std::env::vars().count(), std::env::args().count())),
        "version" => Ok(env!("CARGO_PKG_VERSION").to_string()),
        // Busy for a while (no clock in here), then say which version ran.
        "spin" => {
            let mut x: u64 = 0;
            for i in 0..300_000_000u64 {
                x = std::hint::black_box(x.wrapping_add(i));
            }
            Ok(format!("{} after {}", env!("CARGO_PKG_VERSION"), x % 2))
        }
        "log" => {
            println!("hello from the hostile guest's stdout");
            eprintln!("hello from the hostile guest's stderr");
            Ok("logged".into())
        }
        _ => Ok("ok".into()),
    }
}

impl Guest for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            job_type: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Misbehaves on request, for the host's fault tests.".into(),
            config_schema: r#"{"type":"object","properties":{"mode":{"type":"string"}}}"#.into(),
            example_config: r#"{"mode":"ok"}"#.into(),
        }
    }

    fn validate(config: String) -> Result<(), Vec<FieldError>> {
        match act(&mode(&config)) {
            Ok(_) => Ok(()),
            Err(message) => Err(vec![FieldError { field: "mode".into(), message }]),
        }
    }

    fn run(request: JobRequest) -> Result<JobOutcome, String> {
        let m = mode(&request.config);
        if m == "submit" {
            let id = job_system::submit("hostile", "{}", &request.execution_id)?;
            let status = job_system::wait(&id, 1000)?;
            return Ok(JobOutcome { job_id: Some(id), summary: format!("{{\"state\":\"{:?}\"}}", status.state) });
        }
        let msg = act(&m)?;
        Ok(JobOutcome { job_id: None, summary: format!("{{\"message\":{msg:?}}}") })
    }
}

export!(Hostile);
