//! `job-system-stub`: run the in-memory job system on a port, for demos and for end-to-end
//! tests of `sgsched serve --job-system-url`. Prints `listening on ADDR` once bound, so a test
//! can pass `--listen 127.0.0.1:0` and read the port back.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use job_system_stub::{Faults, StubConfig};

#[derive(Parser)]
#[command(
    version,
    about = "An in-memory Story-Genius job system with fault injection"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: SocketAddr,
    /// Age (ms) at which a job finishes; 0 finishes it at once.
    #[arg(long, default_value_t = 0)]
    complete_after_ms: u64,
    /// Fraction (0..=1) of submissions answered 500, counted deterministically.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    fail_submit_rate: f64,
    /// Answer every submission with this HTTP status.
    #[arg(long)]
    submit_status: Option<u16>,
    /// Sleep this long (ms) before answering any /v1/jobs request.
    #[arg(long, default_value_t = 0)]
    hang_ms: u64,
    /// Extra latency (ms) on every /v1/jobs answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Make every job fail with "injected failure".
    #[arg(long)]
    fail_jobs: bool,
    /// Make jobs of these types fail (comma-separated).
    #[arg(long, value_delimiter = ',')]
    fail_job_types: Vec<String>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be within 0..=1".into())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "job_system_stub=info".into()),
        )
        // stdout carries the `listening on` line that tests parse; logs go elsewhere.
        .with_writer(std::io::stderr)
        .init();

    let args = Args::parse();
    let config = StubConfig {
        complete_after: Duration::from_millis(args.complete_after_ms),
        faults: Faults {
            fail_submit_rate: args.fail_submit_rate,
            submit_status: args.submit_status,
            hang_ms: args.hang_ms,
            latency_ms: args.latency_ms,
            fail_jobs: args.fail_jobs,
            fail_job_types: args.fail_job_types,
        },
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", listener.local_addr()?)?;
    // A test blocks reading this line; stdout to a pipe is block-buffered otherwise.
    stdout.flush()?;
    drop(stdout);

    job_system_stub::run(listener, config, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
