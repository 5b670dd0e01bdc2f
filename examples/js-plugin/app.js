// The `newsletter` job type for sgsched, written in JavaScript.
//
// It sends a newsletter about a published video to a mailing list: `validate` checks the job
// configuration, `run` hands the send to the Story-Genius job system and waits for it.
//
// componentize-js turns this ES module into a Wasm component for the `job-plugin` world of
// `../../wit/scheduler.wit` (see build.sh). How the WIT maps to JavaScript (componentize-js 0.23):
//
// * the exported interface `job-runner` is the exported object `jobRunner` (kebab-case names
//   become lowerCamelCase), whose methods are the interface's functions;
// * the imported interface `job-system` is the ES module
//   `story-genius:scheduler/job-system@0.1.0`, exporting `submit`, `wait` and `log`;
// * WIT records are plain objects with lowerCamelCase keys (`job-type` -> `jobType`), enums are
//   their case names as strings (`'succeeded'`), an `option<T>` is the value or `undefined`;
// * an exported function returning `result<T, E>` may return `{ tag: 'ok', val }` or
//   `{ tag: 'err', val }` (done here), or return a plain `T` and throw the `E`. Throwing an
//   `Error` object without a `payload` property is not an `err`: it traps the component, which
//   the host reports as a crashed plugin rather than as our error message;
// * an imported function returning `result<T, E>` returns `T` or throws an Error whose
//   `payload` is the `E`.
//
// The plugin has no filesystem, network, environment or clock: only the JavaScript built-ins and
// the `job-system` import.

import { submit, wait, log } from 'story-genius:scheduler/job-system@0.1.0';

const JOB_TYPE = 'newsletter';
const VERSION = '0.1.0';
const DESCRIPTION = 'Send a newsletter about a published video to a mailing list.';

const SUBJECT_MAX = 150;
const SEGMENTS_MAX = 20;
const SEGMENT_MAX_LEN = 64;
const FIELDS = ['list_id', 'subject', 'video_id', 'send_at_local_hour', 'segments'];
const REQUIRED = ['list_id', 'subject', 'video_id'];

// Below the host's default 10-minute run limit, so a slow job ends in our own clear error
// instead of the host killing the call.
const WAIT_TIMEOUT_MS = 5 * 60 * 1000;

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SEGMENT_RE = /^[a-z0-9][a-z0-9_-]*$/;

const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'newsletter job configuration',
  type: 'object',
  additionalProperties: false,
  required: REQUIRED,
  properties: {
    list_id: {
      description: 'The mailing list to send to.',
      type: 'string',
      format: 'uuid',
    },
    subject: {
      description: "The email's subject line.",
      type: 'string',
      minLength: 1,
      maxLength: SUBJECT_MAX,
      pattern: '\\S',
    },
    video_id: {
      description: 'The published Story-Genius video the newsletter is about.',
      type: 'string',
      format: 'uuid',
    },
    send_at_local_hour: {
      description: "Hour of the day to send at, in each subscriber's timezone (0 to 23); " +
        'absent: send right away.',
      type: 'integer',
      minimum: 0,
      maximum: 23,
    },
    segments: {
      description: 'Send only to subscribers in one of these segments; absent or empty: the whole list.',
      type: 'array',
      maxItems: SEGMENTS_MAX,
      uniqueItems: true,
      items: { type: 'string', pattern: SEGMENT_RE.source, maxLength: SEGMENT_MAX_LEN },
    },
  },
};

const EXAMPLE_CONFIG = {
  list_id: '5f1c9a2e-7b3d-4c8e-a1f0-2d6b8e4c9a10',
  subject: 'New episode: the lighthouse keeper finally opens the door',
  video_id: '0b7e3c1a-5d2f-4e8b-9a61-3f0c2d4e5b6a',
  send_at_local_hour: 9,
  segments: ['subscribers', 'early-access'],
};

const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
const isString = (v) => typeof v === 'string';
// Characters as JSON Schema counts them (code points), not UTF-16 units.
const charCount = (s) => [...s].length;

