"""The `social_post` job type for sgsched, written in Python.

It publishes a post about a finished video to a social network: `validate` checks the job
configuration, `run` hands the post to the Story-Genius job system and waits for it.

componentize-py turns this module into a Wasm component for the `job-plugin` world of
`../../wit/scheduler.wit` (see build.sh). How the WIT maps to Python (componentize-py 0.25):

* the exported interface `job-runner` is the class `JobRunner` below, subclassing the generated
  protocol `wit_world.exports.JobRunner`; componentize-py instantiates it itself;
* WIT records are dataclasses in `wit_world.imports.types` with snake_case fields;
* a function returning `result<T, E>` returns a plain `T` on success and *raises*
  `componentize_py_types.Err(E)` on failure; any other exception traps the component, which
  the host reports as a crashed plugin rather than as our error message;
* imported `result` functions (`job_system.submit`, `job_system.wait`) raise `Err` the same way.

The plugin has no filesystem, network, environment or clock: only the standard library's pure
parts and the `job-system` import.
"""

import json
import re

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import job_system
from wit_world.imports.types import FieldError, JobOutcome, JobRequest, PluginInfo

JOB_TYPE = "social_post"
VERSION = "0.1.0"
DESCRIPTION = "Publish a post about a finished video to a social network."

PLATFORMS = ["youtube", "tiktok", "instagram", "x"]
TEXT_MAX = 2200
HASHTAGS_MAX = 30
HASHTAG_MAX_LEN = 100
FIELDS = ["platform", "text", "video_id", "hashtags", "publish_at_local"]
REQUIRED = ["platform", "text", "video_id"]

# Below the host's default 10-minute run limit, so a slow job ends in our own clear error
# instead of the host killing the call.
WAIT_TIMEOUT_MS = 5 * 60 * 1000

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HASHTAG_RE = re.compile(r"^#[^\s#]+$")
HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "social_post job configuration",
    "type": "object",
    "additionalProperties": False,
    "required": REQUIRED,
    "properties": {
        "platform": {
            "description": "The social network to publish on.",
            "enum": PLATFORMS,
        },
        "text": {
            "description": "The post's text.",
            "type": "string",
            "minLength": 1,
            "maxLength": TEXT_MAX,
            "pattern": "\\S",
        },
        "video_id": {
            "description": "The finished Story-Genius video the post is about.",
            "type": "string",
            "format": "uuid",
        },
        "hashtags": {
            "description": "Hashtags appended to the post, each starting with '#'.",
            "type": "array",
            "maxItems": HASHTAGS_MAX,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": HASHTAG_RE.pattern, "maxLength": HASHTAG_MAX_LEN},
        },
        "publish_at_local": {
            "description": "Time of day to publish, in the creator's timezone (HH:MM, 24 h).",
            "type": "string",
            "pattern": HHMM_RE.pattern,
        },
    },
}

EXAMPLE_CONFIG = {
    "platform": "youtube",
    "text": "Episode 3 is out: the lighthouse keeper finally opens the door.",
    "video_id": "0b7e3c1a-5d2f-4e8b-9a61-3f0c2d4e5b6a",
    "hashtags": ["#storygenius", "#shortfilm"],
    "publish_at_local": "18:30",
}


def is_str(value):
    # json.loads gives bool for true/false, which is not a str, so this is exact.
    return isinstance(value, str)


