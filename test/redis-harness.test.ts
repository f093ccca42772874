import { describe, expect, it } from 'vitest';
import { newRedis, testRedisUrl } from './support/redis.js';

describe('test harness', () => {
  it('runs against a private redis-server, not the machine default port', async () => {
    expect(testRedisUrl()).not.toMatch(/:6379$/);
    const redis = newRedis();
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});
