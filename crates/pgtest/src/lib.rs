//! A throwaway PostgreSQL server for tests: one cluster per test binary (started on first use
//! in a temporary directory, on a port and a unix socket of its own), and a fresh database per
//! test. The server refuses to run as root, so as root it runs as the `postgres` user.
//!
//! Where no PostgreSQL is installed, [`cluster`] says so and returns `None` (the test passes
//! without it), unless `SGSCHED_REQUIRE_POSTGRES=1`, when it panics. A watchdog process stops
//! the server and removes its directory when the test binary exits, however it exits.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running server.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    durable: bool,
    next_db: AtomicU32,
}

const REQUIRE: &str = "SGSCHED_REQUIRE_POSTGRES";

/// This test binary's server, started on the first call; `None` when PostgreSQL is missing.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| {
            let required = std::env::var(REQUIRE).is_ok_and(|v| v == "1");
            let Some(bin) = find_bin() else {
                assert!(
                    !required,
                    "{REQUIRE}=1 but no PostgreSQL server (initdb, pg_ctl) is installed"
                );
                eprintln!("PostgreSQL is not installed: skipping the PostgreSQL part of this test");
                return None;
            };
            match Cluster::start(bin, false) {
                Ok(c) => Some(c),
                Err(e) => panic!("cannot start a PostgreSQL server for the tests: {e}"),
            }
        })
        .as_ref()
}

/// A server of the caller's own (stopped and removed when dropped), for a test that stops or
/// restarts the database; `None` when PostgreSQL is missing, as for [`cluster`].
pub fn private() -> Option<Cluster> {
    cluster()?;
    let bin = find_bin()?;
    Some(
        Cluster::start(bin, false)
            .unwrap_or_else(|e| panic!("cannot start a PostgreSQL server: {e}")),
    )
}

/// A server of the caller's own that syncs every commit to disk, as an operator's does (for
/// benchmarks: the tests' servers skip it); `None` when PostgreSQL is missing.
pub fn durable() -> Option<Cluster> {
    let bin = find_bin()?;
    Some(
        Cluster::start(bin, true)
            .unwrap_or_else(|e| panic!("cannot start a PostgreSQL server: {e}")),
    )
}

/// The directory holding `initdb` and `pg_ctl`: `SGSCHED_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `PATH`.
fn find_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("SGSCHED_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Cluster {
    fn start(bin: PathBuf, durable: bool) -> Result<Self, String> {
        let as_postgres = is_root();
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sgsched-pg-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("socket")).map_err(|e| e.to_string())?;
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let port = free_port().map_err(|e| e.to_string())?;
        let c = Cluster {
            bin,
            dir,
            port,
            as_postgres,
            durable,
            next_db: AtomicU32::new(0),
        };
        run(c
            .pg("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "-D",
            ])
            .arg(c.data()))?;
        c.restart()?;
        c.watch();
        Ok(c)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command of the server's tools, run as `postgres` when this process is root.
    fn pg(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Stop the server and remove its directory once this process is gone.
    fn watch(&self) {
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            pg_ctl = self.pg_ctl_line(),
            data = shell_quote(&self.data().display().to_string()),
            dir = shell_quote(&self.dir.display().to_string()),
        );
        let _ = Command::new("sh")
            .args(["-c", &stop])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    fn pg_ctl_line(&self) -> String {
        let path = self.bin.join("pg_ctl").display().to_string();
        if self.as_postgres {
            format!("runuser -u postgres -- {path}")
        } else {
            path
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the server's `postgres` database (for administration).
    pub fn admin_url(&self) -> String {
        self.url_of("postgres")
    }

    pub fn url_of(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A new empty database, its URL.
    pub fn database(&self) -> String {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{n}");
        self.sql("postgres", &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        self.url_of(&name)
    }

    /// Run SQL through `psql` on `db` (administration: creating, dropping, terminating).
    pub fn sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-p",
            ])
            .arg(self.port.to_string())
            .args(["-d", db, "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Stop the server (fast shutdown: connections are cut).
    pub fn stop(&self) -> Result<(), String> {
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]))
    }

    /// Start the server (again, after [`Cluster::stop`]), on its port.
    pub fn restart(&self) -> Result<(), String> {
        // Tests need no durability across a machine crash: without fsync they run faster.
        let sync = if self.durable {
            ""
        } else {
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 {sync} -c max_connections=300",
            self.port,
            self.dir.join("socket").display()
        );
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-l"])
            .arg(self.dir.join("log"))
            .args(["-o", &options, "start"]))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"]));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn shell_quote(s: &str) -> String {
    // Paths here are ours (a temporary directory and the server's tools): no quotes inside.
    format!("'{s}'")
}

fn run(c: &mut Command) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{c:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{c:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
