//! Series keep their sequence: a series of 5 daily episodes where episode 2's first run fails.
//! Episode 2 runs again at the next occurrence, episodes 3..5 move one day later, each episode
//! completes exactly once, in order, and the series completes. Also over HTTP: create, read,
//! cancel, validation and isolation.

use crate::common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::harness::*;
use serde_json::{Value, json};
use sgsched::jobsystem::{JobState, JobStatus, JobSystem, JobSystemError, SubmitRequest};
use sgsched::model::SeriesStatus;
use sgsched::service::SeriesParts;

/// Succeeds every job except the first one submitted for episode 2.
#[derive(Default)]
struct FailEpisodeTwoOnce {
    log: Mutex<Vec<(u64, String)>>,
    failing: Mutex<HashSet<String>>,
}

#[async_trait::async_trait]
impl JobSystem for FailEpisodeTwoOnce {
    async fn submit(&self, req: SubmitRequest) -> Result<String, JobSystemError> {
        let episode = req.payload["episode"].as_u64().unwrap_or(0);
        let mut log = self.log.lock().unwrap();
        let first_two = episode == 2 && !log.iter().any(|(e, _)| *e == 2);
        let job = format!("job-{}", req.idempotency_key);
        if first_two {
            self.failing.lock().unwrap().insert(job.clone());
        }
        log.push((episode, req.idempotency_key));
        Ok(job)
    }

    async fn wait(&self, job_id: &str, _: Duration) -> Result<JobStatus, JobSystemError> {
        Ok(if self.failing.lock().unwrap().contains(job_id) {
            JobStatus {
                state: JobState::Failed,
                result: None,
                error: Some("render farm on fire".into()),
            }
        } else {
            JobStatus {
                state: JobState::Succeeded,
                result: Some(json!({})),
                error: None,
            }
        })
    }

    fn kind(&self) -> &'static str {
        "test"
    }
}

#[tokio::test]
async fn a_failed_episode_runs_again_and_the_rest_follow_in_order() {
    let jobs = Arc::new(FailEpisodeTwoOnce::default());
    let h = Harness::start(Setup::new(jobs.clone())).await; // the clock starts 2026-03-02 09:00Z
    let parts = SeriesParts {
        name: Some("Show".into()),
        episode_count: Some(5),
        schedule_rule: Some(
            serde_json::from_value(
                json!({"frequency": "daily", "time_of_day": "10:00", "start_date": "2026-03-02"}),
            )
            .unwrap(),
        ),
        job_type: Some("export".into()),
        job_config: Some(
            json!({"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"}),
        ),
        ..SeriesParts::default()
    };
    let new = h.sched.prepare_series(h.user, parts).await.unwrap();
    let created = h.sched.create_series(new).await.unwrap();
    let planned: Vec<_> = created
        .episodes
        .iter()
        .map(|s| s.scheduled_at().unwrap())
        .collect();
    assert_eq!(
        planned,
        (2..=6).map(|d| utc(2026, 3, d, 10, 0)).collect::<Vec<_>>()
    );
    let id = created.series.id;

    // One day at a time, at 10:00 UTC.
    for day in 2..=7 {
        h.set(utc(2026, 3, day, 10, 0));
        h.settle().await;
    }
    let log: Vec<u64> = jobs.log.lock().unwrap().iter().map(|(e, _)| *e).collect();
    assert_eq!(
        log,
        [1, 2, 2, 3, 4, 5],
        "episodes in the order they reached the job system"
    );

    let s = h.sched.get_series(h.user, id).await.unwrap();
    assert_eq!(s.series.status, SeriesStatus::Completed);
    assert_eq!(s.series.current_episode, 6);
    // Episode 2 re-ran on the 4th; 3..5 moved one day later.
    let at: Vec<_> = s
        .episodes
        .iter()
        .map(|e| e.scheduled_at().unwrap())
        .collect();
    assert_eq!(
        at,
        [
            utc(2026, 3, 2, 10, 0),
            utc(2026, 3, 4, 10, 0),
            utc(2026, 3, 5, 10, 0),
            utc(2026, 3, 6, 10, 0),
            utc(2026, 3, 7, 10, 0)
        ]
    );
    let ep2 = h.executions(s.episodes[1].id).await;
    assert_eq!(
        statuses(&ep2),
        [
            sgsched::model::ExecutionStatus::Failed,
            sgsched::model::ExecutionStatus::Completed
        ]
    );
    assert!(
        ep2[0]
            .error_message
            .as_deref()
            .unwrap()
            .contains("render farm on fire")
    );
    for (k, e) in s.episodes.iter().enumerate() {
        let done: Vec<_> = h
            .executions(e.id)
            .await
            .into_iter()
            .filter(|x| x.status == sgsched::model::ExecutionStatus::Completed)
            .collect();
        assert_eq!(done.len(), 1, "episode {} completed exactly once", k + 1);
        assert_eq!(done[0].episode, Some(k as u32 + 1));
        assert_eq!(done[0].series_id, Some(id));
    }
}

