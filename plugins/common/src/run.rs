//! Turning an execution into job-system work: submit, wait, and map the job's final state to
//! the execution's outcome. The job system is reached through [`JobSystem`], which the WIT
//! bindings implement in each plugin and tests implement with a fake.

use std::collections::VecDeque;

use serde_json::{Value, json};

use crate::summary::{result_value, summary, to_json};

/// How long one `wait` may block. The host enforces its own, shorter or longer, call limit;
/// this only bounds a single request to the job system.
pub const WAIT_TIMEOUT_MS: u32 = 600_000;

/// A job-system job's lifecycle state (mirrors the WIT `job-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A job's state with its result or error (mirrors the WIT `job-status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub state: JobState,
    pub result: Option<String>,
    pub error: Option<String>,
}

/// The host's `job-system` interface.
pub trait JobSystem {
    fn submit(
        &self,
        job_type: &str,
        payload: &str,
        idempotency_key: &str,
    ) -> Result<String, String>;
    fn wait(&self, job_id: &str, timeout_ms: u32) -> Result<JobStatus, String>;
    fn log(&self, level: &str, message: &str);
}

/// One execution handed to `run` (mirrors the WIT `job-request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub execution_id: String,
    pub schedule_id: String,
    pub user_id: String,
    pub job_type: String,
    pub config: String,
    pub scheduled_for: String,
    pub attempt: u32,
    pub is_manual: bool,
    pub episode: Option<u32>,
}

/// A successful run (mirrors the WIT `job-outcome`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub job_id: Option<String>,
    pub summary: String,
}

/// The JSON payload of a submission: the job's config with the request's metadata, plus
/// optional extra fields (a batch adds where the item sits in it).
pub fn payload(
    request: &Request,
    job_type: &str,
    config: &Value,
    extra: Option<(&str, Value)>,
) -> String {
    let mut payload = json!({
        "job_type": job_type,
        "config": config,
        "execution_id": request.execution_id,
        "schedule_id": request.schedule_id,
        "user_id": request.user_id,
        "scheduled_for": request.scheduled_for,
        "is_manual": request.is_manual,
        "episode": request.episode,
        "attempt": request.attempt,
    });
    if let Some((key, value)) = extra {
        payload[key] = value;
    }
    to_json(&payload)
}

/// Runs a job type that is one job-system job: submit it under the execution id (so a
/// re-dispatch finds the same job), wait for it, and succeed only when it succeeded.
pub fn run_single(
    js: &dyn JobSystem,
    request: &Request,
    job_type: &str,
    config: &Value,
) -> Result<Outcome, String> {
    let body = payload(request, job_type, config, None);
    let job_id = js
        .submit(job_type, &body, &request.execution_id)
        .map_err(|e| format!("submitting the {job_type} job failed: {e}"))?;
    js.log(
        "info",
        &format!(
            "submitted {job_type} job {job_id} for execution {} (attempt {})",
            request.execution_id, request.attempt
        ),
    );
    let status = js
        .wait(&job_id, WAIT_TIMEOUT_MS)
        .map_err(|e| format!("waiting for {job_type} job {job_id} failed: {e}"))?;
    match status.state {
        JobState::Succeeded => Ok(Outcome {
            summary: summary([
                ("job_type", job_type.into()),
                ("job_id", job_id.as_str().into()),
                ("state", "succeeded".into()),
                ("result", result_value(status.result.as_deref())),
            ]),
            job_id: Some(job_id),
        }),
        _ => Err(format!("{job_type} job {job_id} {}", unsuccessful(&status))),
    }
}

/// Why a job that was waited for did not succeed, e.g. `failed: out of credits`.
fn unsuccessful(status: &JobStatus) -> String {
    let detail = status.error.as_deref().unwrap_or("no error message");
    match status.state {
        JobState::Failed => format!("failed: {detail}"),
        JobState::Cancelled => format!("was cancelled: {detail}"),
        state => format!(
            "did not finish within {} s (still {})",
            WAIT_TIMEOUT_MS / 1000,
            state.as_str()
        ),
    }
}

/// One job of a fan-out.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub job_type: String,
    pub config: Value,
    /// Extra payload fields under `batch` (index, title, …).
    pub batch: Value,
    pub idempotency_key: String,
}

/// What became of one submission.
#[derive(Debug, Clone, PartialEq)]
struct ItemReport {
    job_id: Option<String>,
    /// A job state, or `not_submitted` / `skipped`.
    state: &'static str,
    result: Option<Value>,
    error: Option<String>,
}

