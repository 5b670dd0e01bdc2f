//! Helpers shared by the end-to-end tests: start the real binary on port 0 with a fresh data
//! dir, find its address, speak HTTP to it, stop it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
        let mut child = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start sgsched");
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
        Server { child, addr, data_dir: data_dir.to_path_buf() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
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

/// The hostile guest component built by build.rs.
pub fn hostile_wasm() -> PathBuf {
    PathBuf::from(env!("HOSTILE_WASM"))
}

/// A valid component of another world.
pub fn wrong_world_wasm() -> PathBuf {
    PathBuf::from(env!("WRONG_WORLD_WASM"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}
