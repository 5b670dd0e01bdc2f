//! `serve`'s settings: the command-line flags over an optional TOML config file
//! (`--config FILE` or `SGSCHED_CONFIG`) over the defaults. The file takes the same keys as the
//! flags, with underscores (`max_concurrent = 32`). A flag given on the command line wins over
//! the file; an unknown key or a value out of range in the file is an error naming the key, so a
//! typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::executor::ExecutorConfig;
use crate::jobsystem::HttpJobSystemConfig;
use crate::server::ServeConfig;

/// Every `serve` setting, each optional: the flags and the file are both read into this, then
/// layered.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct ServeSettings {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Database, compiled-plugin cache and token inbox [default: ./sgsched-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Load every *.wasm in this directory as an extra job-type plugin.
    #[arg(long)]
    pub plugins_dir: Option<PathBuf>,
    /// Use the Story-Genius job system at this URL instead of the embedded dry-run one.
    #[arg(long)]
    pub job_system_url: Option<String>,
    /// Time limit of one request to that job system, seconds [default: 10; 1..=600].
    #[arg(long)]
    pub job_system_timeout_secs: Option<u32>,
    /// Attempts per request to it, the first included; connection errors, timeouts and 5xx
    /// are retried [default: 4; 1..=20].
    #[arg(long)]
    pub job_system_attempts: Option<u32>,
    /// Wait before the first retry, doubling for each next one, milliseconds
    /// [default: 200; 0..=60000].
    #[arg(long)]
    pub job_system_backoff_ms: Option<u32>,
    /// Linear memory limit of one plugin instance, MiB [default: 64; 1..=4096].
    #[arg(long)]
    pub plugin_memory_mib: Option<u32>,
    /// Time limit of one plugin `run` call, seconds [default: 600; 1..=86400].
    #[arg(long)]
    pub run_timeout_secs: Option<u64>,
    /// Executions running at once, over all users [default: 16; 1..=100000].
    #[arg(long)]
    pub max_concurrent: Option<u32>,
    /// Executions running at once for one user [default: 4; 1..=100000].
    #[arg(long)]
    pub max_concurrent_per_user: Option<u32>,
    /// Executions started per minute for one user [default: 60; 1..=10000000].
    #[arg(long)]
    pub user_rate_per_minute: Option<u32>,
    /// Executions started per minute over all users [default: 600; 1..=10000000].
    #[arg(long)]
    pub global_rate_per_minute: Option<u32>,
    /// API requests a user may make per minute, 429 with Retry-After beyond; 0 = no limit
    /// [default: 6000].
    #[arg(long)]
    pub api_rate_per_minute: Option<u32>,
    /// A run later than this many seconds is missed and handled by its missed policy
    /// [default: 60; 0..=86400].
    #[arg(long)]
    pub grace_secs: Option<u32>,
    /// A client must send a request's headers within this many seconds, and a keep-alive
    /// connection idle this long is closed [default: 30; 1..=3600].
    #[arg(long)]
    pub header_timeout_secs: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the config file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{key} = {value} is out of range ({min}..={max})")]
    Range {
        key: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
}

impl ServeSettings {
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| SettingsError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// `self` (the flags) over `file`: each setting the flags leave out comes from the file.
    pub fn over(self, file: ServeSettings) -> ServeSettings {
        ServeSettings {
            listen: self.listen.or(file.listen),
            data_dir: self.data_dir.or(file.data_dir),
            plugins_dir: self.plugins_dir.or(file.plugins_dir),
            job_system_url: self.job_system_url.or(file.job_system_url),
            job_system_timeout_secs: self
                .job_system_timeout_secs
                .or(file.job_system_timeout_secs),
            job_system_attempts: self.job_system_attempts.or(file.job_system_attempts),
            job_system_backoff_ms: self.job_system_backoff_ms.or(file.job_system_backoff_ms),
            plugin_memory_mib: self.plugin_memory_mib.or(file.plugin_memory_mib),
            run_timeout_secs: self.run_timeout_secs.or(file.run_timeout_secs),
            max_concurrent: self.max_concurrent.or(file.max_concurrent),
            max_concurrent_per_user: self
                .max_concurrent_per_user
                .or(file.max_concurrent_per_user),
            user_rate_per_minute: self.user_rate_per_minute.or(file.user_rate_per_minute),
            global_rate_per_minute: self.global_rate_per_minute.or(file.global_rate_per_minute),
            api_rate_per_minute: self.api_rate_per_minute.or(file.api_rate_per_minute),
            grace_secs: self.grace_secs.or(file.grace_secs),
            header_timeout_secs: self.header_timeout_secs.or(file.header_timeout_secs),
        }
    }

