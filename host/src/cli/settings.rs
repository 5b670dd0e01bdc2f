//! `serve`'s settings, each defined once in the `settings!` table below: its name (the flag
//! `--max-concurrent` and the config-file key `max_concurrent`), type, default, allowed range
//! and help. The table generates the flags, the file's reader, the layering (flags over the
//! TOML file from `--config FILE` or `SGSCHED_CONFIG` over the defaults), the range checks and
//! the help text, so none of these can drift from another. Where a part of the server has a
//! default of its own (`ExecutorConfig`, `HttpJobSystemConfig`, `PluginHostConfig`), the table
//! reads it from there: settings depend on the parts, never the other way round. An unknown key or a value out of
//! range in the file is an error naming the key, so a typo never silently falls back to a
//! default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::executor::ExecutorConfig;
use crate::jobsystem::HttpJobSystemConfig;
use crate::plugins::{PluginHostConfig, PluginLimits};
use crate::server::ServeConfig;

/// One line per setting: doc comment (the help), `name: Type`, then `= default` and
/// `, min..=max` when it has them. A setting without a default stays `None` when unset.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $ty:ty $(= $default:expr $(, $min:literal..=$max:literal)?)?;
    )+) => {
        /// Every `serve` setting as given, each optional: the flags and the file are both read
        /// into this, then layered.
        #[derive(Debug, Default, Clone, PartialEq, Deserialize, clap::Args)]
        #[serde(deny_unknown_fields)]
        pub struct ServeSettings {$(
            $(#[doc = $doc])+
            #[arg(long, help = help(
                &[$($doc),+],
                settings!(@shown $name $($default $(, $min, $max)?)?),
            ))]
            pub $name: Option<$ty>,
        )+}

        /// Every setting with its default filled in and its range checked.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Settings {$(
            $(#[doc = $doc])+
            pub $name: settings!(@resolved $ty $(, $default)?),
        )+}

        impl Default for Settings {
            fn default() -> Self {
                Self {$($name: settings!(@default $($default)?),)+}
            }
        }

        impl ServeSettings {
            /// `self` (the flags) over `file`: each setting the flags leave out comes from the
            /// file.
            pub fn over(self, file: ServeSettings) -> ServeSettings {
                ServeSettings {$($name: self.$name.or(file.$name),)+}
            }

            /// The defaults for what is still unset, with every range checked (a flag and a
            /// file value alike).
            pub fn checked(self) -> Result<Settings, SettingsError> {
                let defaults = Settings::default();
                Ok(Settings {$(
                    $name: settings!(
                        @check $name, self.$name, defaults.$name $(, $default $(, $min, $max)?)?
                    ),
                )+})
            }
        }
    };
    (@resolved $ty:ty) => { Option<$ty> };
    (@resolved $ty:ty, $default:expr) => { $ty };
    (@default) => { None };
    (@default $default:expr) => { $default };
    (@check $name:ident, $value:expr, $default:expr) => { $value };
    (@check $name:ident, $value:expr, $default:expr, $_d:expr) => { $value.unwrap_or($default) };
    (@check $name:ident, $value:expr, $default:expr, $_d:expr, $min:literal, $max:literal) => {
        ranged(stringify!($name), $value.unwrap_or($default), $min, $max)?
    };
    (@shown $name:ident) => { None };
    (@shown $name:ident $_d:expr) => {
        Some(format!("[default: {}]", Settings::default().$name.shown()))
    };
    (@shown $name:ident $_d:expr, $min:literal, $max:literal) => {
        Some(format!("[default: {}; {}..={}]", Settings::default().$name.shown(), $min, $max))
    };
}

