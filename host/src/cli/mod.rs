//! The command line: `serve` (settings in `settings.rs`), `plugins list|validate|run`
//! (`plugins.rs`), `plugins new` (`scaffold.rs`), `next`,
//! `token create`. Parses arguments into typed configs and maps every failure to a message on
//! stderr and an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod next;
mod plugins;
mod scaffold;
mod settings;

pub use settings::{ConfigFile, ServeSettings, Settings, SettingsError};

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
    /// Write a new plugin project (a working job type, the contract, a build script) from
    /// the templates, into DIR (default ./NAME, which must not exist or be empty).
    New {
        /// The job type: lowercase letters, digits and _, starting with a letter.
        name: String,
        #[arg(long, value_enum)]
        lang: scaffold::Lang,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Validate a configuration and run the plugin once against the dry-run job system:
    /// prints each job it submitted, its log (stderr), the outcome and the time. Exits 0 on
    /// success, 1 on an invalid config or a failed run, 2 when the plugin cannot be loaded.
    Run {
        job_type: String,
        config: PathBuf,
        #[arg(long)]
        plugins_dir: Option<PathBuf>,
        /// The episode number the run gets, as a series' episode would.
        #[arg(long)]
        episode: Option<u32>,
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
    init_tracing(match cli.command {
        Command::Serve(_) => "info",
        // The plugin's own log lines are what a plugin author runs it for.
        Command::Plugins(PluginsCommand::Run { .. }) => "warn,sgsched::guest=trace",
        _ => "warn",
    });
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
                plugins::list(plugins_dir).await
            }
            Command::Plugins(PluginsCommand::Validate {
                job_type,
                config,
                plugins_dir,
            }) => plugins::validate(&job_type, &config, plugins_dir).await,
            Command::Plugins(PluginsCommand::New { name, lang, dir }) => {
                scaffold::new(&name, lang, dir)
            }
            Command::Plugins(PluginsCommand::Run {
                job_type,
                config,
                plugins_dir,
                episode,
            }) => plugins::run(&job_type, &config, plugins_dir, episode).await,
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
        Some(path) => match ConfigFile::read(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => ConfigFile::default(),
    };
    let config = match args.settings.with_env().over(file.settings).resolve() {
        Ok(mut c) => {
            c.plugin_limits = file.plugin_limits;
            c.replace_builtins = file.replace_builtins;
            c
        }
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

/// SIGINT or SIGTERM: stop accepting, finish what is in flight. The handlers are installed
/// when this is called, not when the future is first polled: a SIGTERM that arrives just after
/// the server says it is listening must still be a clean stop.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let term = signal(SignalKind::terminate()).ok();
    let interrupt = signal(SignalKind::interrupt()).ok();
    async fn received(s: Option<Signal>) {
        match s {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    async move {
        tokio::select! { _ = received(term) => {}, _ = received(interrupt) => {} }
        tracing::info!("shutdown requested");
    }
}