def check_config(config_text):
    """Every problem with `config_text`, as FieldErrors with JSON paths; empty when valid."""
    try:
        config = json.loads(config_text)
    except ValueError as e:
        return [FieldError(field="", message=f"is not valid JSON: {e}")]
    if not isinstance(config, dict):
        return [FieldError(field="", message="must be a JSON object")]

    errors = []

    def bad(field, message):
        errors.append(FieldError(field=field, message=message))

    for name in REQUIRED:
        if name not in config:
            bad(name, "is required")
    for name in sorted(config):
        if name not in FIELDS:
            bad(name, f"is not a known field (known: {', '.join(FIELDS)})")

    if "platform" in config and config["platform"] not in PLATFORMS:
        bad("platform", f"must be one of {', '.join(PLATFORMS)}")

    if "text" in config:
        text = config["text"]
        if not is_str(text):
            bad("text", "must be a string")
        elif not text.strip():
            bad("text", "must not be empty")
        elif len(text) > TEXT_MAX:
            bad("text", f"must be at most {TEXT_MAX} characters (got {len(text)})")

    if "video_id" in config:
        video_id = config["video_id"]
        if not is_str(video_id) or not UUID_RE.match(video_id):
            bad("video_id", "must be a UUID such as 0b7e3c1a-5d2f-4e8b-9a61-3f0c2d4e5b6a")

    if "hashtags" in config:
        hashtags = config["hashtags"]
        if not isinstance(hashtags, list):
            bad("hashtags", "must be an array of strings")
        else:
            if len(hashtags) > HASHTAGS_MAX:
                bad("hashtags", f"must have at most {HASHTAGS_MAX} items (got {len(hashtags)})")
            seen = set()
            for i, tag in enumerate(hashtags):
                path = f"hashtags[{i}]"
                if not is_str(tag):
                    bad(path, "must be a string")
                elif not HASHTAG_RE.match(tag):
                    bad(path, "must start with '#' and contain no spaces or further '#'")
                elif len(tag) > HASHTAG_MAX_LEN:
                    bad(path, f"must be at most {HASHTAG_MAX_LEN} characters")
                elif tag.lower() in seen:
                    bad(path, f"repeats {tag}")
                else:
                    seen.add(tag.lower())

    if "publish_at_local" in config:
        at = config["publish_at_local"]
        if not is_str(at) or not HHMM_RE.match(at):
            bad("publish_at_local", "must be a time of day as HH:MM (00:00 to 23:59)")

    return errors


class JobRunner(exports.JobRunner):
    def info(self) -> PluginInfo:
        return PluginInfo(
            job_type=JOB_TYPE,
            version=VERSION,
            description=DESCRIPTION,
            config_schema=json.dumps(CONFIG_SCHEMA),
            example_config=json.dumps(EXAMPLE_CONFIG),
        )

    def validate(self, config: str) -> None:
        errors = check_config(config)
        if errors:
            raise Err(errors)

    def run(self, request: JobRequest) -> JobOutcome:
        # The host validated the config when the schedule was saved, but the plugin may have
        # been upgraded since: never submit something this version would reject.
        errors = check_config(request.config)
        if errors:
            detail = "; ".join(f"{e.field or 'config'}: {e.message}" for e in errors)
            raise Err(f"invalid configuration: {detail}")
        config = json.loads(request.config)

        payload = {
            "platform": config["platform"],
            "text": config["text"],
            "video_id": config["video_id"],
            "hashtags": config.get("hashtags", []),
            "publish_at_local": config.get("publish_at_local"),
            "schedule_id": request.schedule_id,
            "scheduled_for": request.scheduled_for,
            "episode": request.episode,
            "is_manual": request.is_manual,
        }

        # The execution id as idempotency key: when the host re-dispatches this execution
        # (attempt > 1), submit returns the job the first attempt created instead of posting twice.
        try:
            job_id = job_system.submit(JOB_TYPE, json.dumps(payload), request.execution_id)
        except Err as e:
            raise Err(f"submitting the post to the job system failed: {e.value}")
        job_system.log(
            "info",
            f"execution {request.execution_id} (attempt {request.attempt}): "
            f"{config['platform']} post for video {config['video_id']} is job {job_id}",
        )

        try:
            status = job_system.wait(job_id, WAIT_TIMEOUT_MS)
        except Err as e:
            raise Err(f"waiting for job {job_id} failed: {e.value}")

        state = status.state.name.lower()
        if state == "failed":
            raise Err(f"job {job_id} failed: {status.error or 'no error given'}")
        if state == "cancelled":
            raise Err(f"job {job_id} was cancelled")
        if state != "succeeded":
            # A retry submits with the same key, so it waits for this same job again.
            raise Err(f"job {job_id} still {state} after {WAIT_TIMEOUT_MS // 1000} s")

        result = None
        if status.result is not None:
            try:
                result = json.loads(status.result)
            except ValueError:
                result = status.result
        summary = {
            "job_id": job_id,
            "state": state,
            "platform": config["platform"],
            "video_id": config["video_id"],
            "hashtag_count": len(payload["hashtags"]),
            "result": result,
        }
        return JobOutcome(job_id=job_id, summary=json.dumps(summary))
