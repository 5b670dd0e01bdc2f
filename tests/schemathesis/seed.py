"""Creates data for schemathesis to find: schedules (recurring, once, paused), a series and a
manual run's job, through the API itself. Prints their ids for the `ids`
dictionary that fills the `{id}` path parameters (random UUIDs would only ever reach 404).

Usage: python3 seed.py BASE_URL TOKEN > ids.txt
"""

import json
import sys
import time
import urllib.request

base, token = sys.argv[1], sys.argv[2]


def call(method, path, body=None):
    req = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


EXPORT = {"project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90", "format": "mp4"}
ids = []
# Several of each: DELETE and cancel spend them in random order.
for i in range(4):
    s = call("POST", "/v1/schedules", {
        "name": f"recurring {i}", "job_type": "export", "job_config": EXPORT,
        "schedule_type": "recurring", "timezone": "America/New_York",
        "recurrence_rule": {"frequency": "daily", "time_of_day": "02:30", "start_date": "2030-03-01"},
    })
    ids.append(s["schedule_id"])
    s = call("POST", "/v1/schedules", {
        "name": f"once {i}", "job_type": "export", "job_config": EXPORT,
        "schedule_type": "once", "scheduled_at": "2031-11-02T01:30", "timezone": "America/New_York",
    })
    ids.append(s["schedule_id"])
call("POST", f"/v1/schedules/{ids[0]}/pause")
call("POST", f"/v1/schedules/{ids[2]}/run")
series = call("POST", "/v1/schedules/series", {
    "name": "season", "episode_count": 3, "job_type": "export", "job_config": EXPORT,
    "schedule_rule": {"frequency": "weekly", "days_of_week": [1], "time_of_day": "09:00", "start_date": "2030-01-07"},
})
ids.append(series["series_id"])
# The local job system records the manual run's job once the executor has dispatched it.
for _ in range(50):
    jobs = call("GET", "/v1/jobs")
    if jobs.get("items"):
        ids.extend(j["job_id"] for j in jobs["items"])
        break
    time.sleep(0.2)
# The dictionary file format: one quoted string a line.
print("\n".join(json.dumps(i) for i in ids))
