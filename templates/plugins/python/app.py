"""The `{{name}}` job type for sgsched, written in Python (componentize-py; see build.sh)."""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import job_system
from wit_world.imports.types import FieldError, JobOutcome, JobRequest, PluginInfo

JOB_TYPE = "{{name}}"
FIELDS = ["message"]
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["message"],
    "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 200}},
}


def problems(config):
    """Every problem with the config (JSON text), not just the first."""
    try:
        value = json.loads(config)
    except ValueError:
        return [FieldError(field="", message="must be valid JSON")]
    if not isinstance(value, dict):
        return [FieldError(field="", message="must be an object")]
    errors = [FieldError(field=k, message="unknown field") for k in value if k not in FIELDS]
    message = value.get("message")
    if message is None:
        errors.append(FieldError(field="message", message="is required"))
    elif not isinstance(message, str) or not 1 <= len(message.strip()) <= 200:
        errors.append(FieldError(field="message", message="must be a text of 1 to 200 characters"))
    return errors


class JobRunner(exports.JobRunner):
    def info(self) -> PluginInfo:
        return PluginInfo(
            job_type=JOB_TYPE,
            version="0.1.0",
            description="A new sgsched job type.",
            config_schema=json.dumps(SCHEMA),
            example_config=json.dumps({"message": "hello"}),
        )

    def validate(self, config: str) -> None:
        errors = problems(config)
        if errors:
            raise Err(errors)

    def run(self, request: JobRequest) -> JobOutcome:
        errors = problems(request.config)
        if errors:
            raise Err(f"invalid config: {errors[0].field}: {errors[0].message}")
        config = json.loads(request.config)
        payload = {"message": config["message"], "execution_id": request.execution_id}
        # The execution id as the idempotency key: a re-dispatched run finds its first job.
        job = job_system.submit(JOB_TYPE, json.dumps(payload), request.execution_id)
        job_system.log("info", f"submitted job {job}")
        status = job_system.wait(job, 60_000)
        state = status.state.name.lower()
        if state != "succeeded":
            raise Err(f"job {job} ended {state}: {status.error or ''}")
        return JobOutcome(job_id=job, summary=json.dumps({"job_id": job, "state": "succeeded"}))
