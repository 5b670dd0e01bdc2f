//! A minimal HTTP/1.1 keep-alive client for the measured scenarios: the request bytes are
//! built once (or per request for a POST body) and written as they are; the response is read by
//! its `Content-Length`. The load tool shares the machine's cores with the server it measures,
//! and a general client (reqwest: URL parsing, header maps, a pool per request) spent as much
//! CPU per request as the server's `/healthz`; this one spends a small part of it, so the figures
//! are the server's rather than the tool's.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Request bytes for `method path` with an optional bearer token and JSON body.
pub fn request(
    method: &str,
    host: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\n");
    if let Some(t) = token {
        r.push_str(&format!("authorization: Bearer {t}\r\n"));
    }
    let mut out = match body {
        Some(b) => {
            r.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n\r\n",
                b.len()
            ));
            let mut out = r.into_bytes();
            out.extend_from_slice(b);
            out
        }
        None => {
            r.push_str("\r\n");
            r.into_bytes()
        }
    };
    out.shrink_to_fit();
    out
}

/// One keep-alive connection; requests are sent one at a time (no pipelining), as a browser or
/// an API client would.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Conn {
    pub async fn connect(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 << 10),
        })
    }

    /// Send `req` and read its whole response; returns the status code.
    pub async fn roundtrip(&mut self, req: &[u8]) -> io::Result<u16> {
        self.stream.write_all(req).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("head not UTF-8"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status"))?;
        // The server answers every request with a Content-Length; anything else (chunked) is
        // counted as an error rather than misread.
        let length: usize = head
            .split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .ok_or_else(|| bad("no content-length"))?;
        while self.buf.len() < head_end + length {
            self.fill().await?;
        }
        Ok(status)
    }

    async fn fill(&mut self) -> io::Result<()> {
        let len = self.buf.len();
        self.buf.resize(len + (16 << 10), 0);
        let n = self.stream.read(&mut self.buf[len..]).await?;
        self.buf.truncate(len + n);
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serve one connection: for each request read, write the next canned answer in pieces
    /// (split inside the head and inside the body) so the reader's reassembly is exercised.
    async fn serve(answers: Vec<&'static [u8]>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            for a in answers {
                let _ = s.read(&mut buf).await.unwrap();
                for piece in a.chunks(7) {
                    s.write_all(piece).await.unwrap();
                    s.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_responses_by_content_length_on_one_connection() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nx: y\r\nCONTENT-LENGTH: 2\r\n\r\n{}",
        ])
        .await;
        let mut c = Conn::connect(&addr).await.unwrap();
        let req = request("GET", &addr, "/healthz", Some("t"), None);
        assert_eq!(c.roundtrip(&req).await.unwrap(), 200);
        assert_eq!(c.roundtrip(&req).await.unwrap(), 404);
        assert_eq!(c.roundtrip(&req).await.unwrap(), 201);
    }

    #[tokio::test]
    async fn a_response_without_content_length_is_an_error() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ])
        .await;
        let mut c = Conn::connect(&addr).await.unwrap();
        let req = request("GET", &addr, "/", None, None);
        assert!(c.roundtrip(&req).await.is_err());
    }

    #[test]
    fn builds_the_request_bytes() {
        let r = request("POST", "h:1", "/v1/x", Some("tok"), Some(b"{\"a\":1}"));
        assert_eq!(
            String::from_utf8(r).unwrap(),
            "POST /v1/x HTTP/1.1\r\nhost: h:1\r\nauthorization: Bearer tok\r\n\
             content-type: application/json\r\ncontent-length: 7\r\n\r\n{\"a\":1}"
        );
    }
}
