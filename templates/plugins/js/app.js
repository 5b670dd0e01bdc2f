// The `{{name}}` job type for sgsched, written in JavaScript (componentize-js; see build.sh).
// Exported `result`s are returned as { tag: 'ok' | 'err', val }; an imported `result` throws an
// Error whose `payload` is the error.

import { submit, wait, log } from 'story-genius:scheduler/job-system@0.1.0';

const JOB_TYPE = '{{name}}';
const FIELDS = ['message'];
const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string', minLength: 1, maxLength: 200 } },
};

/** Every problem with the config (JSON text), not just the first. */
function problems(config) {
  let value;
  try {
    value = JSON.parse(config);
  } catch {
    return [{ field: '', message: 'must be valid JSON' }];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ field: '', message: 'must be an object' }];
  }
  const errors = Object.keys(value)
    .filter((k) => !FIELDS.includes(k))
    .map((k) => ({ field: k, message: 'unknown field' }));
  const m = value.message;
  if (m === undefined) {
    errors.push({ field: 'message', message: 'is required' });
  } else if (typeof m !== 'string' || m.trim().length < 1 || m.length > 200) {
    errors.push({ field: 'message', message: 'must be a text of 1 to 200 characters' });
  }
  return errors;
}

const errorText = (e) => (e && e.payload !== undefined ? String(e.payload) : String(e));

export const jobRunner = {
  info() {
    return {
      jobType: JOB_TYPE,
      version: '0.1.0',
      description: 'A new sgsched job type.',
      configSchema: JSON.stringify(SCHEMA),
      exampleConfig: JSON.stringify({ message: 'hello' }),
    };
  },

  validate(config) {
    const errors = problems(config);
    return errors.length === 0 ? { tag: 'ok', val: undefined } : { tag: 'err', val: errors };
  },

  run(request) {
    const errors = problems(request.config);
    if (errors.length > 0) {
      return { tag: 'err', val: `invalid config: ${errors[0].field}: ${errors[0].message}` };
    }
    const config = JSON.parse(request.config);
    const payload = { message: config.message, execution_id: request.executionId };
    try {
      // The execution id as the idempotency key: a re-dispatched run finds its first job.
      const job = submit(JOB_TYPE, JSON.stringify(payload), request.executionId);
      log('info', `submitted job ${job}`);
      const status = wait(job, 60000);
      if (status.state !== 'succeeded') {
        return { tag: 'err', val: `job ${job} ended ${status.state}: ${status.error ?? ''}` };
      }
      return { tag: 'ok', val: { jobId: job, summary: JSON.stringify({ job_id: job, state: 'succeeded' }) } };
    } catch (e) {
      return { tag: 'err', val: `job system: ${errorText(e)}` };
    }
  },
};
