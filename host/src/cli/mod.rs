//! The command line: `serve` (settings in `settings.rs`), `plugins list|validate`, `next`,
//! `token create`. Parses arguments into typed configs and maps every failure to a message on
//! stderr and an exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

mod next;
mod settings;

pub use settings::{ServeSettings, Settings, SettingsError};

use crate::jobsystem::Unavailable;
use crate::plugins::{PluginHost, PluginHostConfig};
use crate::server;

#[derive(Parser)]
#[command(name = "sgsched", version, about = "Job scheduler for Story-Genius")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: embedded database, built-in plugins, HTTP API.
    Serve(ServeArgs),
    /// Inspect and try the job-type plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Print the next occurrences of a recurrence rule.
    Next(next::NextArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy an embedded install (every schedule, execution, series, token and job) into an
    /// empty PostgreSQL database and check the counts. Stop the server on DIR first.
    Migrate {
        #[arg(long, default_value = "./sgsched-data")]
        data_dir: PathBuf,
        #[arg(long, env = settings::DATABASE_URL_ENV)]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a bearer token for a user and print it (nothing else) on stdout. Works whether or
    /// not a server is running on the data dir or the database.
    Create {
        #[arg(long)]
        user_id: uuid::Uuid,
        #[arg(long, default_value = "./sgsched-data")]
        data_dir: PathBuf,
        /// Write it to this PostgreSQL database (the one the nodes run on) instead.
        #[arg(long, env = settings::DATABASE_URL_ENV)]
        database_url: Option<String>,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML file with any of the settings below, keys spelled with underscores
    /// (`max_concurrent = 32`); a flag given here wins over the file.
    #[arg(long, env = "SGSCHED_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: ServeSettings,
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// One line per plugin: job type, version, origin.
    List {
        #[arg(long)]
        plugins_dir: Option<PathBuf>,
    },
    /// Check a job configuration; prints every field error and exits 1 when it is invalid.
    Validate {
        job_type: String,
        config: PathBuf,
        #[arg(long)]
        plugins_dir: Option<PathBuf>,
    },
}

/// Errors from libraries (wasmtime's among them) capture a backtrace when `RUST_BACKTRACE` is
/// set, and wasmtime makes one while tearing down every plugin store: an unwind per execution.
/// Panics keep their backtraces; only library error values stop capturing them, unless
/// `RUST_LIB_BACKTRACE` asks for them. Call before any thread starts.
pub fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}

/// The binary's whole life: parse, run, report. Exit codes: 0 fine, 1 invalid config (plugins
/// validate), 2 usage or startup errors.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = !matches!(cli.command, Command::Serve(_));
    init_tracing(if quiet { "warn" } else { "info" });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Next(args) => next::run(args, chrono::Utc::now()),
            Command::Token(TokenCommand::Create {
                user_id,
                database_url: Some(url),
                ..
            }) => {
                let created =
                    match crate::store::postgres::PgStore::open(&url, Default::default()).await {
                        Ok(store) => crate::tokens::create_in(&store, user_id).await,
                        Err(e) => Err(e),
                    };
                match created {
                    Ok(token) => {
                        println!("{token}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("error: cannot write the token to the database: {e}");
                        ExitCode::from(2)
                    }
                }
            }
            Command::Token(TokenCommand::Create {
                user_id, data_dir, ..
            }) => match crate::tokens::create(&data_dir, user_id) {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "error: cannot write the token under {}: {e}",
                        data_dir.display()
                    );
                    ExitCode::from(2)
                }
            },
            Command::Migrate {
                data_dir,
                database_url,
            } => match crate::store::export::migrate(&data_dir, &database_url).await {
                Ok(counts) => {
                    println!("copied {counts}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            },
            Command::Plugins(PluginsCommand::List { plugins_dir }) => {
                plugins_list(plugins_dir).await
            }
            Command::Plugins(PluginsCommand::Validate {
                job_type,
                config,
                plugins_dir,
            }) => plugins_validate(&job_type, &config, plugins_dir).await,
        }
    })
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(args: ServeArgs) -> ExitCode {
    let file = match &args.config {
        Some(path) => match ServeSettings::from_file(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => ServeSettings::default(),
    };
    let config = match args.settings.with_env().over(file).resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match server::serve(config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// SIGINT or SIGTERM: stop accepting, finish what is in flight.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested");
}

/// The CLI commands need plugins but no job system: `run` is never called from them.
async fn load_plugins(plugins_dir: Option<PathBuf>) -> Result<PluginHost, ExitCode> {
    let config = PluginHostConfig {
        plugins_dir,
        ..PluginHostConfig::default()
    };
    PluginHost::load(config, Arc::new(Unavailable))
        .await
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })
}

async fn plugins_list(plugins_dir: Option<PathBuf>) -> ExitCode {
    let host = match load_plugins(plugins_dir).await {
        Ok(h) => h,
        Err(code) => return code,
    };
    for p in host.plugins() {
        println!("{:<24} {:<10} {}", p.job_type, p.version, p.origin);
    }
    for r in host.refused() {
        eprintln!("refused {}: {}", r.file.display(), r.reason);
    }
    ExitCode::SUCCESS
}

async fn plugins_validate(job_type: &str, path: &Path, plugins_dir: Option<PathBuf>) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let config: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            println!("(config): not valid JSON: {e}");
            return ExitCode::from(1);
        }
    };
    let host = match load_plugins(plugins_dir).await {
        Ok(h) => h,
        Err(code) => return code,
    };
    if host.info(job_type).is_none() {
        eprintln!(
            "error: unknown job type {job_type:?}; known: {}",
            host.job_types().join(", ")
        );
        return ExitCode::from(2);
    }
    match host.validate(job_type, &config).await {
        Ok(Ok(())) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Ok(Err(errors)) => {
            for e in errors {
                let field = if e.field.is_empty() {
                    "(config)"
                } else {
                    e.field.as_str()
                };
                println!("{field}: {}", e.message);
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
