//! What the load tools share: a real `sgsched serve` process started on port 0 and read back,
//! tokens made through the binary, a process's CPU time, and the raw keep-alive client.

pub mod raw;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `sgsched serve`, killed when dropped.
pub struct Node {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
}

impl Node {
    /// Start `bin serve` on a free port with `data_dir` and `args`; its log goes to
    /// `data_dir/serve.log`.
    pub fn start(bin: &str, data_dir: &Path, args: &[String]) -> Node {
        let log = std::fs::File::create(data_dir.join("serve.log")).unwrap();
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start {bin} (build it with cargo build --release -p sgsched): {e}")
            });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("{bin} exited before listening; see its serve.log"))
                .unwrap();
            if let Some(a) = line.strip_prefix("listening on ") {
                break a.to_string();
            }
        };
        // Keep reading, so a server that prints more never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Node { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: the node stops wherever it is, as a crashed machine's would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A bearer token for `user`, made with `bin token create` where `target` says (`--data-dir
/// DIR` or `--database-url URL`).
pub fn token(bin: &str, user: &str, target: &[&OsStr]) -> String {
    let out = Command::new(bin)
        .args(["token", "create", "--user-id", user])
        .args(target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "token create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// CPU time the process `pid` has used so far (Linux `/proc`; `None` elsewhere).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time used so far by every process whose command name is `comm` (the database server's
/// backends, say).
pub fn cpu_time_of_all(comm: &str) -> Duration {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm)
        })
        .filter_map(cpu_time)
        .sum()
}