/// Runs several jobs as one execution: at most `max_parallel` in flight (submitting the next
/// when the oldest finishes), all waited for. With `stop_on_failure`, nothing more is
/// submitted after the first failure; the ones left are reported as `skipped`. The outcome's
/// job id is the first submitted job's; the summary lists every item. Any failed item fails
/// the run, naming each failed item.
pub fn run_batch(
    js: &dyn JobSystem,
    request: &Request,
    batch_job_type: &str,
    items: &[Submission],
    max_parallel: usize,
    stop_on_failure: bool,
) -> Result<Outcome, String> {
    let mut reports: Vec<Option<ItemReport>> = vec![None; items.len()];
    let mut in_flight: VecDeque<(usize, String)> = VecDeque::new();
    let mut next = 0;
    let mut stopped = false;
    loop {
        while !stopped && next < items.len() && in_flight.len() < max_parallel.max(1) {
            let item = &items[next];
            let body = payload(
                request,
                &item.job_type,
                &item.config,
                Some(("batch", item.batch.clone())),
            );
            match js.submit(&item.job_type, &body, &item.idempotency_key) {
                Ok(job_id) => {
                    js.log(
                        "info",
                        &format!(
                            "submitted {} job {job_id} for item {next} of execution {} (attempt {})",
                            item.job_type, request.execution_id, request.attempt
                        ),
                    );
                    in_flight.push_back((next, job_id));
                }
                Err(e) => {
                    reports[next] = Some(ItemReport {
                        job_id: None,
                        state: "not_submitted",
                        result: None,
                        error: Some(format!("submit failed: {e}")),
                    });
                    stopped |= stop_on_failure;
                }
            }
            next += 1;
        }
        let Some((index, job_id)) = in_flight.pop_front() else {
            break;
        };
        let report = match js.wait(&job_id, WAIT_TIMEOUT_MS) {
            Ok(status) if status.state == JobState::Succeeded => ItemReport {
                result: Some(result_value(status.result.as_deref())),
                state: "succeeded",
                job_id: Some(job_id),
                error: None,
            },
            Ok(status) => ItemReport {
                state: status.state.as_str(),
                error: Some(unsuccessful(&status)),
                job_id: Some(job_id),
                result: None,
            },
            Err(e) => ItemReport {
                state: "unknown",
                error: Some(format!("waiting failed: {e}")),
                job_id: Some(job_id),
                result: None,
            },
        };
        stopped |= stop_on_failure && report.state != "succeeded";
        reports[index] = Some(report);
    }

    let reports: Vec<ItemReport> = reports
        .into_iter()
        .map(|r| {
            r.unwrap_or(ItemReport {
                job_id: None,
                state: "skipped",
                result: None,
                error: None,
            })
        })
        .collect();
    let count = |state: &str| reports.iter().filter(|r| r.state == state).count();
    let (succeeded, skipped) = (count("succeeded"), count("skipped"));
    let failed = reports.len() - succeeded - skipped;
    let first_job_id = reports.iter().find_map(|r| r.job_id.clone());

    if failed > 0 {
        let mut problems: Vec<String> = reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.state != "succeeded" && r.state != "skipped")
            .map(|(i, r)| {
                let job = r
                    .job_id
                    .as_deref()
                    .map(|id| format!(" (job {id})"))
                    .unwrap_or_default();
                format!("items[{i}]{job}: {}", r.error.as_deref().unwrap_or(r.state))
            })
            .collect();
        if skipped > 0 {
            problems.push(format!("{skipped} item(s) skipped after the first failure"));
        }
        return Err(format!(
            "{failed} of {} batch items failed: {}",
            reports.len(),
            problems.join("; ")
        ));
    }

    let item_summaries: Vec<Value> = reports
        .iter()
        .zip(items)
        .enumerate()
        .map(|(i, (r, item))| {
            json!({
                "index": i,
                "job_type": item.job_type,
                "job_id": r.job_id,
                "state": r.state,
                "result": r.result,
            })
        })
        .collect();
    Ok(Outcome {
        summary: summary([
            ("job_type", batch_job_type.into()),
            ("job_id", first_job_id.clone().into()),
            ("state", "succeeded".into()),
            ("total", reports.len().into()),
            ("succeeded", succeeded.into()),
            ("failed", failed.into()),
            ("skipped", skipped.into()),
            ("items", item_summaries.into()),
        ]),
        job_id: first_job_id,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A job system that records calls; a job whose payload contains `"fail"` fails.
    #[derive(Default)]
    pub(crate) struct FakeJobSystem {
        pub submitted: RefCell<Vec<(String, String, String)>>,
        pub waited: RefCell<Vec<String>>,
        pub refuse_submit: bool,
    }

    impl JobSystem for FakeJobSystem {
        fn submit(&self, job_type: &str, payload: &str, key: &str) -> Result<String, String> {
            if self.refuse_submit {
                return Err("job system unreachable".into());
            }
            let mut submitted = self.submitted.borrow_mut();
            if let Some(i) = submitted.iter().position(|(_, _, k)| k == key) {
                return Ok(format!("job-{i}"));
            }
            submitted.push((job_type.into(), payload.into(), key.into()));
            Ok(format!("job-{}", submitted.len() - 1))
        }

        fn wait(&self, job_id: &str, _timeout_ms: u32) -> Result<JobStatus, String> {
            self.waited.borrow_mut().push(job_id.into());
            let i: usize = job_id
                .trim_start_matches("job-")
                .parse()
                .map_err(|_| "unknown job")?;
            let payload = self.submitted.borrow()[i].1.clone();
            Ok(if payload.contains("\"fail\"") {
                JobStatus {
                    state: JobState::Failed,
                    result: None,
                    error: Some("boom".into()),
                }
            } else {
                JobStatus {
                    state: JobState::Succeeded,
                    result: Some(r#"{"ok":true}"#.into()),
                    error: None,
                }
            })
        }

        fn log(&self, _level: &str, _message: &str) {}
    }

    pub(crate) fn request(config: &str) -> Request {
        Request {
            execution_id: "exec-1".into(),
            schedule_id: "sched-1".into(),
            user_id: "user-1".into(),
            job_type: "demo".into(),
            config: config.into(),
            scheduled_for: "2025-01-01T09:00:00Z".into(),
            attempt: 1,
            is_manual: false,
            episode: Some(3),
        }
    }

    #[test]
    fn single_job_submits_under_the_execution_id_and_summarises() {
        let js = FakeJobSystem::default();
        let outcome = run_single(&js, &request("{}"), "demo", &json!({"a": 1})).unwrap();
        assert_eq!(outcome.job_id.as_deref(), Some("job-0"));
        assert_eq!(
            outcome.summary,
            r#"{"job_id":"job-0","job_type":"demo","result":{"ok":true},"state":"succeeded"}"#
        );
        let (job_type, body, key) = js.submitted.borrow()[0].clone();
        assert_eq!((job_type.as_str(), key.as_str()), ("demo", "exec-1"));
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["config"], json!({"a": 1}));
        assert_eq!(body["episode"], json!(3));
        assert_eq!(body["schedule_id"], json!("sched-1"));
    }

    #[test]
    fn single_job_failure_carries_the_job_error() {
        let js = FakeJobSystem::default();
        let err = run_single(&js, &request("{}"), "demo", &json!({"x": "fail"})).unwrap_err();
        assert_eq!(err, "demo job job-0 failed: boom");
        let js = FakeJobSystem {
            refuse_submit: true,
            ..Default::default()
        };
        let err = run_single(&js, &request("{}"), "demo", &json!({})).unwrap_err();
        assert!(err.contains("job system unreachable"), "{err}");
    }

    fn items(configs: &[Value]) -> Vec<Submission> {
        configs
            .iter()
            .enumerate()
            .map(|(i, c)| Submission {
                job_type: "demo".into(),
                config: c.clone(),
                batch: json!({"index": i}),
                idempotency_key: format!("exec-1:{i}"),
            })
            .collect()
    }

    #[test]
    fn batch_waits_for_all_and_lists_them() {
        let js = FakeJobSystem::default();
        let items = items(&[json!({}), json!({}), json!({})]);
        let outcome = run_batch(&js, &request("{}"), "batch", &items, 2, false).unwrap();
        assert_eq!(outcome.job_id.as_deref(), Some("job-0"));
        let summary: Value = serde_json::from_str(&outcome.summary).unwrap();
        assert_eq!(summary["succeeded"], json!(3));
        assert_eq!(summary["items"][2]["job_id"], json!("job-2"));
        let keys: Vec<String> = js.submitted.borrow().iter().map(|s| s.2.clone()).collect();
        assert_eq!(keys, ["exec-1:0", "exec-1:1", "exec-1:2"]);
        assert_eq!(*js.waited.borrow(), ["job-0", "job-1", "job-2"]);
    }

    #[test]
    fn batch_failure_names_items_and_can_stop_early() {
        let js = FakeJobSystem::default();
        let items = items(&[json!({}), json!({"x": "fail"}), json!({})]);
        let err = run_batch(&js, &request("{}"), "batch", &items, 16, false).unwrap_err();
        assert_eq!(
            err,
            "1 of 3 batch items failed: items[1] (job job-1): failed: boom"
        );

        let js = FakeJobSystem::default();
        let err = run_batch(&js, &request("{}"), "batch", &items, 1, true).unwrap_err();
        assert_eq!(
            err,
            "1 of 3 batch items failed: items[1] (job job-1): failed: boom; \
             1 item(s) skipped after the first failure"
        );
        assert_eq!(js.submitted.borrow().len(), 2);
    }
}
