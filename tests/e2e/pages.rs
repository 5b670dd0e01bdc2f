//! The pages over plain HTTP, as a browser's requests reach them: sign-in and sessions, CSRF
//! and origin checks on every action (refused posts change nothing), escaping, ownership, and
//! the calendar's local times across DST changes. `pages_browser` drives the same pages in a
//! real browser.

use crate::common;

use common::{Api, Server, export_config};
use serde_json::json;

/// A browser without one: no redirects followed, cookies sent by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
    host: String,
    cookie: Option<String>,
}

struct Page {
    status: u16,
    location: String,
    set_cookie: Vec<String>,
    body: String,
}

impl Browser {
    fn new(server: &Server) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{}", server.addr),
            host: server.addr.clone(),
            cookie: None,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let h = resp.headers();
        let location = h
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let set_cookie = h
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let body = resp.text().await.unwrap();
        assert!(status < 500, "answered {status}: {body}");
        Page {
            status,
            location,
            set_cookie,
            body,
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// A form post as this site's own page sends it (Origin is this site).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = format!("http://{}", self.host);
        self.post_from(path, form, Some(&origin)).await
    }

    async fn post_from(&self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        self.send(req).await
    }

    async fn sign_in(&mut self, token: &str) {
        let page = self.post("/login", &[("token", token), ("next", "")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location, "/calendar");
        let cookie = page
            .set_cookie
            .iter()
            .find(|c| c.starts_with("sgsched_session="))
            .expect("a session cookie");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attr), "{cookie} lacks {attr}");
        }
        self.cookie = Some(cookie.split(';').next().unwrap().to_string());
    }

    /// The CSRF token the page's forms carry.
    fn csrf(page: &Page) -> String {
        let at = page
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a token");
        let rest = &page.body[at + 19..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// Every text between `start` and the next `end` in `body`, in order.
fn all_between(body: &str, start: &str, end: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(start) {
        rest = &rest[i + start.len()..];
        let j = rest.find(end).unwrap();
        out.push(rest[..j].to_string());
        rest = &rest[j..];
    }
    out
}

fn start() -> (tempfile::TempDir, Server, Api, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let token = server.token(&uuid::Uuid::new_v4().to_string());
    let api = Api::new(&server, Some(token.clone()));
    (dir, server, api, token)
}

#[tokio::test]
async fn pages_need_a_session_which_a_good_token_starts_and_sign_out_ends() {
    let (_d, server, _api, token) = start();
    let mut b = Browser::new(&server);
    let home = b.get("/").await;
    assert_eq!((home.status, home.location.as_str()), (303, "/login"));
    let cal = b.get("/calendar?view=week").await;
    assert_eq!(cal.status, 303);
    assert_eq!(cal.location, "/login?next=%2Fcalendar%3Fview%3Dweek");
    let form = b.get("/login").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<input id=\"token\" name=\"token\""));
    // A wrong token shows the form again with the error and signs nothing in.
    let wrong = b.post("/login", &[("token", "sgs_not-a-token")]).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("That token is not valid."));
    assert!(wrong.set_cookie.is_empty());
    // A sign-in posted from another site is refused.
    let elsewhere = b
        .post_from("/login", &[("token", &token)], Some("http://evil.example"))
        .await;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.set_cookie.is_empty());
    // `next` brings the browser back where it was going, but never to another host.
    let to = b
        .post("/login", &[("token", &token), ("next", "//evil.example/x")])
        .await;
    assert_eq!(to.location, "/calendar");
    let to = b
        .post("/login", &[("token", &token), ("next", "/schedules")])
        .await;
    assert_eq!(to.location, "/schedules");
    b.sign_in(&token).await;
    let cal = b.get("/calendar").await;
    assert_eq!(cal.status, 200);
    assert!(cal.body.contains("id=\"cal-heading\""));
    let csrf = Browser::csrf(&cal);
    // Signing out without the token is refused and the session stands.
    let refused = b.post("/logout", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(b.get("/calendar").await.status, 200);
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/login"));
    assert!(out.set_cookie[0].contains("Max-Age=0"));
    // The old cookie no longer signs anyone in.
    assert_eq!(b.get("/calendar").await.status, 303);
}