/** Every problem with `configText`, as field errors with JSON paths; empty when valid. */
function checkConfig(configText) {
  let config;
  try {
    config = JSON.parse(configText);
  } catch (e) {
    return [{ field: '', message: `is not valid JSON: ${e.message}` }];
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return [{ field: '', message: 'must be a JSON object' }];
  }

  const errors = [];
  const bad = (field, message) => errors.push({ field, message });

  for (const name of REQUIRED) {
    if (!has(config, name)) bad(name, 'is required');
  }
  for (const name of Object.keys(config).sort()) {
    if (!FIELDS.includes(name)) bad(name, `is not a known field (known: ${FIELDS.join(', ')})`);
  }

  for (const name of ['list_id', 'video_id']) {
    if (has(config, name) && !(isString(config[name]) && UUID_RE.test(config[name]))) {
      bad(name, 'must be a UUID such as 0b7e3c1a-5d2f-4e8b-9a61-3f0c2d4e5b6a');
    }
  }

  if (has(config, 'subject')) {
    const subject = config.subject;
    if (!isString(subject)) {
      bad('subject', 'must be a string');
    } else if (subject.trim() === '') {
      bad('subject', 'must not be empty');
    } else if (charCount(subject) > SUBJECT_MAX) {
      bad('subject', `must be at most ${SUBJECT_MAX} characters (got ${charCount(subject)})`);
    }
  }

  if (has(config, 'send_at_local_hour')) {
    const hour = config.send_at_local_hour;
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
      bad('send_at_local_hour', 'must be a whole hour from 0 to 23');
    }
  }

  if (has(config, 'segments')) {
    const segments = config.segments;
    if (!Array.isArray(segments)) {
      bad('segments', 'must be an array of strings');
    } else {
      if (segments.length > SEGMENTS_MAX) {
        bad('segments', `must have at most ${SEGMENTS_MAX} items (got ${segments.length})`);
      }
      const seen = new Set();
      segments.forEach((segment, i) => {
        const path = `segments[${i}]`;
        if (!isString(segment)) {
          bad(path, 'must be a string');
        } else if (!SEGMENT_RE.test(segment)) {
          bad(path, 'must be lowercase letters, digits, - and _, starting with a letter or digit');
        } else if (charCount(segment) > SEGMENT_MAX_LEN) {
          bad(path, `must be at most ${SEGMENT_MAX_LEN} characters`);
        } else if (seen.has(segment)) {
          bad(path, `repeats ${segment}`);
        } else {
          seen.add(segment);
        }
      });
    }
  }

  return errors;
}

const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val });

/** An imported `result` function's error: the thrown Error's `payload` (the WIT `E`). */
const errorText = (e) => (e && e.payload !== undefined ? String(e.payload) : String(e));

export const jobRunner = {
  info() {
    return {
      jobType: JOB_TYPE,
      version: VERSION,
      description: DESCRIPTION,
      configSchema: JSON.stringify(CONFIG_SCHEMA),
      exampleConfig: JSON.stringify(EXAMPLE_CONFIG),
    };
  },

  validate(config) {
    const errors = checkConfig(config);
    return errors.length ? err(errors) : ok(undefined);
  },

  run(request) {
    // The host validated the config when the schedule was saved, but the plugin may have been
    // upgraded since: never submit something this version would reject.
    const errors = checkConfig(request.config);
    if (errors.length) {
      const detail = errors.map((e) => `${e.field || 'config'}: ${e.message}`).join('; ');
      return err(`invalid configuration: ${detail}`);
    }
    const config = JSON.parse(request.config);

    const payload = {
      list_id: config.list_id,
      subject: config.subject,
      video_id: config.video_id,
      send_at_local_hour: config.send_at_local_hour ?? null,
      segments: config.segments ?? [],
      schedule_id: request.scheduleId,
      scheduled_for: request.scheduledFor,
      episode: request.episode ?? null,
      is_manual: request.isManual,
    };

    // The execution id as idempotency key: when the host re-dispatches this execution
    // (attempt > 1), submit returns the job the first attempt created instead of sending twice.
    let jobId;
    try {
      jobId = submit(JOB_TYPE, JSON.stringify(payload), request.executionId);
    } catch (e) {
      return err(`submitting the newsletter to the job system failed: ${errorText(e)}`);
    }
    log(
      'info',
      `execution ${request.executionId} (attempt ${request.attempt}): newsletter to list ` +
        `${config.list_id} about video ${config.video_id} is job ${jobId}`,
    );

    let status;
    try {
      status = wait(jobId, WAIT_TIMEOUT_MS);
    } catch (e) {
      return err(`waiting for job ${jobId} failed: ${errorText(e)}`);
    }

    if (status.state === 'failed') {
      return err(`job ${jobId} failed: ${status.error ?? 'no error given'}`);
    }
    if (status.state === 'cancelled') return err(`job ${jobId} was cancelled`);
    if (status.state !== 'succeeded') {
      // A retry submits with the same key, so it waits for this same job again.
      return err(`job ${jobId} still ${status.state} after ${WAIT_TIMEOUT_MS / 1000} s`);
    }

    let result = null;
    if (status.result != null) {
      try {
        result = JSON.parse(status.result);
      } catch {
        result = status.result;
      }
    }
    const summary = {
      job_id: jobId,
      state: status.state,
      list_id: config.list_id,
      video_id: config.video_id,
      segment_count: payload.segments.length,
      send_at_local_hour: payload.send_at_local_hour,
      result,
    };
    return ok({ jobId, summary: JSON.stringify(summary) });
  },
};
