import { setTimeout as delay } from 'node:timers/promises';

/** Thrown when a scenario waits for a moment of the run that never comes (the pipeline stalled): never hang CI. */
export class ChaosTimeoutError extends Error {
  override readonly name = 'ChaosTimeoutError';
}

/** Polls `condition` every 5 ms until it holds; throws ChaosTimeoutError naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new ChaosTimeoutError(`waited ${timeoutMs} ms for ${what}`);
    await delay(5);
  }
}