#[tokio::test]
async fn actions_need_this_sites_form_and_refused_ones_change_nothing() {
    let (_d, server, api, token) = start();
    let s = api
        .create(&json!({
            "name": "Weekday export", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "Europe/Berlin",
            "recurrence_rule": {"frequency": "weekly", "days_of_week": [1,2,3,4,5], "time_of_day": "18:00"}
        }))
        .await;
    let id = Api::id(&s);
    let mut b = Browser::new(&server);
    b.sign_in(&token).await;
    let page = b.get(&format!("/schedules/{id}")).await;
    assert_eq!(page.status, 200);
    // A rule's start date is its creation day when none is given.
    let from = s["recurrence_rule"]["start_date"].as_str().unwrap();
    assert_eq!(
        all_between(&page.body, "id=\"schedule-when\">", "<"),
        [format!("Every weekday at 18:00 from {from}, Europe/Berlin")]
    );
    let csrf = Browser::csrf(&page);
    let pause = format!("/schedules/{id}/pause");
    let status = |api: Api, id: String| async move { api.schedule(&id).await["status"].clone() };
    // No token, a wrong token, another origin, a cross-site fetch: 403, still active.
    for refused in [
        b.post(&pause, &[]).await,
        b.post(&pause, &[("csrf", "0000")]).await,
        b.post_from(&pause, &[("csrf", &csrf)], Some("http://evil.example"))
            .await,
        b.send(
            b.http
                .post(format!("{}{pause}", b.base))
                .header("sec-fetch-site", "cross-site")
                .form(&[("csrf", csrf.as_str())]),
        )
        .await,
    ] {
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(status(api.clone(), id.clone()).await, "active");
    }
    let done = b.post(&pause, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location, format!("/schedules/{id}?did=pause"));
    assert_eq!(status(api.clone(), id.clone()).await, "paused");
    let shown = b.get(&done.location).await;
    assert!(
        shown
            .body
            .contains("Paused. Nothing runs until you resume it.")
    );
    assert_eq!(
        all_between(&shown.body, "id=\"schedule-status\">", "<"),
        ["paused"]
    );
    // Pausing again is a forbidden transition: 409, as in the API.
    assert_eq!(b.post(&pause, &[("csrf", &csrf)]).await.status, 409);
    let resumed = b
        .post(&format!("/schedules/{id}/resume"), &[("csrf", &csrf)])
        .await;
    assert_eq!(resumed.status, 303);
    assert_eq!(status(api.clone(), id.clone()).await, "active");
    let ran = b
        .post(&format!("/schedules/{id}/run"), &[("csrf", &csrf)])
        .await;
    assert_eq!(ran.status, 303);
    let runs = api
        .get(&format!("/v1/schedules/{id}/executions"))
        .await
        .expect(200);
    assert_eq!(runs["items"].as_array().unwrap().len(), 1);
    assert_eq!(runs["items"][0]["is_manual"], true);
    let cloned = b
        .post(&format!("/schedules/{id}/clone"), &[("csrf", &csrf)])
        .await;
    assert_eq!(cloned.status, 303);
    let copy = cloned
        .location
        .trim_start_matches("/schedules/")
        .trim_end_matches("?did=clone");
    assert_ne!(copy, id);
    assert_eq!(api.schedule(copy).await["name"], "Weekday export");
    // Cancel asks first; the confirmation's post cancels.
    let ask = b.get(&format!("/schedules/{id}/cancel")).await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("Yes, cancel it"));
    assert_eq!(status(api.clone(), id.clone()).await, "active");
    let cancelled = b
        .post(&format!("/schedules/{id}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(cancelled.status, 303);
    assert_eq!(status(api.clone(), id.clone()).await, "cancelled");
    assert_eq!(
        b.post(&format!("/schedules/{id}/nonsense"), &[("csrf", &csrf)])
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn values_are_escaped_and_another_users_schedule_is_a_404() {
    let (_d, server, api, token) = start();
    let evil = "<img src=x onerror=alert(1)>";
    let s = api
        .create(&json!({
            "name": evil, "description": "\"><script>alert(2)</script>",
            "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "UTC",
            "recurrence_rule": {"frequency": "daily", "time_of_day": "09:00"}
        }))
        .await;
    let id = Api::id(&s);
    let mut b = Browser::new(&server);
    b.sign_in(&token).await;
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    for path in [
        format!("/schedules/{id}"),
        "/schedules".to_string(),
        format!("/calendar?view=day&date={day}&timezone=UTC"),
        format!("/schedules/{id}/cancel"),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains("<img src=x"),
            "{path} shows markup: {}",
            page.body
        );
        assert!(!page.body.contains("<script>"), "{path}");
        assert!(
            page.body.contains("img src=x onerror=alert(1)"),
            "{path} lost the name"
        );
    }
    // Another user: the schedule is as missing, and its actions do nothing.
    let other = server.token(&uuid::Uuid::new_v4().to_string());
    let mut b2 = Browser::new(&server);
    b2.sign_in(&other).await;
    let page = b2.get(&format!("/schedules/{id}")).await;
    assert_eq!(page.status, 404);
    let csrf = Browser::csrf(&b2.get("/schedules").await);
    let pause = b2
        .post(&format!("/schedules/{id}/pause"), &[("csrf", &csrf)])
        .await;
    assert_eq!(pause.status, 404);
    assert_eq!(api.schedule(&id).await["status"], "active");
    assert_eq!(b2.get("/schedules/not-an-id").await.status, 404);
    // Every page tells the browser what it may not do.
    let resp = reqwest::get(format!("http://{}/login", server.addr))
        .await
        .unwrap();
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
}

#[tokio::test]
async fn the_calendar_shows_local_times_across_dst_changes_and_remembers_the_zone() {
    let (_d, server, api, token) = start();
    // 02:30 every day in Berlin: on 28 March 2027 that time does not exist (shifted to 03:30
    // CEST); on 31 October it exists twice (the first, CEST, runs).
    api.create(&json!({
        "name": "Night render", "job_type": "export", "job_config": export_config(),
        "schedule_type": "recurring", "timezone": "Europe/Berlin",
        "recurrence_rule": {"frequency": "daily", "time_of_day": "02:30", "start_date": "2027-03-01",
            "end_date": "2027-11-30", "exceptions": ["2027-03-24"]}
    }))
    .await;
    let mut b = Browser::new(&server);
    b.sign_in(&token).await;
    let week = b
        .get("/calendar?view=week&date=2027-03-25&timezone=Europe%2FBerlin")
        .await;
    assert_eq!(week.status, 200);
    assert_eq!(
        all_between(&week.body, "id=\"cal-heading\">", "<"),
        ["Week of 22 March 2027"]
    );
    assert_eq!(
        all_between(&week.body, "<span class=\"time\">", "<"),
        [
            "02:30 CET",
            "02:30 CET",
            "02:30 CET",
            "02:30 CET",
            "02:30 CET",
            "02:30 CET",
            "03:30 CEST"
        ]
    );
    // The exception is listed as not run, with why, and not counted.
    assert_eq!(
        all_between(&week.body, "<span class=\"badge s-", "\""),
        [
            "planned", "planned", "removed", "planned", "planned", "planned", "planned"
        ]
    );
    assert!(
        week.body
            .contains("Not run: an exception date of the schedule.")
    );
    assert!(week.body.contains("6 runs in this view"));
    let zone = week
        .set_cookie
        .iter()
        .find(|c| c.starts_with("sgsched_tz="))
        .expect("the zone is remembered");
    assert!(zone.starts_with("sgsched_tz=Europe%2FBerlin;"), "{zone}");
    let day = b
        .get("/calendar?view=day&date=2027-10-31&timezone=Europe%2FBerlin")
        .await;
    assert_eq!(
        all_between(&day.body, "<span class=\"time\">", "<"),
        ["02:30 CEST"]
    );
    // The same instant in New York, and in Lord Howe's half-hour DST.
    let ny = b
        .get("/calendar?view=day&date=2027-10-30&timezone=America%2FNew_York")
        .await;
    assert_eq!(
        all_between(&ny.body, "<span class=\"time\">", "<"),
        ["20:30 EDT"]
    );
    let lh = b
        .get("/calendar?view=day&date=2027-10-31&timezone=Australia%2FLord_Howe")
        .await;
    assert_eq!(
        all_between(&lh.body, "<span class=\"time\">", "<"),
        ["11:30 +11"]
    );
    // A month: whole weeks, a count on each day the rule runs, none on the exception.
    let month = b
        .get("/calendar?view=month&date=2027-03-10&timezone=Europe%2FBerlin")
        .await;
    assert_eq!(
        all_between(&month.body, "id=\"cal-heading\">", "<"),
        ["March 2027"]
    );
    let cells = all_between(&month.body, "data-date=\"", "\"");
    assert_eq!(cells.len(), 35);
    assert_eq!(
        (cells[0].as_str(), cells[34].as_str()),
        ("2027-03-01", "2027-04-04")
    );
    assert_eq!(
        all_between(&month.body, "<span class=\"count\"", "</span>").len(),
        34
    );
    assert!(month.body.contains("34 runs in this view"));
    // Without a zone, the remembered one.
    b.cookie = Some(format!(
        "{}; sgsched_tz=Europe%2FBerlin",
        b.cookie.clone().unwrap()
    ));
    let again = b.get("/calendar?view=day&date=2027-10-31").await;
    assert_eq!(
        all_between(&again.body, "id=\"cal-zone\">", "<"),
        ["Europe/Berlin"]
    );
    // Bad parameters: every one named, nothing drawn.
    let bad = b
        .get("/calendar?view=year&date=2027-13-01&timezone=Mars%2FOlympus")
        .await;
    assert_eq!(bad.status, 422);
    for field in ["view:", "date:", "timezone:"] {
        assert!(bad.body.contains(field), "{field} missing: {}", bad.body);
    }
}

#[tokio::test]
async fn a_series_page_lists_its_episodes_in_order() {
    let (_d, server, api, token) = start();
    let made = api
        .post(
            "/v1/schedules/series",
            &json!({
                "name": "Season <b>2</b>", "episode_count": 3, "job_type": "export",
                "job_config": export_config(), "timezone": "Europe/Berlin",
                "schedule_rule": {"frequency": "weekly", "days_of_week": [5], "time_of_day": "18:00",
                                  "start_date": "2027-03-19"}
            }),
        )
        .await
        .expect(201);
    let id = made["series_id"].as_str().unwrap().to_string();
    let first = made["episodes"][0]["schedule_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b = Browser::new(&server);
    b.sign_in(&token).await;
    let page = b.get(&format!("/series/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Season &#60;b&#62;2&#60;/b&#62;")
            || page.body.contains("Season &lt;b&gt;2&lt;/b&gt;")
    );
    assert_eq!(
        all_between(&page.body, "<span class=\"time\">", "<"),
        ["Episode 1", "Episode 2", "Episode 3"]
    );
    assert_eq!(
        all_between(&page.body, "<span class=\"badge s-", "<"),
        [
            "active\">active",
            "pending\">Next",
            "planned\">Planned",
            "planned\">Planned"
        ]
    );
    // Fridays at 18:00 in Berlin, the third after the change to summer time.
    assert_eq!(
        all_between(&page.body, "<span class=\"muted\">", "<")
            .into_iter()
            .filter(|t| t.starts_with("Fri"))
            .collect::<Vec<_>>(),
        [
            "Fri 19 Mar 2027, 18:00 CET",
            "Fri 26 Mar 2027, 18:00 CET",
            "Fri 2 Apr 2027, 18:00 CEST"
        ]
    );
    assert!(page.body.contains("0 of 3 episodes done"));
    let episode = b.get(&format!("/schedules/{first}")).await;
    assert!(episode.body.contains(&format!("href=\"/series/{id}\"")));
    // Another user's series is as missing.
    let other = server.token(&uuid::Uuid::new_v4().to_string());
    let mut b2 = Browser::new(&server);
    b2.sign_in(&other).await;
    assert_eq!(b2.get(&format!("/series/{id}")).await.status, 404);
}

#[tokio::test]
async fn the_operators_page_shows_the_queue_plugins_and_failing_schedules() {
    let dir = tempfile::tempdir().unwrap();
    // A job system nobody listens on: every run fails.
    let server = Server::start(dir.path(), &["--job-system-url", "http://127.0.0.1:9"]);
    let token = server.token(&uuid::Uuid::new_v4().to_string());
    let api = Api::new(&server, Some(token.clone()));
    let s = api
        .create(&json!({
            "name": "Doomed export", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "UTC",
            "recurrence_rule": {"frequency": "daily", "time_of_day": "09:00"}
        }))
        .await;
    let id = Api::id(&s);
    api.post_empty(&format!("/v1/schedules/{id}/run"))
        .await
        .expect(201);
    let mut failed = false;
    for _ in 0..200 {
        let runs = api
            .get(&format!("/v1/schedules/{id}/executions"))
            .await
            .expect(200);
        if runs["items"][0]["status"] == "failed" {
            failed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(failed, "the run failed");
    let mut b = Browser::new(&server);
    b.sign_in(&token).await;
    let page = b.get("/operators").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(all_between(&page.body, "id=\"queue-depth\">", "<"), ["0"]);
    assert_eq!(all_between(&page.body, "id=\"running\">", "<"), ["0"]);
    assert!(page.body.contains("embedded (redb)"));
    let plugins = all_between(&page.body, "<tr><td>", "</td>");
    for job_type in [
        "video_generation",
        "batch_generation",
        "script_generation",
        "caption_generation",
        "thumbnail_generation",
        "export",
    ] {
        assert!(
            plugins.iter().any(|p| p == job_type),
            "{job_type} missing: {plugins:?}"
        );
    }
    assert_eq!(page.body.matches("<td>built-in</td>").count(), 6);
    let failing = page
        .body
        .split("id=\"failing\"")
        .nth(1)
        .expect("a failing table");
    assert!(failing.contains(&format!(
        "<a href=\"/schedules/{id}\">Doomed export</a></td><td>1</td>"
    )));
    assert!(failing.contains("job system unreachable"), "{failing}");
}

#[tokio::test]
async fn the_schedule_form_creates_previews_and_edits_and_names_every_bad_field() {
    let (_d, server, api, token) = start();
    let mut b = Browser::new(&server);
    b.sign_in(&token).await;
    let form = b.get("/schedules/new").await;
    assert_eq!(form.status, 200);
    let csrf = Browser::csrf(&form);
    let config = export_config().to_string();
    // Without the token nothing is created.
    let refused = b
        .post(
            "/schedules/new",
            &[
                ("name", "x"),
                ("job_type", "export"),
                ("job_config", &config),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    // Every bad field at once, each beside its input; nothing saved.
    let bad = b
        .post(
            "/schedules/new",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("job_type", "export"),
                ("job_config", "{\"format\": \"mp4\""),
                ("schedule_type", "recurring"),
                ("timezone", "Mars/Olympus"),
                ("recurrence_rule", "FREQ=FORTNIGHTLY"),
                ("max_runs", "many"),
                ("priority", "normal"),
                ("missed_policy", "run_latest"),
                ("overlap_policy", "skip"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Nothing was saved"));
    for id in [
        "name-error",
        "job_config-error",
        "timezone-error",
        "recurrence_rule-error",
    ] {
        assert!(bad.body.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(bad.body.contains("must be a whole number"));
    assert!(api.list_all("").await.is_empty());
    // The plugin's own check of the config is reported on the config.
    let wrong_config = b
        .post(
            "/schedules/new",
            &[
                ("csrf", &csrf),
                ("name", "Export"),
                ("job_type", "export"),
                ("job_config", "{\"format\": \"mp4\"}"),
                ("schedule_type", "recurring"),
                ("timezone", "UTC"),
                ("pattern", "daily_9am"),
            ],
        )
        .await;
    assert_eq!(wrong_config.status, 422);
    assert!(
        wrong_config
            .body
            .contains("id=\"job_config-error\">job_config.project_id: is required<"),
        "{}",
        wrong_config.body
    );
    // Preview: the next ten Mondays at 09:00 in Berlin, nothing saved.
    let rule = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0";
    let fields = |intent: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Monday <cut>".to_string()),
            ("job_type", "export".to_string()),
            ("job_config", config.clone()),
            ("schedule_type", "recurring".to_string()),
            ("timezone", "Europe/Berlin".to_string()),
            ("recurrence_rule", rule.to_string()),
            ("priority", "high".to_string()),
            ("missed_policy", "skip".to_string()),
            ("overlap_policy", "queue".to_string()),
            ("intent", intent.to_string()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    let send = |v: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post("/schedules/new", &pairs).await
        }
    };
    let preview = send(as_refs(&fields("preview"))).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let runs = all_between(&preview.body, "<li>", "</li>");
    let expected = api
        .post(
            "/v1/schedules/preview",
            &json!({"recurrence_rule": rule, "timezone": "Europe/Berlin", "count": 10}),
        )
        .await
        .expect(200);
    assert_eq!(runs.len(), 10);
    for (shown, want) in runs.iter().zip(expected["occurrences"].as_array().unwrap()) {
        let local = want["at_local"].as_str().unwrap();
        // "2026-12-07T09:00:00+01:00" is shown as "Mon 7 Dec 2026, 09:00 CET".
        let date = chrono::NaiveDate::parse_from_str(&local[..10], "%Y-%m-%d").unwrap();
        assert_eq!(
            shown,
            &format!("{}, 09:00 CET", date.format("%a %-d %b %Y"))
        );
    }
    assert!(api.list_all("").await.is_empty(), "a preview saves nothing");
    let made = send(as_refs(&fields("save"))).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id = made
        .location
        .trim_start_matches("/schedules/")
        .trim_end_matches("?did=create")
        .to_string();
    let s = api.schedule(&id).await;
    assert_eq!(
        (
            s["name"].as_str(),
            s["priority"].as_str(),
            s["missed_policy"].as_str(),
            s["overlap_policy"].as_str()
        ),
        (
            Some("Monday <cut>"),
            Some("high"),
            Some("skip"),
            Some("queue")
        )
    );
    assert_eq!(s["timezone"], "Europe/Berlin");
    let next = api
        .get(&format!("/v1/schedules/{id}/next?count=10"))
        .await
        .expect(200);
    assert_eq!(next["occurrences"], expected["occurrences"]);
    // Edit: the form comes back filled in; a bad zone changes nothing; a good edit saves.
    let edit = b.get(&format!("/schedules/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(
        edit.body.contains("value=\"Monday &#60;cut&#62;\"")
            || edit.body.contains("value=\"Monday &lt;cut&gt;\"")
    );
    let path = format!("/schedules/{id}/edit");
    let edited = |name: &'static str, tz: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("job_config", config.clone()),
            ("timezone", tz.to_string()),
            (
                "recurrence_rule",
                "FREQ=DAILY;BYHOUR=7;BYMINUTE=30".to_string(),
            ),
            ("priority", "low".to_string()),
            ("missed_policy", "skip".to_string()),
            ("overlap_policy", "skip".to_string()),
        ]
    };
    let post_to = |path: String, v: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post(&path, &pairs).await
        }
    };
    let refused = post_to(path.clone(), edited("Renamed", "Nowhere/Else")).await;
    assert_eq!(refused.status, 422);
    assert_eq!(api.schedule(&id).await["name"], "Monday <cut>");
    let saved = post_to(path.clone(), edited("Renamed", "America/New_York")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let s = api.schedule(&id).await;
    assert_eq!(
        (
            s["name"].as_str(),
            s["timezone"].as_str(),
            s["priority"].as_str()
        ),
        (Some("Renamed"), Some("America/New_York"), Some("low"))
    );
    let next = api
        .get(&format!("/v1/schedules/{id}/next?count=1"))
        .await
        .expect(200);
    assert!(
        next["occurrences"][0]["at_local"]
            .as_str()
            .unwrap()
            .contains("T07:30:00-05:00")
    );
}