settings! {
    /// Address to listen on.
    listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    /// Database, compiled-plugin cache and token inbox.
    data_dir: PathBuf = PathBuf::from("./sgsched-data");
    /// Run on this PostgreSQL database (postgres://user:password@host:port/db) instead of the
    /// embedded one, so several nodes can share it; also SGSCHED_DATABASE_URL.
    database_url: String;
    /// This node's name among the nodes sharing that database (default: host name and
    /// process id); a node restarted with the same name takes its own unfinished runs back
    /// at once instead of after its lease.
    node_id: String;
    /// Load every *.wasm in this directory as an extra job-type plugin.
    plugins_dir: PathBuf;
    /// Use the Story-Genius job system at this URL instead of the embedded dry-run one.
    job_system_url: String;
    /// Time limit of one request to that job system, seconds.
    job_system_timeout_secs: u32 = http_default().request_timeout.as_secs() as u32, 1..=600;
    /// Attempts per request to it, the first included; connection errors, timeouts and 5xx
    /// are retried.
    job_system_attempts: u32 = http_default().attempts, 1..=20;
    /// Wait before the first retry, doubling for each next one, milliseconds.
    job_system_backoff_ms: u32 = http_default().backoff.as_millis() as u32, 0..=60_000;
    /// Linear memory limit of one plugin instance, MiB.
    plugin_memory_mib: u32 = (PluginHostConfig::default().memory_limit_bytes >> 20) as u32, 1..=4096;
    /// Time limit of one plugin `run` call, seconds.
    run_timeout_secs: u64 = PluginHostConfig::default().run_timeout.as_secs(), 1..=86_400;
    /// Executions running at once, over all users.
    max_concurrent: u32 = ExecutorConfig::default().max_concurrent as u32, 1..=100_000;
    /// Executions running at once for one user.
    max_concurrent_per_user: u32 = ExecutorConfig::default().max_concurrent_per_user as u32, 1..=100_000;
    /// Executions started per minute for one user.
    user_rate_per_minute: u32 = ExecutorConfig::default().user_rate_per_minute, 1..=10_000_000;
    /// Executions started per minute over all users.
    global_rate_per_minute: u32 = ExecutorConfig::default().global_rate_per_minute, 1..=10_000_000;
    /// API requests a user may make per minute, 429 with Retry-After beyond; 0 = no limit.
    api_rate_per_minute: u32 = 6000;
    /// A run later than this many seconds is missed and handled by its missed policy.
    grace_secs: u32 = 60, 0..=86_400;
    /// A client must send a request's headers within this many seconds, and a keep-alive
    /// connection idle this long is closed.
    // The number itself stays in `api`, where the tests that serve without `serve` take it.
    header_timeout_secs: u32 = crate::api::HEADER_TIMEOUT.as_secs() as u32, 1..=3600;
}

/// The HTTP job system's own defaults (the URL is not one).
fn http_default() -> HttpJobSystemConfig {
    HttpJobSystemConfig::new("")
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

/// The environment variable of `database_url` (a secret an operator may prefer not to put on
/// a command line): it counts as a flag, over the file.
pub const DATABASE_URL_ENV: &str = "SGSCHED_DATABASE_URL";

impl ServeSettings {
    /// Settings given in the environment (see [`DATABASE_URL_ENV`]) fill what the flags left.
    pub fn with_env(mut self) -> Self {
        if self.database_url.is_none() {
            self.database_url = std::env::var(DATABASE_URL_ENV)
                .ok()
                .filter(|v| !v.is_empty());
        }
        self
    }

    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        Ok(ConfigFile::read(path)?.settings)
    }

    /// [`checked`](Self::checked), in the units and shapes the server takes.
    pub fn resolve(self) -> Result<ServeConfig, SettingsError> {
        self.checked().map(Settings::serve_config)
    }
}

/// A configuration file: the settings, and what only a file can say: limits per job type
/// (`[plugin_limits.video]` with `memory_mib`, `validate_timeout_ms`, `run_timeout_secs`),
/// checked against the loaded plugins when the server starts.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ConfigFile {
    pub settings: ServeSettings,
    pub plugin_limits: BTreeMap<String, PluginLimits>,
    /// `plugins_replace_builtins = true`: a plugins-dir file may take a built-in's job type.
    pub replace_builtins: bool,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<ConfigFile, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let parse = |message: String| SettingsError::Parse {
            path: path.to_owned(),
            message,
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| parse(e.to_string()))?;
        let plugin_limits = match table.remove("plugin_limits") {
            None => BTreeMap::new(),
            Some(v) => v
                .try_into()
                .map_err(|e| parse(format!("plugin_limits: {e}")))?,
        };
        let replace_builtins = match table.remove("plugins_replace_builtins") {
            None => false,
            Some(toml::Value::Boolean(b)) => b,
            Some(_) => {
                return Err(parse(
                    "plugins_replace_builtins: must be true or false".into(),
                ));
            }
        };
        let settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| parse(e.to_string()))?;
        Ok(ConfigFile {
            settings,
            plugin_limits,
            replace_builtins,
        })
    }
}

impl Settings {
    pub fn serve_config(self) -> ServeConfig {
        ServeConfig {
            executor: self.executor(),
            job_system: self.job_system_url.as_ref().map(|url| self.job_system(url)),
            listen: self.listen,
            data_dir: self.data_dir,
            database_url: self.database_url,
            plugins_dir: self.plugins_dir,
            memory_limit_mib: self.plugin_memory_mib as usize,
            run_timeout: Duration::from_secs(self.run_timeout_secs),
            grace: chrono::Duration::seconds(self.grace_secs.into()),
            api_rate_per_minute: self.api_rate_per_minute,
            header_timeout: Duration::from_secs(self.header_timeout_secs.into()),
            plugin_limits: BTreeMap::new(),
            replace_builtins: false,
        }
    }

