export interface WaitForOptions {
  /** Give up after this long (generous by default: the suite runs on 2 loaded cores). */
  timeoutMs?: number;
  /** Pause between two checks. */
  intervalMs?: number;
  /** What was awaited, in words: leads the timeout error. */
  message?: string;
}

/** Thrown when a check never passed: names what was awaited and carries the last failure as `cause`. */
export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `check` until it passes, then returns what it returned. A check passes when it neither throws (an
 * `expect(...)` inside it may fail) nor returns `false`; on timeout this throws a WaitForTimeoutError with
 * `message`, the time waited and the last failure. The one way tests wait: no fixed sleeps, no hand-written loops.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, false>> {
  const { timeoutMs = 10_000, intervalMs = 20, message = 'condition' } = options;
  const started = Date.now();
  let last: unknown;
  let tries = 0;
  for (;;) {
    tries += 1;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      last = new Error('the check returned false');
    } catch (error) {
      last = error;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      const reason = last instanceof Error ? last.message : String(last);
      throw new WaitForTimeoutError(`waited ${waited} ms (${tries} checks) for ${message}: ${reason}`, {
        cause: last,
      });
    }
    await pause(Math.min(intervalMs, timeoutMs - waited));
  }
}
