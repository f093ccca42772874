import { afterEach } from 'vitest';
import { track, untrack } from './redis.js';

export type Own = <T>(label: string, resource: T, close: (resource: T) => Promise<unknown>) => T;

/**
 * For a test file: returns `own(label, resource, close)`, which closes `resource` after the test (newest first)
 * and registers it with the leak check meanwhile (test/support/redis.ts), so a forgotten one still fails.
 */
export function useOwnedResources(): Own {
  const opened: { label: string; close: () => Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const entry of opened.splice(0).reverse()) {
      await entry.close();
      untrack(entry.label);
    }
  });
  return (label, resource, close) => {
    track(label, resource, close);
    opened.push({ label, close: () => close(resource) });
    return resource;
  };
}