    /// `ExecutorConfig::default()` is this on the defaults.
    pub fn executor(&self) -> ExecutorConfig {
        ExecutorConfig {
            max_concurrent: self.max_concurrent as usize,
            max_concurrent_per_user: self.max_concurrent_per_user as usize,
            user_rate_per_minute: self.user_rate_per_minute,
            global_rate_per_minute: self.global_rate_per_minute,
            node_id: self
                .node_id
                .clone()
                .unwrap_or_else(crate::executor::default_node_id),
            ..ExecutorConfig::default()
        }
    }

    /// `HttpJobSystemConfig::new` is this on the defaults.
    pub fn job_system(&self, base_url: &str) -> HttpJobSystemConfig {
        HttpJobSystemConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            request_timeout: Duration::from_secs(self.job_system_timeout_secs.into()),
            attempts: self.job_system_attempts,
            backoff: Duration::from_millis(self.job_system_backoff_ms.into()),
            ..http_default()
        }
    }
}

fn ranged<T: Copy + PartialOrd + Into<u64>>(
    key: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<T, SettingsError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(SettingsError::Range {
            key,
            value: value.into(),
            min: min.into(),
            max: max.into(),
        })
    }
}

/// A flag's help: its doc comment as clap would show it (lines joined, no final period) and
/// the default and range. clap derive would take the doc comment alone, and writing the default
/// into it by hand is the second copy the table exists to avoid.
fn help(doc: &[&str], default: Option<String>) -> String {
    let text = doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    let text = text.strip_suffix('.').unwrap_or(&text);
    match default {
        Some(default) => format!("{text} {default}"),
        None => text.to_string(),
    }
}

