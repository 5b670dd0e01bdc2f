//! Helpers shared by the end-to-end tests: start the real binary on port 0 with a fresh data
//! dir, find its address, speak HTTP to it, stop it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// A signed-in JSON client of a running server.
pub mod api;
/// The in-process executor harness (ManualClock, recording job system).
pub mod harness;
/// A WebDriver client for the page tests (headless Chromium).
pub mod webdriver;

/// Path of the sgsched binary built for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sgsched-e2e"))
}

/// A running `sgsched serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Start `sgsched serve --listen 127.0.0.1:0 --data-dir DIR ARGS...` and wait for its
    /// `listening on` line.
    pub fn start(data_dir: &Path, args: &[&str]) -> Server {
        Self::start_with(data_dir, args, None, None)
    }

    /// Like `start`, with the soft limit on open files set to `soft` (as most systems start
    /// processes: 1,024), for tests of what the server does about it.
    pub fn start_with_open_files(data_dir: &Path, args: &[&str], soft: u64) -> Server {
        Self::start_with(data_dir, args, None, Some(soft))
    }

    /// Like `start`, but every stderr line of the server is appended to `log` (and echoed to
    /// the test's stderr), for tests that check what the server said.
    pub fn start_logged(data_dir: &Path, args: &[&str], log: Arc<Mutex<String>>) -> Server {
        Self::start_with(data_dir, args, Some(log), None)
    }

    fn start_with(
        data_dir: &Path,
        args: &[&str],
        log: Option<Arc<Mutex<String>>>,
        open_files: Option<u64>,
    ) -> Server {
        let mut command = Command::new(binary());
        if let Some(soft) = open_files {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec only getrlimit/setrlimit run: async-signal-safe
            // calls that allocate nothing.
            unsafe {
                command.pre_exec(move || {
                    let mut lim = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: 0,
                    };
                    if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    lim.rlim_cur = soft.min(lim.rlim_max);
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            // Quiet servers keep test output readable; RUST_LOG still wins when set.
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(if log.is_some() {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("start sgsched");
        if let Some(log) = log {
            let stderr = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("listening on ") {
                        break a.trim().to_string();
                    }
                }
                _ => {
                    let status = child.wait().ok();
                    panic!("sgsched exited before listening: {status:?}");
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// A new bearer token for `user`, made with `sgsched token create` while the server runs.
    pub fn token(&self, user: &str) -> String {
        create_token(user, &["--data-dir".as_ref(), self.data_dir.as_os_str()])
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The server's process id, for `/proc/<pid>/...`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (no chance to flush or finish anything) and reap the process.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL sgsched");
        self.child.wait().expect("reap sgsched");
    }

    /// `VmRSS` of the server process in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib_of(self.pid()).expect("VmRSS of the server")
    }

    /// Open file descriptors of the server process (sockets included).
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("read /proc/<pid>/fd")
            .count()
    }

    /// What the server's descriptors point to (`socket:[inode]`, paths), for messages.
    pub fn fd_targets(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("read /proc/<pid>/fd")
            .filter_map(|e| {
                let e = e.ok()?;
                let target = std::fs::read_link(e.path()).ok()?;
                Some(format!(
                    "{}={}",
                    e.file_name().to_string_lossy(),
                    target.display()
                ))
            })
            .collect();
        v.sort();
        v
    }

    /// SIGTERM, then wait; returns whether it exited successfully within `timeout`.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of process `pid` in KiB, from `/proc/<pid>/status`; `None` once it is gone.
pub fn rss_kib_of(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The hostile guest component built by build.rs.
pub fn hostile_wasm() -> PathBuf {
    PathBuf::from(env!("HOSTILE_WASM"))
}

/// A valid component of another world.
pub fn wrong_world_wasm() -> PathBuf {
    PathBuf::from(env!("WRONG_WORLD_WASM"))
}

/// The hostile guest as version 0.0.2, built by build.rs.
pub fn hostile_next_wasm() -> PathBuf {
    PathBuf::from(env!("HOSTILE_NEXT_WASM"))
}

/// A plugin built against contract 1.0.0, built by build.rs.
pub fn future_contract_wasm() -> PathBuf {
    PathBuf::from(env!("FUTURE_CONTRACT_WASM"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// The /v1 API as the schedule tests speak it.

/// A fixed project id the built-in plugins accept.
pub const PROJECT_ID: &str = "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90";

/// The `export` plugin's example config: small and valid.
pub fn export_config() -> Value {
    json!({
        "project_id": PROJECT_ID,
        "format": "mp4",
        "resolution": "1080p",
        "fps": 30,
        "quality": "high",
        "destination": {"kind": "s3", "path": "s3://story-genius-exports/octopus/"},
        "include_captions": true,
    })
}

/// A create body for a once schedule of job type `export` at `at` (RFC 3339).
pub fn once_body(name: &str, at: &str) -> Value {
    json!({
        "name": name,
        "job_type": "export",
        "job_config": export_config(),
        "schedule_type": "once",
        "scheduled_at": at,
    })
}

/// A create body for a weekly `export` schedule on `days` at `time` in `tz` from `start`.
pub fn weekly_body(name: &str, tz: &str, days: &[u8], time: &str, start: &str) -> Value {
    json!({
        "name": name,
        "job_type": "export",
        "job_config": export_config(),
        "schedule_type": "recurring",
        "timezone": tz,
        "recurrence_rule": {
            "frequency": "weekly",
            "days_of_week": days,
            "time_of_day": time,
            "start_date": start,
        },
    })
}

/// A schedule as JSON without the one field that moves with the clock: `next_run_in_seconds`
/// is checked against `next_run_at` (within a few seconds of now) and removed, so two reads can
/// be compared exactly.
pub fn stable(mut s: Value) -> Value {
    let countdown = s
        .as_object_mut()
        .and_then(|o| o.remove("next_run_in_seconds"));
    if let Some(countdown) = countdown {
        match s["next_run_at"].as_str() {
            Some(at) => {
                let at: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
                let expected = (at - chrono::Utc::now()).num_seconds();
                let got = countdown
                    .as_i64()
                    .unwrap_or_else(|| panic!("next_run_in_seconds {countdown} in {s}"));
                assert!(
                    (got - expected).abs() <= 5,
                    "next_run_in_seconds {got}, expected about {expected}: {s}"
                );
            }
            None => assert_eq!(
                countdown,
                Value::Null,
                "a countdown without a next run: {s}"
            ),
        }
    }
    s
}

/// One answer: status, content type and body text.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Assert the status, returning the JSON body (or Null for an empty body).
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        if self.text.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Assert the status, returning the body as text.
    pub fn expect_text(&self, status: u16) -> String {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self.text.clone()
    }

    /// Assert an RFC 9457 problem with this status; returns it.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "content type {:?} for {}",
            self.content_type,
            self.text
        );
        let p = self.json();
        assert_eq!(p["status"], status, "{p}");
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        assert!(p["detail"].is_string(), "{p}");
        p
    }

    /// A 422 problem's error fields, sorted.
    pub fn error_fields(&self) -> Vec<String> {
        let p = self.problem(422);
        let mut f: Vec<String> = p["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors list: {p}"))
            .iter()
            .map(|e| {
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
                e["field"].as_str().unwrap().to_string()
            })
            .collect();
        f.sort();
        f
    }

    /// The message of the error on `field` in a 422 problem.
    pub fn error_message(&self, field: &str) -> String {
        let p = self.json();
        p["errors"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["field"] == field))
            .and_then(|e| e["message"].as_str())
            .unwrap_or_else(|| panic!("no error on {field}: {p}"))
            .to_string()
    }
}

/// An HTTP client for one server and (optionally) one bearer token. Every answer is checked
/// to be below 500: nothing a client sends may make the server fail.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    pub fn new(server: &Server, token: Option<String>) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("http://{}", server.addr),
            token,
        }
    }

    /// A caller with a token of its own, for a user nobody else uses.
    pub fn for_new_user(server: &Server) -> Api {
        Api::new(
            server,
            Some(server.token(&uuid::Uuid::new_v4().to_string())),
        )
    }

    /// The same server as another caller.
    pub fn with_token(&self, token: Option<&str>) -> Api {
        Api {
            http: self.http.clone(),
            base: self.base.clone(),
            token: token.map(str::to_string),
        }
    }

    /// Send a request; `Err` only when no answer came (connection refused or reset).
    pub async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Resp, reqwest::Error> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await?;
        assert!(status < 500, "{method} {path} answered {status}: {text}");
        Ok(Resp {
            status,
            content_type,
            text,
        })
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> Resp {
        self.try_send(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(
            reqwest::Method::POST,
            path,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.send(reqwest::Method::POST, path, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(
            reqwest::Method::PUT,
            path,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Create a schedule (201) and return it.
    pub async fn create(&self, body: &Value) -> Value {
        self.post("/v1/schedules", body).await.expect(201)
    }

    /// GET one schedule (200), made `stable`.
    pub async fn schedule(&self, id: &str) -> Value {
        stable(self.get(&format!("/v1/schedules/{id}")).await.expect(200))
    }

    /// The schedule's id as a string.
    pub fn id(schedule: &Value) -> String {
        schedule["schedule_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no schedule_id: {schedule}"))
            .to_string()
    }

    /// Every page of `GET /v1/schedules?<query>` (query without `limit`/`cursor`), in order.
    pub async fn list_all(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!(
                "/v1/schedules?limit=100{}{query}",
                if query.is_empty() { "" } else { "&" }
            );
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = self.get(&path).await.expect(200);
            out.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    /// The executions of a schedule once none is `pending` or `running` any more (the executor
    /// finishes manual runs at once with the local job system), newest first.
    pub async fn settled_executions(&self, id: &str) -> Vec<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let runs = self.executions(id).await;
            if runs
                .iter()
                .all(|e| e["status"] != "pending" && e["status"] != "running")
            {
                return runs;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "executions of {id} never settled: {runs:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every execution of a schedule (newest first, as the API lists them).
    pub async fn executions(&self, id: &str) -> Vec<Value> {
        let page = self
            .get(&format!("/v1/schedules/{id}/executions?limit=1000"))
            .await
            .expect(200);
        assert_eq!(page["next_cursor"], Value::Null);
        page["items"].as_array().unwrap().clone()
    }
}

/// `serve` flags that take the executor's limits out of the way (concurrency, rates, API rate,
/// missed-run grace), so a test sees the job system's behaviour and not a queue waiting on a
/// limit; with `job_system_url`, runs go to that job system.
pub fn unlimited_args(job_system_url: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "--max-concurrent",
        "2000",
        "--max-concurrent-per-user",
        "2000",
        "--user-rate-per-minute",
        "10000000",
        "--global-rate-per-minute",
        "10000000",
        "--api-rate-per-minute",
        "0",
        // A run delayed by restarts or a busy machine is still run, not handled as missed.
        "--grace-secs",
        "3600",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(url) = job_system_url {
        args.extend(["--job-system-url".to_string(), url.to_string()]);
    }
    args
}

/// A job-system stub serving on a port of its own, and its URL.
pub async fn stub_server(config: job_system_stub::StubConfig) -> (job_system_stub::Stub, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stub = job_system_stub::Stub::new(config);
    tokio::spawn(stub.clone().serve(listener, std::future::pending()));
    (stub, url)
}

/// A bearer token made with `sgsched token create --database-url` (nodes on PostgreSQL).
pub fn db_token(database_url: &str, user: &str) -> String {
    create_token(user, &["--database-url".as_ref(), database_url.as_ref()])
}

/// `sgsched token create --user-id USER` with `target` (where the token is kept): its output,
/// which is the token and nothing else.
fn create_token(user: &str, target: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(binary())
        .args(["token", "create", "--user-id", user])
        .args(target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        token.lines().count(),
        1,
        "token create prints the token and nothing else"
    );
    token.trim().to_string()
}

/// Start a server from within a multi-threaded tokio test (starting blocks on its stdout).
pub fn start_blocking(data_dir: &Path, args: &[String]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tokio::task::block_in_place(|| Server::start(data_dir, &args))
}

/// `Server::token` from within a multi-threaded tokio test.
pub fn token_blocking(server: &Server, user: &str) -> String {
    tokio::task::block_in_place(|| server.token(user))
}

/// Latencies of `n` sequential requests, in milliseconds, sorted.
pub struct Latencies(pub Vec<f64>);

impl Latencies {
    /// `n` sequential `GET path` (each must answer 200), timed one by one.
    pub async fn of_gets(api: &Api, path: &str, n: usize) -> Latencies {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let t = std::time::Instant::now();
            let r = api.get(path).await;
            v.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        }
        Latencies::from(v)
    }

    pub fn from(mut v: Vec<f64>) -> Latencies {
        assert!(!v.is_empty());
        v.sort_by(f64::total_cmp);
        Latencies(v)
    }

    /// The `q` quantile (0..=1), nearest rank.
    pub fn quantile(&self, q: f64) -> f64 {
        let i = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[i]
    }

    pub fn p50(&self) -> f64 {
        self.quantile(0.5)
    }

    pub fn p99(&self) -> f64 {
        self.quantile(0.99)
    }

    pub fn max(&self) -> f64 {
        *self.0.last().unwrap()
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n={} p50={:.2}ms p99={:.2}ms max={:.2}ms",
            self.0.len(),
            self.p50(),
            self.p99(),
            self.max()
        )
    }
}

/// A job-system stub served in-process on 127.0.0.1 that can be stopped (connections to its
/// port are then refused) and started again on the same port with the same jobs.
pub struct StubServer {
    pub stub: job_system_stub::Stub,
    pub addr: std::net::SocketAddr,
    router: axum::Router,
    running: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    )>,
}

impl StubServer {
    pub async fn start(config: job_system_stub::StubConfig) -> StubServer {
        let stub = job_system_stub::Stub::new(config);
        let router = stub.router();
        Self::start_router(stub, router).await
    }

    /// Serve `router` (the stub's, possibly with layers around it) for `stub`.
    pub async fn start_router(stub: job_system_stub::Stub, router: axum::Router) -> StubServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut s = StubServer {
            stub,
            addr,
            router,
            running: None,
        };
        s.serve(listener);
        s
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(
            axum::serve(listener, self.router.clone())
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .into_future(),
        );
        self.running = Some((tx, task));
    }

    /// Stop listening and close every connection (graceful: idle keep-alive connections are
    /// closed at once), so the next connect to the port is refused.
    pub async fn stop(&mut self) {
        let (tx, task) = self.running.take().expect("the stub is running");
        let _ = tx.send(());
        task.await.unwrap().unwrap();
    }

    /// Listen again on the same port (tokio sets SO_REUSEADDR, so TIME_WAIT does not block it).
    pub async fn restart(&mut self) {
        assert!(self.running.is_none(), "the stub is already running");
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }
}

/// A fresh data dir, a server on it, and a client for a new user.
pub fn start_with_user() -> (tempfile::TempDir, Server, Api) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let token = server.token(&uuid::Uuid::new_v4().to_string());
    let api = Api::new(&server, Some(token));
    (dir, server, api)
}
