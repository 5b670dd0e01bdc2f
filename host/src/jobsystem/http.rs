//! The Story-Genius job system over HTTP: `POST {url}/v1/jobs` and `GET {url}/v1/jobs/{id}`,
//! with timeouts, and retries with backoff on connection errors and 5xx. The idempotency key
//! goes with every attempt, so a retry never makes a second job.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{JobState, JobStatus, JobSystem, JobSystemError, SubmitRequest};

#[derive(Debug, Clone)]
pub struct HttpJobSystemConfig {
    pub base_url: String,
    pub request_timeout: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
    pub backoff: Duration,
    /// Interval between status polls while waiting for a job.
    pub poll_interval: Duration,
}

impl HttpJobSystemConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            request_timeout: Duration::from_secs(10),
            attempts: 4,
            backoff: Duration::from_millis(200),
            poll_interval: Duration::from_millis(250),
        }
    }
}

pub struct HttpJobSystem {
    config: HttpJobSystemConfig,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Submitted {
    job_id: String,
}

#[derive(Deserialize)]
struct Polled {
    status: JobState,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<String>,
}

impl HttpJobSystem {
    pub fn new(config: HttpJobSystemConfig) -> Result<Self, JobSystemError> {
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| JobSystemError::Unreachable(e.to_string()))?;
        Ok(Self { config, client })
    }

    /// Send with retries: connection errors, timeouts and 5xx are retried with exponential
    /// backoff; 4xx is the job system's final word.
    async fn send(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, JobSystemError> {
        let mut delay = self.config.backoff;
        let mut last = JobSystemError::Unreachable("no attempt made".into());
        for attempt in 1..=self.config.attempts.max(1) {
            match make().send().await {
                Ok(resp) if resp.status().is_server_error() => {
                    let status = resp.status().as_u16();
                    let body = resp.text().await.unwrap_or_default();
                    last = JobSystemError::Status {
                        status,
                        body: truncate(body),
                    };
                }
                Ok(resp) => return Ok(resp),
                Err(e) => last = JobSystemError::Unreachable(error_chain(&e)),
            }
            if attempt < self.config.attempts {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        Err(last)
    }
}

#[async_trait]
impl JobSystem for HttpJobSystem {
    async fn submit(&self, req: SubmitRequest) -> Result<String, JobSystemError> {
        let url = format!("{}/v1/jobs", self.config.base_url);
        let body = json!({
            "job_type": req.job_type,
            "payload": req.payload,
            "idempotency_key": req.idempotency_key,
            "user_id": req.user_id,
        });
        let resp = self
            .send(|| {
                self.client
                    .post(&url)
                    .header("Idempotency-Key", &req.idempotency_key)
                    .json(&body)
            })
            .await?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(JobSystemError::Status {
                status: status.as_u16(),
                body: truncate(body),
            });
        }
        let s: Submitted = resp
            .json()
            .await
            .map_err(|e| JobSystemError::Protocol(e.to_string()))?;
        Ok(s.job_id)
    }

    async fn wait(&self, job_id: &str, timeout: Duration) -> Result<JobStatus, JobSystemError> {
        let url = format!("{}/v1/jobs/{}", self.config.base_url, job_id);
        let until = Instant::now() + timeout;
        loop {
            let resp = self.send(|| self.client.get(&url)).await?;
            let status = resp.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Err(JobSystemError::UnknownJob(job_id.to_string()));
            }
            if !status.is_success() {
                let body = resp.text().await.unwrap_or_default();
                return Err(JobSystemError::Status {
                    status: status.as_u16(),
                    body: truncate(body),
                });
            }
            let p: Polled = resp
                .json()
                .await
                .map_err(|e| JobSystemError::Protocol(e.to_string()))?;
            let now = Instant::now();
            if p.status.is_final() || now >= until {
                return Ok(JobStatus {
                    state: p.status,
                    result: p.result,
                    error: p.error,
                });
            }
            tokio::time::sleep(self.config.poll_interval.min(until - now)).await;
        }
    }

    fn kind(&self) -> &'static str {
        "http"
    }
}

fn truncate(mut s: String) -> String {
    if s.len() > 512 {
        let cut = (0..=512)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        s.truncate(cut);
    }
    s
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
