//! The pages in a real browser (Debian's headless Chromium): a creator signs in through the
//! form, reads the calendar in each view, finds a schedule, pauses and cancels it with the
//! page's own buttons; a schedule whose name is markup stays text; a form on another origin
//! cannot act; every control has a label. Screenshots of each page at a wide and a phone
//! width land in `target/screenshots/` for people to look at.

use std::path::PathBuf;
use std::time::Duration;

use crate::common;

use common::webdriver::Browser;
use common::{Api, Server, export_config};
use serde_json::json;

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
}

/// Poll until the page's `css` text is `want` (a click's navigation takes a moment).
async fn wait_text(b: &Browser, css: &str, want: &str) {
    for _ in 0..100 {
        if b.try_text(css).await.as_deref() == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{css} never read {want:?}; it reads {:?}",
        b.text(css).await
    );
}

async fn wait_url(b: &Browser, part: &str) {
    for _ in 0..100 {
        if b.url().await.contains(part) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the browser never reached {part}; it is at {}",
        b.url().await
    );
}

/// A server with one user: its data dir, the server, an API client and the user's token.
fn server() -> (tempfile::TempDir, Server, Api, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let token = server.token(&uuid::Uuid::new_v4().to_string());
    let api = Api::new(&server, Some(token.clone()));
    (dir, server, api, token)
}

/// Sign in through the login form at `base`.
async fn sign_in(b: &Browser, base: &str, token: &str) {
    b.goto(&format!("{base}/login")).await;
    b.type_into("#token", token).await;
    b.click("button[type=submit]").await;
    wait_url(b, "/calendar").await;
}