#[tokio::test]
async fn an_episode_waits_for_its_predecessor() {
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup::new(jobs.clone())).await;
    let parts = SeriesParts {
        name: Some("Hourly show".into()),
        episode_count: Some(2),
        schedule_rule: Some(
            serde_json::from_value(
                json!({"frequency": "hourly", "time_of_day": "10:00", "start_date": "2026-03-02"}),
            )
            .unwrap(),
        ),
        job_type: Some("export".into()),
        job_config: Some(
            json!({"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"}),
        ),
        ..SeriesParts::default()
    };
    let new = h.sched.prepare_series(h.user, parts).await.unwrap();
    let created = h.sched.create_series(new).await.unwrap();
    jobs.close(); // episode 1 stays running
    h.set(utc(2026, 3, 2, 10, 0));
    h.until("episode 1 submitted", Duration::from_secs(10), || async {
        jobs.log().len() == 1
    })
    .await;
    h.set(utc(2026, 3, 2, 11, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        jobs.log().len(),
        1,
        "episode 2 must not start while episode 1 runs"
    );
    let ep2 = h.schedule(created.episodes[1].id).await;
    assert_eq!(
        ep2.next_run_at(),
        Some(utc(2026, 3, 2, 11, 0) + chrono::Duration::seconds(30))
    );
    jobs.open();
    h.until("episode 1 done", Duration::from_secs(10), || async {
        h.sched
            .get_series(h.user, created.series.id)
            .await
            .unwrap()
            .series
            .current_episode
            == 2
    })
    .await;
    h.set(utc(2026, 3, 2, 11, 0) + chrono::Duration::seconds(30));
    h.settle().await;
    assert_eq!(jobs.log().len(), 2);
    let s = h.sched.get_series(h.user, created.series.id).await.unwrap();
    assert_eq!(s.series.status, SeriesStatus::Completed);
}

#[tokio::test]
async fn series_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(dir.path(), &[]);
    let token = server.token("0193a1b2-0000-7000-8000-0000000000e1");
    let other = server.token("0193a1b2-0000-7000-8000-0000000000e2");
    let http = reqwest::Client::new();
    let body = json!({
        "name": "Weekly show", "episode_count": 3, "job_type": "export", "timezone": "Europe/Berlin",
        "template_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5c",
        "job_config": {"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"},
        "schedule_rule": {"frequency": "weekly", "days_of_week": [1], "time_of_day": "09:00", "start_date": "2030-03-18"}
    });
    let r = http
        .post(server.url("/v1/schedules/series"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["current_episode"], 1);
    assert_eq!(s["status"], "active");
    let at: Vec<&str> = s["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["scheduled_at_local"].as_str().unwrap())
        .collect();
    // Berlin changes to summer time on 31 March 2030.
    assert_eq!(
        at,
        [
            "2030-03-18T09:00:00+01:00",
            "2030-03-25T09:00:00+01:00",
            "2030-04-01T09:00:00+02:00"
        ]
    );
    let id = s["series_id"].as_str().unwrap();
    let ep1 = s["episodes"][0]["schedule_id"].as_str().unwrap();
    let sched: Value = http
        .get(server.url(&format!("/v1/schedules/{ep1}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sched["series_id"], id);
    assert_eq!(sched["episode"], 1);
    assert_eq!(sched["name"], "Weekly show — Episode 1");

    let hidden = http
        .get(server.url(&format!("/v1/schedules/series/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
    let hidden = http
        .delete(server.url(&format!("/v1/schedules/series/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);

    let r = http
        .delete(server.url(&format!("/v1/schedules/series/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["status"], "cancelled");
    let statuses: Vec<&str> = s["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cancelled", "cancelled", "cancelled"]);

    let bad = json!({"name": "", "episode_count": 0, "job_type": "export", "job_config": {"format": "avi"},
                     "schedule_rule": {"frequency": "weekly", "interval": 0, "time_of_day": "09:00"}, "extra": 1});
    let r = http
        .post(server.url("/v1/schedules/series"))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    let mut fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "episode_count",
            "extra",
            "job_config.format",
            "job_config.project_id",
            "name",
            "schedule_rule.interval"
        ]
    );
    // Nothing was created by the failed request: only the 3 cancelled episodes exist.
    let list: Value = http
        .get(server.url("/v1/schedules"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
}
