import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  sampleApiRounds,
  startApiLatencySampler,
  summarizeLatency,
} from '../../bench/support/api-latency-sampler.js';
import { countKeyFamilies } from '../../bench/support/count-key-families.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

/** A local HTTP server answering after `delayMs`; counts the requests in flight at once. */
async function slowServer(delayMs: number, status = 200) {
  const seen: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((request, response) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    seen.push(request.url ?? '');
    setTimeout(() => {
      inFlight--;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end('{}');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    maxInFlight: () => maxInFlight,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('the scale benchmark API sampler', () => {
  it('polls the paths round robin, one request in flight at a time, timing each round trip', async () => {
    const server = await slowServer(40);
    closers.push(server.close);
    const sampler = startApiLatencySampler(server.url, ['/a', '/b'], { gapMs: 5 });
    await waitFor(() => server.seen.length >= 6, { message: 'six requests' });
    const samples = await sampler.stop();

    expect(server.maxInFlight()).toBe(1);
    expect(samples.map((s) => s.path).slice(0, 6)).toEqual(['/a', '/b', '/a', '/b', '/a', '/b']);
    for (const sample of samples) {
      expect(sample.status).toBe(200);
      // setTimeout may fire a millisecond early; the round trip includes the whole delay.
      expect(sample.ms).toBeGreaterThanOrEqual(39);
    }
    const a = summarizeLatency(samples, '/a');
    expect(a.samples).toBe(samples.filter((s) => s.path === '/a').length);
    expect(a.errors).toBe(0);
    expect(a.p95).toBeGreaterThanOrEqual(a.p50);
    expect(a.max).toBeGreaterThanOrEqual(a.p95);
  });

  it('counts answers other than 200 and requests without an answer as errors', async () => {
    const server = await slowServer(0, 503);
    closers.push(server.close);
    const answered = await sampleApiRounds(server.url, ['/x'], 3);
    const unanswered = await sampleApiRounds('http://127.0.0.1:1', ['/x'], 2, 2_000);

    expect(answered.map((s) => s.status)).toEqual([503, 503, 503]);
    expect(summarizeLatency(answered, '/x').errors).toBe(3);
    expect(unanswered.map((s) => s.status)).toEqual([0, 0]);
    expect(summarizeLatency(unanswered, '/x')).toMatchObject({ samples: 2, errors: 2 });
  });

  it('takes p95 by nearest rank, over the samples sent within a window when given one', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({ path: '/p', at: i, ms: i + 1, status: 200 }));
    expect(summarizeLatency(samples, '/p')).toEqual({ samples: 20, errors: 0, p50: 10, p95: 19, max: 20 });
    expect(summarizeLatency(samples, '/p', { from: 5, to: 14 })).toEqual({
      samples: 10,
      errors: 0,
      p50: 10,
      p95: 15,
      max: 15,
    });
  });
});

describe('the scale benchmark key census', () => {
  it('groups keys under a prefix by family, with portals, numbers and long ids replaced', async () => {
    const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const prefix = uniquePrefix('census');
    const other = uniquePrefix('other');
    closers.push(async () => {
      const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`${other}:*`))];
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });
    await redis.mset(
      `${prefix}:{p:portal-00001.sim.test}:portal`,
      '1',
      `${prefix}:{p:portal-00002.sim.test}:portal`,
      '1',
      `${prefix}:{r}:result:portal-00001.sim.test|scale0`,
      '1',
      `${prefix}:{r}:result:portal-00001.sim.test|scale1`,
      '1',
      `${prefix}:{g}:def:0123456789abcdef0123`,
      '1',
      `${other}:{g}:portals`,
      '1',
    );

    expect(await countKeyFamilies(redis, prefix)).toEqual({
      ':{p:<portal>}:portal': 2,
      ':{r}:result:<portal>|scale<n>': 2,
      ':{g}:def:<id>': 1,
    });
  });
});