/// How a default is written in the help.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for u64 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for SocketAddr {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for PathBuf {
    fn shown(&self) -> String {
        self.display().to_string()
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

    /// The flags alone, parsed as `serve` parses them.
    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        settings: ServeSettings,
    }

    fn flags(args: &[&str]) -> ServeSettings {
        use clap::Parser;
        Flags::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .unwrap()
            .settings
    }

    #[test]
    fn a_flag_wins_over_the_file_and_the_file_over_the_default() {
        let file = parse(
            "listen = \"127.0.0.1:9000\"\nmax_concurrent = 32\ngrace_secs = 5\n\
             job_system_url = \"http://file/\"\n",
        )
        .unwrap();
        let given = flags(&[
            "--max-concurrent",
            "8",
            "--job-system-url",
            "http://flag/",
            "--plugins-dir",
            "/plugins",
        ]);
        assert_eq!(
            given.over(file).checked().unwrap(),
            Settings {
                listen: "127.0.0.1:9000".parse().unwrap(),
                max_concurrent: 8,
                grace_secs: 5,
                job_system_url: Some("http://flag/".into()),
                plugins_dir: Some("/plugins".into()),
                ..Settings::default()
            }
        );
    }

    #[test]
    fn the_defaults_are_in_range_and_are_those_of_the_configs() {
        assert_eq!(
            ServeSettings::default().checked().unwrap(),
            Settings::default()
        );
        let c = ServeSettings::default().resolve().unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("./sgsched-data"));
        assert_eq!(c.plugins_dir, None);
        assert!(c.job_system.is_none());
        assert_eq!(c.memory_limit_mib, 64);
        assert_eq!(c.run_timeout, Duration::from_secs(600));
        assert_eq!(c.header_timeout, crate::api::HEADER_TIMEOUT);
        let e = ExecutorConfig::default();
        assert_eq!(
            (
                e.max_concurrent,
                e.max_concurrent_per_user,
                e.user_rate_per_minute,
                e.global_rate_per_minute,
                e.claim_batch
            ),
            (16, 4, 60, 600, 512)
        );
        let h = HttpJobSystemConfig::new("http://jobs/");
        assert_eq!(h.base_url, "http://jobs");
        assert_eq!(h.request_timeout, Duration::from_secs(10));
        assert_eq!(h.attempts, 4);
        assert_eq!(h.backoff, Duration::from_millis(200));
        assert_eq!(h.poll_interval, Duration::from_millis(250));
    }

    #[test]
    fn every_out_of_range_value_is_named_from_the_file_and_from_a_flag() {
        let ranges: [(&str, u64, u64); 11] = [
            ("job_system_timeout_secs", 1, 600),
            ("job_system_attempts", 1, 20),
            ("job_system_backoff_ms", 0, 60_000),
            ("plugin_memory_mib", 1, 4096),
            ("run_timeout_secs", 1, 86_400),
            ("max_concurrent", 1, 100_000),
            ("max_concurrent_per_user", 1, 100_000),
            ("user_rate_per_minute", 1, 10_000_000),
            ("global_rate_per_minute", 1, 10_000_000),
            ("grace_secs", 0, 86_400),
            ("header_timeout_secs", 1, 3600),
        ];
        for (key, min, max) in ranges {
            let flag = format!("--{}", key.replace('_', "-"));
            let from_file = |v: u64| parse(&format!("{key} = {v}\n")).unwrap().checked();
            let from_flag = |v: u64| flags(&[&flag, &v.to_string()]).checked();
            for v in [min, max] {
                assert!(from_file(v).is_ok(), "{key} = {v}");
                assert!(from_flag(v).is_ok(), "{flag} {v}");
            }
            let outside = [min.checked_sub(1), Some(max + 1)];
            for v in outside.into_iter().flatten() {
                let want = format!("{key} = {v} is out of range ({min}..={max})");
                assert_eq!(from_file(v).unwrap_err().to_string(), want);
                assert_eq!(from_flag(v).unwrap_err().to_string(), want);
            }
        }
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sgsched.toml");
        std::fs::write(&path, "max_concurrent = 8\nmax_concurent = 3\n").unwrap();
        let e = ServeSettings::from_file(&path).unwrap_err().to_string();
        let head = format!("config file {}: ", path.display());
        assert!(e.starts_with(&head), "{e}");
        assert!(e.contains("unknown field `max_concurent`"), "{e}");
        let missing = dir.path().join("none.toml");
        let e = ServeSettings::from_file(&missing).unwrap_err().to_string();
        let head = format!("cannot read the config file {}: ", missing.display());
        assert!(e.starts_with(&head), "{e}");
    }

    /// The help clap shows for each flag, default and range included, exactly as it was
    /// written by hand before the table generated it.
    #[test]
    fn the_help_shows_each_default_and_range() {
        use clap::CommandFactory;
        let command = Flags::command();
        let shown: Vec<(String, String)> = command
            .get_arguments()
            .filter_map(|a| Some((a.get_long()?.to_string(), a.get_help()?.to_string())))
            .collect();
        let want = [
            ("listen", "Address to listen on [default: 127.0.0.1:8080]"),
            (
                "data-dir",
                "Database, compiled-plugin cache and token inbox [default: ./sgsched-data]",
            ),
            (
                "database-url",
                "Run on this PostgreSQL database (postgres://user:password@host:port/db) \
                 instead of the embedded one, so several nodes can share it; also \
                 SGSCHED_DATABASE_URL",
            ),
            (
                "node-id",
                "This node's name among the nodes sharing that database (default: host name \
                 and process id); a node restarted with the same name takes its own \
                 unfinished runs back at once instead of after its lease",
            ),
            (
                "plugins-dir",
                "Load every *.wasm in this directory as an extra job-type plugin",
            ),
            (
                "job-system-url",
                "Use the Story-Genius job system at this URL instead of the embedded dry-run one",
            ),
            (
                "job-system-timeout-secs",
                "Time limit of one request to that job system, seconds [default: 10; 1..=600]",
            ),
            (
                "job-system-attempts",
                "Attempts per request to it, the first included; connection errors, timeouts \
                 and 5xx are retried [default: 4; 1..=20]",
            ),
            (
                "job-system-backoff-ms",
                "Wait before the first retry, doubling for each next one, milliseconds \
                 [default: 200; 0..=60000]",
            ),
            (
                "plugin-memory-mib",
                "Linear memory limit of one plugin instance, MiB [default: 64; 1..=4096]",
            ),
            (
                "run-timeout-secs",
                "Time limit of one plugin `run` call, seconds [default: 600; 1..=86400]",
            ),
            (
                "max-concurrent",
                "Executions running at once, over all users [default: 16; 1..=100000]",
            ),
            (
                "max-concurrent-per-user",
                "Executions running at once for one user [default: 4; 1..=100000]",
            ),
            (
                "user-rate-per-minute",
                "Executions started per minute for one user [default: 60; 1..=10000000]",
            ),
            (
                "global-rate-per-minute",
                "Executions started per minute over all users [default: 600; 1..=10000000]",
            ),
            (
                "api-rate-per-minute",
                "API requests a user may make per minute, 429 with Retry-After beyond; \
                 0 = no limit [default: 6000]",
            ),
            (
                "grace-secs",
                "A run later than this many seconds is missed and handled by its missed policy \
                 [default: 60; 0..=86400]",
            ),
            (
                "header-timeout-secs",
                "A client must send a request's headers within this many seconds, and a \
                 keep-alive connection idle this long is closed [default: 30; 1..=3600]",
            ),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(l, h)| (l.to_string(), h.to_string()))
            .collect();
        assert_eq!(shown, want);
    }
}
