//! Wiring for `sgsched serve`: open the store, pick the job system, load the plugins, serve the
//! API until shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::api::{self, AppParts, AppState, TokenCache};
use crate::clock::SystemClock;
use crate::executor::ExecutorConfig;
use crate::jobsystem::{HttpJobSystem, HttpJobSystemConfig, JobSystem, LocalJobSystem};
use crate::plugins::{PluginHost, PluginHostConfig};
use crate::service::Scheduler;
use crate::store::Storage;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Run on this PostgreSQL database instead of the embedded one in `data_dir`.
    pub database_url: Option<String>,
    pub plugins_dir: Option<PathBuf>,
    /// The Story-Genius job system over HTTP; `None` = the embedded dry-run one.
    pub job_system: Option<HttpJobSystemConfig>,
    pub memory_limit_mib: usize,
    pub run_timeout: Duration,
    pub executor: ExecutorConfig,
    /// A run later than this is missed and handled by its schedule's missed policy.
    pub grace: chrono::Duration,
    /// API requests per user per minute; 0 = unlimited.
    pub api_rate_per_minute: u32,
    /// Deadline for a request's headers, and for an idle keep-alive connection.
    pub header_timeout: Duration,
    /// Limits per job type (the config file's `[plugin_limits.*]`).
    pub plugin_limits: std::collections::BTreeMap<String, crate::plugins::PluginLimits>,
    /// A plugins-dir file may replace a built-in (the config file's `plugins_replace_builtins`).
    pub replace_builtins: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Plugins(#[from] crate::plugins::PluginHostError),
    #[error(transparent)]
    JobSystem(#[from] crate::jobsystem::JobSystemError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error("executor: {0}")]
    Executor(String),
}

impl ServeConfig {
    pub fn plugin_host_config(&self) -> PluginHostConfig {
        PluginHostConfig {
            cache_dir: Some(self.data_dir.join("cache").join("plugins")),
            plugins_dir: self.plugins_dir.clone(),
            memory_limit_bytes: self.memory_limit_mib << 20,
            run_timeout: self.run_timeout,
            plugin_limits: self.plugin_limits.clone(),
            replace_builtins: self.replace_builtins,
            ..PluginHostConfig::default()
        }
    }
}

/// How often the plugins dir is looked at for changed files (SIGHUP rescans at once).
const PLUGINS_POLL: Duration = Duration::from_secs(1);

/// Rescans the plugins dir on SIGHUP and whenever a file in it changes, for the process's life.
async fn watch_plugins(plugins: PluginHost) {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(PLUGINS_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let asked = async {
            match hangup.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = asked => {}
            _ = tick.tick() => {
                if !plugins.plugins_dir_changed() {
                    continue;
                }
            }
        }
        match plugins.reload().await {
            Ok(r) => {
                tracing::info!(loaded = ?r.loaded, removed = ?r.removed, refused = r.refused.len(), "plugins dir rescanned")
            }
            Err(e) => {
                tracing::warn!(error = %e, "plugins dir rescan failed; the plugins in force keep serving")
            }
        }
    }
}

/// Everything a running server is made of, built before it listens.
pub struct Services {
    pub state: AppState,
}

pub async fn build(config: &ServeConfig) -> Result<Services, ServerError> {
    let storage: Arc<dyn Storage> = match &config.database_url {
        Some(url) => crate::store::open_postgres(url).await?,
        None => crate::store::open_embedded(&config.data_dir)?,
    };
    let jobs: Arc<dyn JobSystem> = match &config.job_system {
        Some(http) => Arc::new(HttpJobSystem::new(http.clone())?),
        None => Arc::new(LocalJobSystem::new(storage.clone())),
    };
    let job_system_kind = jobs.kind();
    let plugins = PluginHost::load(config.plugin_host_config(), jobs).await?;
    for p in plugins.plugins() {
        tracing::info!(job_type = %p.job_type, version = %p.version, origin = %p.origin, "plugin ready");
    }
    if config.plugins_dir.is_some() {
        tokio::spawn(watch_plugins(plugins.clone()));
    }
    let scheduler =
        Scheduler::new(storage, plugins.clone(), Arc::new(SystemClock)).with_grace(config.grace);
    let tokens = TokenCache::new(crate::tokens::inbox(&config.data_dir));
    let dispatcher = crate::executor::start(scheduler.clone(), config.executor.clone())
        .await
        .map_err(|e| ServerError::Executor(e.to_string()))?;
    let dispatcher = Some(dispatcher);
    let api_rate = api::api_rate_limiter(config.api_rate_per_minute);
    Ok(Services {
        state: AppState::new(AppParts {
            plugins,
            scheduler,
            tokens,
            job_system_kind,
            dispatcher,
            api_rate,
            calendar_cache: Default::default(),
            calendar: Default::default(),
            sessions: Default::default(),
        }),
    })
}

/// Build the services, bind, print `listening on ADDR` (tests read it) and serve until
/// `shutdown` resolves.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    raise_open_files_limit();
    let services = build(&config).await?;
    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: config.listen,
                source,
            })?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, job_system = services.state.job_system_kind, "sgsched listening");
    println!("listening on {addr}");
    let storage = services.state.scheduler.storage().clone();
    let node = services
        .state
        .dispatcher
        .as_ref()
        .map(|d| d.node_id().to_string());
    api::run(listener, services.state, config.header_timeout, shutdown).await?;
    // A node that stops cleanly gives up its lease, so another takes its unfinished runs at
    // once rather than after the lease lapses.
    if let Some(node) = node.filter(|_| storage.shared())
        && let Err(e) = storage.leave(&node).await
    {
        tracing::warn!(error = %e, "giving up this node's lease failed");
    }
    tracing::info!("sgsched stopped");
    Ok(())
}

/// Raise the soft limit on open files to the hard limit. Every connection is a descriptor and
/// most systems start processes with a soft limit of 1,024: at that limit accept() fails with
/// EMFILE, axum retries it once a second, and no client is served until some connection
/// closes, so a thousand idle connections would shut everyone out (seen with
/// `prlimit --nofile=1024`). Best effort: a failure is logged and the server runs on.
fn raise_open_files_limit() {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
        let raised = unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return;
            }
            if lim.rlim_cur >= lim.rlim_max {
                return;
            }
            let before = lim.rlim_cur;
            lim.rlim_cur = lim.rlim_max;
            (libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0).then_some(before)
        };
        match raised {
            Some(before) => {
                tracing::info!(
                    from = before,
                    to = lim.rlim_max,
                    "raised the open files limit"
                )
            }
            None => tracing::warn!(
                error = %std::io::Error::last_os_error(),
                "cannot raise the open files limit"
            ),
        }
    }
}
