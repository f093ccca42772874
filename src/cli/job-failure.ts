import { UnrecoverableError } from 'bullmq';

/** What the worker logs about a failed job: the error code, where the failure came from, and its message. */
export interface JobFailure {
  /** The pair's error code (`PORTAL_DELETED`, ...), or `JOB_FAILED` when the job failed outside processPair. */
  code: string;
  /** The error class (and its reason, e.g. `SecretOpenError unknown_key`): what broke. */
  cause: string;
  message: string;
}

const PAIR_FAILURE = /^([A-Z][A-Z0-9_.]{1,80}): /;

/**
 * Describes the error a job failed with. A failure decided by the pipeline arrives as an UnrecoverableError
 * `CODE: message` (pipeline/create-rollout-worker.ts); anything else (a secret that cannot be opened, a job
 * stalled too often, a Redis error) failed the job outside processPair and is recorded as `JOB_FAILED`.
 */
export function describeJobFailure(error: unknown): JobFailure {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : typeof error;
  const reason = (error as { reason?: unknown } | null)?.reason;
  const cause = typeof reason === 'string' ? `${name} ${reason}` : name;
  const code = error instanceof UnrecoverableError ? PAIR_FAILURE.exec(message)?.[1] : undefined;
  if (code !== undefined) return { code, cause, message: message.slice(code.length + 2) };
  return { code: 'JOB_FAILED', cause, message };
}