/// Poll until the form's preview lists ten runs and its first one is as `want` says (the
/// script fetches it after a change).
async fn wait_preview(b: &Browser, want: impl Fn(&str) -> bool) {
    for _ in 0..100 {
        let first = b.try_text("#preview-runs li:first-child").await;
        if b.count("#preview-runs li").await == 10 && first.as_deref().is_some_and(&want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Controls without a label a screen reader would read.
async fn unlabelled(b: &Browser) -> i64 {
    b.script(
        "return [...document.querySelectorAll('input:not([type=hidden]), select, button')]\
         .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') \
         && !e.textContent.trim()).length;",
    )
    .await
    .as_i64()
    .unwrap()
}

#[tokio::test]
async fn a_creator_signs_in_reads_the_calendar_and_pauses_and_cancels_a_schedule() {
    let Some(b) = Browser::start(1280).await else {
        return;
    };
    let (_dir, server, api, token) = server();
    let evil = "<img src=x onerror=\"document.body.dataset.owned='yes'\">";
    let s = api
        .create(&json!({
            "name": evil, "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "Europe/Berlin",
            "recurrence_rule": {"frequency": "weekly", "days_of_week": [1,2,3,4,5], "time_of_day": "18:00"}
        }))
        .await;
    let id = Api::id(&s);
    api.create(&json!({
        "name": "Caption pass", "job_type": "export", "job_config": export_config(),
        "schedule_type": "recurring", "timezone": "America/New_York",
        "recurrence_rule": {"frequency": "daily", "time_of_day": "07:15"}
    }))
    .await;
    let base = format!("http://{}", server.addr);
    b.goto(&format!("{base}/calendar")).await;
    wait_url(&b, "/login?next=%2Fcalendar").await;
    b.screenshot(&shots().join("login.png")).await;
    b.type_into("#token", "sgs_wrong").await;
    b.click("button[type=submit]").await;
    wait_text(
        &b,
        "#login-error",
        "That token is not valid. Paste the whole token, starting with sgs_.",
    )
    .await;
    b.type_into("#token", &token).await;
    b.click("button[type=submit]").await;
    wait_url(&b, "/calendar").await;
    let month = chrono::Utc::now().format("%B %Y").to_string();
    wait_text(&b, "#cal-heading", &month).await;
    assert_eq!(unlabelled(&b).await, 0, "every control has a label");
    b.screenshot(&shots().join("calendar-month.png")).await;
    b.click("nav.views a:nth-child(2)").await;
    wait_url(&b, "view=week").await;
    let this_week = b.text("#cal-heading").await;
    assert!(this_week.starts_with("Week of "), "{this_week}");
    // Next week is wholly ahead: the daily run each day and the weekday run five times.
    b.click("#next").await;
    for _ in 0..100 {
        if b.try_text("#cal-heading")
            .await
            .is_some_and(|h| h != this_week)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.count(".entry").await, 12);
    assert_eq!(b.count(".entry.s-planned").await, 12);
    b.screenshot(&shots().join("calendar-week.png")).await;
    b.click("nav.views a:nth-child(3)").await;
    wait_url(&b, "view=day").await;
    b.screenshot(&shots().join("calendar-day.png")).await;
    // The markup in the name was drawn as text: its handler never ran.
    assert_eq!(
        b.script("return document.body.dataset.owned || '';").await,
        ""
    );
    b.goto(&format!("{base}/schedules")).await;
    assert_eq!(b.count("table.list tbody tr").await, 2);
    b.screenshot(&shots().join("schedules.png")).await;
    b.click(&format!("a[href='/schedules/{id}']")).await;
    wait_text(&b, "#schedule-status", "active").await;
    assert_eq!(b.text("#schedule-name").await, evil);
    assert_eq!(b.count("#next-runs li").await, 10);
    assert_eq!(unlabelled(&b).await, 0);
    b.screenshot(&shots().join("schedule.png")).await;
    // Run now: the run shows in the page's executions once recorded.
    b.click("#run-now").await;
    wait_url(&b, "?did=run").await;
    for _ in 0..100 {
        if b.count("#executions tbody tr").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.goto(&format!("{base}/schedules/{id}")).await;
    }
    assert_eq!(b.count("#executions tbody tr").await, 1);
    b.click("#pause").await;
    wait_text(&b, "#schedule-status", "paused").await;
    assert_eq!(api.schedule(&id).await["status"], "paused");
    b.click("#resume").await;
    wait_text(&b, "#schedule-status", "active").await;
    b.click("#cancel").await;
    wait_url(&b, "/cancel").await;
    b.screenshot(&shots().join("confirm-cancel.png")).await;
    assert_eq!(
        api.schedule(&id).await["status"],
        "active",
        "asking changes nothing"
    );
    b.click("#confirm-cancel").await;
    wait_text(&b, "#schedule-status", "cancelled").await;
    assert_eq!(api.schedule(&id).await["status"], "cancelled");
    assert_eq!(
        b.script("return document.body.dataset.owned || '';").await,
        ""
    );
    let series = api
        .post(
            "/v1/schedules/series",
            &json!({"name": "Season 2", "episode_count": 4, "job_type": "export",
                    "job_config": export_config(), "timezone": "Europe/Berlin",
                    "schedule_rule": {"frequency": "weekly", "days_of_week": [5], "time_of_day": "18:00"}}),
        )
        .await
        .expect(201);
    b.goto(&format!(
        "{base}/series/{}",
        series["series_id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(b.count("#episodes li").await, 4);
    b.screenshot(&shots().join("series.png")).await;
    b.click("nav a[href='/operators']").await;
    wait_url(&b, "/operators").await;
    assert_eq!(b.count("#plugins tbody tr").await, 6);
    b.screenshot(&shots().join("operators.png")).await;
    // A phone's width: the pages still fit and read.
    b.resize(390, 844).await;
    b.goto(&format!("{base}/calendar?view=week")).await;
    let overflow = b
        .script("return document.documentElement.scrollWidth > window.innerWidth + 1;")
        .await;
    assert_eq!(overflow, false, "the week view fits a phone");
    b.screenshot(&shots().join("calendar-week-phone.png")).await;
    b.goto(&format!("{base}/schedules/{id}")).await;
    let overflow = b
        .script("return document.documentElement.scrollWidth > window.innerWidth + 1;")
        .await;
    assert_eq!(overflow, false, "a long name wraps on a phone");
    b.screenshot(&shots().join("schedule-phone.png")).await;
    // Signing out ends the session: the pages ask to sign in again.
    b.click(".signout button").await;
    wait_url(&b, "/login").await;
    b.goto(&format!("{base}/calendar")).await;
    wait_url(&b, "/login?next=").await;
}

#[tokio::test]
async fn the_calendar_shows_why_not_and_local_times_across_dst_in_two_zones() {
    let Some(b) = Browser::start(1280).await else {
        return;
    };
    let (_dir, server, api, token) = server();
    // 10:00 in Berlin every day: Good Friday (26 March 2027) and Easter Monday (29th) are
    // German holidays, the 27th an exception; Berlin moves to summer time on the 28th, New York did on the 14th.
    api.create(&json!({
        "name": "Morning cut", "job_type": "export", "job_config": export_config(),
        "schedule_type": "recurring", "timezone": "Europe/Berlin",
        "recurrence_rule": {"frequency": "daily", "time_of_day": "10:00", "start_date": "2027-03-22",
            "exceptions": ["2027-03-27", {"holiday_calendar": "DE", "action": "skip"}]}
    }))
    .await;
    let base = format!("http://{}", server.addr);
    sign_in(&b, &base, &token).await;
    let week = |zone: &str| format!("{base}/calendar?view=week&date=2027-03-24&timezone={zone}");
    let times = "return [...document.querySelectorAll('.entry')].map(e => \
                 e.querySelector('.time').textContent + ' ' + e.querySelector('.badge').textContent);";
    b.goto(&week("Europe%2FBerlin")).await;
    assert_eq!(
        b.script(times).await,
        json!([
            "10:00 CET planned",
            "10:00 CET planned",
            "10:00 CET planned",
            "10:00 CET planned",
            "10:00 CET removed",
            "10:00 CET removed",
            "10:00 CEST planned"
        ])
    );
    let why = "return [...document.querySelectorAll('.why')].map(e => e.textContent);";
    assert_eq!(
        b.script(why).await,
        json!([
            "Not run: a holiday in the DE calendar.",
            "Not run: an exception date of the schedule."
        ])
    );
    b.screenshot(&shots().join("calendar-why-not.png")).await;
    b.goto(&week("America%2FNew_York")).await;
    assert_eq!(
        b.script(times).await,
        json!([
            "05:00 EDT planned",
            "05:00 EDT planned",
            "05:00 EDT planned",
            "05:00 EDT planned",
            "05:00 EDT removed",
            "05:00 EDT removed",
            "04:00 EDT planned"
        ])
    );
    b.goto(&format!(
        "{base}/calendar?view=month&date=2027-03-01&timezone=Europe%2FBerlin"
    ))
    .await;
    let counts = "return [...document.querySelectorAll('td[data-date]')]\
                  .filter(td => td.querySelector('.count'))\
                  .map(td => td.dataset.date + ' ' + td.querySelector('.count').textContent.trim());";
    assert_eq!(
        b.script(counts).await,
        json!([
            "2027-03-22 1 run",
            "2027-03-23 1 run",
            "2027-03-24 1 run",
            "2027-03-25 1 run",
            "2027-03-28 1 run",
            "2027-03-30 1 run",
            "2027-03-31 1 run",
            "2027-04-01 1 run",
            "2027-04-02 1 run",
            "2027-04-03 1 run",
            "2027-04-04 1 run"
        ])
    );
    b.click("td[data-date='2027-03-28'] a").await;
    wait_url(&b, "view=day").await;
    assert_eq!(b.script(times).await, json!(["10:00 CEST planned"]));
}

#[tokio::test]
async fn a_form_on_another_origin_cannot_act_through_the_signed_in_browser() {
    let Some(b) = Browser::start(1024).await else {
        return;
    };
    let (_dir, server, api, token) = server();
    let s = api
        .create(&json!({
            "name": "Target", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "UTC",
            "recurrence_rule": {"frequency": "daily", "time_of_day": "09:00"}
        }))
        .await;
    let id = Api::id(&s);
    let base = format!("http://{}", server.addr);
    sign_in(&b, &base, &token).await;
    // Another origin's page with a form aimed at the pause button's address.
    let evil = format!(
        "<!doctype html><form method=post action='{base}/schedules/{id}/pause'>\
         <input type=hidden name=csrf value=guess><button id=go>Win a prize</button></form>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let evil = evil.clone();
            async move { axum::response::Html(evil) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    b.goto(&format!("http://localhost:{}/", other.port())).await;
    b.click("#go").await;
    wait_url(&b, &format!("/schedules/{id}/pause")).await;
    wait_text(&b, "h1", "Forbidden").await;
    assert_eq!(api.schedule(&id).await["status"], "active");
}

#[tokio::test]
async fn the_schedule_forms_preview_follows_the_rule_as_it_is_typed() {
    let Some(b) = Browser::start(1280).await else {
        return;
    };
    let (_dir, server, api, token) = server();
    let base = format!("http://{}", server.addr);
    b.goto(&format!("{base}/schedules/new")).await;
    b.type_into("#token", &token).await;
    b.click("button[type=submit]").await;
    wait_url(&b, "/schedules/new").await;
    assert_eq!(unlabelled(&b).await, 0, "every control has a label");
    b.type_into("#name", "Friday wrap").await;
    b.click("#job_type option[value=export]").await;
    b.clear("#job_config").await;
    b.type_into("#job_config", &export_config().to_string())
        .await;
    b.clear("#timezone").await;
    b.type_into("#timezone", "Australia/Lord_Howe").await;
    // A pattern first: its runs are previewed as soon as it is chosen.
    b.click("#pattern option[value=first_of_month]").await;
    wait_preview(&b, |first| first.starts_with("Fri 1 Jan 2027, 12:00")).await;
    assert_eq!(
        b.text("#preview-runs li:first-child").await,
        "Fri 1 Jan 2027, 12:00 +11"
    );
    assert_eq!(
        b.text("#preview-runs li:nth-child(4)").await,
        "Thu 1 Apr 2027, 12:00 +11"
    );
    assert_eq!(
        b.text("#preview-runs li:nth-child(5)").await,
        "Sat 1 May 2027, 12:00 +1030"
    );
    // Then a rule by hand, which the pattern gives way to.
    b.type_into(
        "#recurrence_rule",
        "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0",
    )
    .await;
    // No button pressed: the script asks for the preview as the fields change.
    wait_preview(&b, |first| first.ends_with("17:00 +11")).await;
    assert_eq!(b.count("#preview-runs li").await, 10);
    assert_eq!(b.text("#schema summary").await, "Fields of export");
    let first = b.text("#preview-runs li:first-child").await;
    // Lord Howe keeps summer time (+11, half an hour ahead of standard time) until April.
    assert!(
        first.starts_with("Fri") && first.ends_with("17:00 +11"),
        "{first}"
    );
    b.screenshot(&shots().join("schedule-form.png")).await;
    assert!(api.list_all("").await.is_empty(), "previews save nothing");
    b.click("#save").await;
    for _ in 0..100 {
        if b.url().await.contains("?did=create") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let errors = b
        .script("return [...document.querySelectorAll('.field-error, .error')].map(e => e.textContent).join(' | ');")
        .await;
    assert_eq!(errors, "", "the form was refused");
    wait_url(&b, "?did=create").await;
    assert_eq!(
        b.text("#schedule-when").await,
        format!(
            "Every Friday at 17:00 from {}, Australia/Lord_Howe",
            api.list_all("").await[0]["recurrence_rule"]["start_date"]
                .as_str()
                .unwrap()
        )
    );
}

/// The pages over a harness's scheduler (its clock is a test's), as `serve` would mount them.
async fn serve_pages(h: &common::harness::Harness) -> (String, String) {
    use sgsched::api::{self, AppParts, AppState, TokenCache};
    let token = sgsched::tokens::create(h.dir.path(), h.user).unwrap();
    let state = AppState::new(AppParts {
        plugins: h.sched.plugins().clone(),
        scheduler: h.sched.clone(),
        tokens: TokenCache::new(sgsched::tokens::inbox(h.dir.path())),
        job_system_kind: "test",
        dispatcher: Some(h.dispatcher.clone()),
        api_rate: None,
        calendar_cache: Default::default(),
        calendar: Default::default(),
        sessions: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::run(
        listener,
        state,
        api::HEADER_TIMEOUT,
        std::future::pending(),
    ));
    (format!("http://{addr}"), token)
}

#[tokio::test]
async fn the_calendar_says_why_runs_were_skipped_for_overlap_and_while_paused() {
    use common::harness::*;
    use sgsched::model::{ExecutionStatus, MissedPolicy, OverlapPolicy, StatusAction};
    let Some(b) = Browser::start(1280).await else {
        return;
    };
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(jobs.clone())
    })
    .await;
    let rule = json!({"frequency": "minutely", "interval": 1, "time_of_day": "09:01", "start_date": "2026-03-02"});
    let every_minute = recurring("Every minute", "UTC", rule);
    let id = h
        .create(with_missed(
            with_overlap(every_minute, OverlapPolicy::Skip),
            MissedPolicy::Skip,
        ))
        .await
        .id;
    // The 09:01 run holds on at the job system while 09:02 falls due: 09:02 is skipped.
    jobs.close();
    h.set(utc(2026, 3, 2, 9, 1));
    h.until(
        "the first run is running",
        Duration::from_secs(10),
        || async { jobs.log().len() == 1 },
    )
    .await;
    h.set(utc(2026, 3, 2, 9, 2));
    h.until(
        "the overlap is recorded",
        Duration::from_secs(10),
        || async { h.executions(id).await.len() == 2 },
    )
    .await;
    jobs.open();
    h.settle().await;
    // Paused through 09:03 and 09:04; resumed at 09:04:30, 09:03 is recorded as missed while
    // paused and 09:04, inside the grace window, still runs.
    h.sched
        .transition(h.user, id, StatusAction::Pause)
        .await
        .unwrap();
    h.set(utc(2026, 3, 2, 9, 4) + chrono::Duration::seconds(30));
    h.settle().await;
    h.sched.resume(h.user, id, false).await.unwrap();
    h.settle().await;
    assert_eq!(
        statuses(&h.executions(id).await),
        [
            ExecutionStatus::Completed,
            ExecutionStatus::Skipped,
            ExecutionStatus::Skipped,
            ExecutionStatus::Completed
        ]
    );
    let (base, token) = serve_pages(&h).await;
    sign_in(&b, &base, &token).await;
    b.goto(&format!(
        "{base}/calendar?view=day&date=2026-03-02&timezone=UTC"
    ))
    .await;
    let rows = "return [...document.querySelectorAll('.entry')].slice(0, 5).map(e => \
                e.querySelector('.time').textContent + ' ' + e.querySelector('.badge').textContent \
                + ' ' + (e.querySelector('.why') ? e.querySelector('.why').textContent : ''));";
    assert_eq!(
        b.script(rows).await,
        json!([
            "09:01 UTC completed ",
            "09:02 UTC skipped Skipped: the previous run was still running (overlap policy skip).",
            "09:03 UTC skipped Missed while the schedule was paused.",
            "09:04 UTC completed ",
            "09:05 UTC planned "
        ])
    );
    b.screenshot(&shots().join("calendar-skipped.png")).await;
}
