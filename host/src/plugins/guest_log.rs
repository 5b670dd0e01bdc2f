//! Guest stdout/stderr, forwarded line by line into the host's log tagged with the plugin, with
//! the tail of stderr kept so a trap (a Rust panic, say) can be reported with its message.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Longest line kept before it is cut; bytes logged per call before the rest is dropped.
const MAX_LINE: usize = 4096;
const MAX_TOTAL: usize = 1 << 20;
const TAIL: usize = 2048;

#[derive(Clone)]
pub(super) struct GuestLog {
    plugin: Arc<str>,
    stream: &'static str,
    tail: Option<Arc<Mutex<String>>>,
}

impl GuestLog {
    pub fn stdout(plugin: Arc<str>) -> Self {
        Self {
            plugin,
            stream: "stdout",
            tail: None,
        }
    }

    pub fn stderr(plugin: Arc<str>, tail: Arc<Mutex<String>>) -> Self {
        Self {
            plugin,
            stream: "stderr",
            tail: Some(tail),
        }
    }
}

impl IsTerminal for GuestLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestLog {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            log: self.clone(),
            buf: Vec::new(),
            total: 0,
        })
    }
}

struct LineWriter {
    log: GuestLog,
    buf: Vec<u8>,
    total: usize,
}

impl LineWriter {
    fn emit(&mut self, upto: usize) {
        let line: Vec<u8> = self.buf.drain(..upto).collect();
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if let Some(tail) = &self.log.tail
            && let Ok(mut t) = tail.lock()
        {
            t.push_str(text);
            t.push('\n');
            if t.len() > TAIL {
                let cut = t.len() - TAIL;
                let cut = (cut..t.len())
                    .find(|i| t.is_char_boundary(*i))
                    .unwrap_or(t.len());
                t.drain(..cut);
            }
        }
        tracing::info!(target: "sgsched::guest", plugin = %self.log.plugin, stream = self.log.stream, "{text}");
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // Past the cap the guest's writes still succeed: a chatty plugin must not fail its run.
        if this.total < MAX_TOTAL {
            let take = data.len().min(MAX_TOTAL - this.total);
            this.total += take;
            this.buf.extend_from_slice(&data[..take]);
            while let Some(pos) = this.buf.iter().position(|b| *b == b'\n') {
                this.emit(pos + 1);
            }
            if this.buf.len() > MAX_LINE {
                this.emit(this.buf.len());
            }
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let n = self.buf.len();
        if n > 0 {
            self.emit(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let n = self.buf.len();
        if n > 0 {
            self.emit(n);
        }
    }
}