    /// The defaults for what is still unset, with every range checked (a flag and a file value
    /// alike).
    pub fn resolve(self) -> Result<ServeConfig, SettingsError> {
        let defaults = ExecutorConfig::default();
        let executor = ExecutorConfig {
            max_concurrent: ranged(
                "max_concurrent",
                self.max_concurrent,
                defaults.max_concurrent as u64,
                1,
                100_000,
            )? as usize,
            max_concurrent_per_user: ranged(
                "max_concurrent_per_user",
                self.max_concurrent_per_user,
                defaults.max_concurrent_per_user as u64,
                1,
                100_000,
            )? as usize,
            user_rate_per_minute: ranged(
                "user_rate_per_minute",
                self.user_rate_per_minute,
                defaults.user_rate_per_minute.into(),
                1,
                10_000_000,
            )? as u32,
            global_rate_per_minute: ranged(
                "global_rate_per_minute",
                self.global_rate_per_minute,
                defaults.global_rate_per_minute.into(),
                1,
                10_000_000,
            )? as u32,
            ..defaults
        };
        // Checked even without a URL, so a bad value is never silently carried along.
        let http = HttpJobSystemConfig::new("");
        let job_timeout = Duration::from_secs(ranged(
            "job_system_timeout_secs",
            self.job_system_timeout_secs,
            http.request_timeout.as_secs(),
            1,
            600,
        )?);
        let job_attempts = ranged(
            "job_system_attempts",
            self.job_system_attempts,
            http.attempts.into(),
            1,
            20,
        )? as u32;
        let job_backoff = Duration::from_millis(ranged(
            "job_system_backoff_ms",
            self.job_system_backoff_ms,
            http.backoff.as_millis() as u64,
            0,
            60_000,
        )?);
        Ok(ServeConfig {
            listen: self
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir: self
                .data_dir
                .unwrap_or_else(|| PathBuf::from("./sgsched-data")),
            plugins_dir: self.plugins_dir,
            job_system: self.job_system_url.map(|url| HttpJobSystemConfig {
                request_timeout: job_timeout,
                attempts: job_attempts,
                backoff: job_backoff,
                ..HttpJobSystemConfig::new(url)
            }),
            memory_limit_mib: ranged("plugin_memory_mib", self.plugin_memory_mib, 64, 1, 4096)?
                as usize,
            run_timeout: Duration::from_secs(ranged(
                "run_timeout_secs",
                self.run_timeout_secs,
                600,
                1,
                86_400,
            )?),
            executor,
            grace: chrono::Duration::seconds(
                ranged("grace_secs", self.grace_secs, 60, 0, 86_400)? as i64
            ),
            api_rate_per_minute: self.api_rate_per_minute.unwrap_or(6000),
            header_timeout: Duration::from_secs(ranged(
                "header_timeout_secs",
                self.header_timeout_secs,
                crate::api::HEADER_TIMEOUT.as_secs(),
                1,
                3600,
            )?),
        })
    }
}

fn ranged<T: Into<u64>>(
    key: &'static str,
    value: Option<T>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, SettingsError> {
    let v = value.map_or(default, Into::into);
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(SettingsError::Range {
            key,
            value: v,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServeSettings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn file_keys_are_the_flag_names() {
        let file = parse(
            "listen = \"127.0.0.1:9000\"\nmax_concurrent = 32\nmax_concurrent_per_user = 2\n\
             user_rate_per_minute = 120\nglobal_rate_per_minute = 1200\ngrace_secs = 5\n\
             api_rate_per_minute = 0\nrun_timeout_secs = 30\nplugin_memory_mib = 128\n\
             header_timeout_secs = 7\njob_system_url = \"http://jobs.internal/\"\n\
             job_system_timeout_secs = 3\njob_system_attempts = 2\njob_system_backoff_ms = 50\n",
        )
        .unwrap();
        let c = ServeSettings::default().over(file).resolve().unwrap();
        let http = c.job_system.as_ref().unwrap();
        assert_eq!(http.base_url, "http://jobs.internal");
        assert_eq!(http.request_timeout, Duration::from_secs(3));
        assert_eq!(http.attempts, 2);
        assert_eq!(http.backoff, Duration::from_millis(50));
        assert_eq!(c.header_timeout, Duration::from_secs(7));
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.executor.max_concurrent, 32);
        assert_eq!(c.executor.max_concurrent_per_user, 2);
        assert_eq!(c.executor.user_rate_per_minute, 120);
        assert_eq!(c.executor.global_rate_per_minute, 1200);
        assert_eq!(c.grace, chrono::Duration::seconds(5));
        assert_eq!(c.api_rate_per_minute, 0);
        assert_eq!(c.run_timeout, Duration::from_secs(30));
        assert_eq!(c.memory_limit_mib, 128);
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file = parse("max_concurrent = 32\nmax_concurrent_per_user = 2\n").unwrap();
        let flags = ServeSettings {
            max_concurrent: Some(8),
            ..ServeSettings::default()
        };
        let c = flags.over(file).resolve().unwrap();
        assert_eq!(c.executor.max_concurrent, 8);
        assert_eq!(c.executor.max_concurrent_per_user, 2);
        assert_eq!(c.executor.user_rate_per_minute, 60);
        assert_eq!(c.executor.global_rate_per_minute, 600);
        assert_eq!(c.grace, chrono::Duration::seconds(60));
        assert_eq!(c.api_rate_per_minute, 6000);
        assert_eq!(c.header_timeout, Duration::from_secs(30));
        assert!(c.job_system.is_none(), "the embedded job system");
        let flags = ServeSettings {
            job_system_url: Some("http://127.0.0.1:9/".into()),
            job_system_attempts: Some(1),
            ..ServeSettings::default()
        };
        let c = flags.over(parse("job_system_attempts = 9\n").unwrap());
        let http = c.resolve().unwrap().job_system.unwrap();
        assert_eq!(http.attempts, 1);
        assert_eq!(http.request_timeout, Duration::from_secs(10));
        assert_eq!(http.backoff, Duration::from_millis(200));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let e = parse("max_concurent = 3\n").unwrap_err();
        assert!(e.contains("max_concurent"), "{e}");
        let e = parse("max_concurrent = \"many\"\n").unwrap_err();
        assert!(e.contains("max_concurrent"), "{e}");
        let e = ServeSettings::default()
            .over(parse("max_concurrent = 0\n").unwrap())
            .resolve()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "max_concurrent = 0 is out of range (1..=100000)"
        );
        let e = ServeSettings {
            grace_secs: Some(86_401),
            ..ServeSettings::default()
        }
        .resolve()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "grace_secs = 86401 is out of range (0..=86400)"
        );
        let e = ServeSettings {
            job_system_attempts: Some(0),
            ..ServeSettings::default()
        }
        .resolve()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "job_system_attempts = 0 is out of range (1..=20)"
        );
    }
}
