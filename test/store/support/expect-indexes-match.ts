import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { RedisKeys } from '../../../src/store/redis-keys.js';
import type { ResultStore } from '../../../src/store/result-store.js';

/** A scores-0 sorted set's members (in stored order), failing when any score is not 0. */
async function lexMembers(redis: Redis, key: string): Promise<string[]> {
  const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
  const members: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    expect(flat[i + 1], `score of ${flat[i]} in ${key}`).toBe('0');
    members.push(flat[i] as string);
  }
  return members;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Recounts every read index from the pairs' hashes alone (a full scan, what the indexes exist to avoid) and
 * compares it with what the result scripts keep: rolloutCounts, pairsByState, portalStates, attention,
 * rolloutAttention and resultPortals (docs/architecture.md, "Read indexes").
 */
export async function expectIndexesMatch(redis: Redis, keys: RedisKeys, store: ResultStore): Promise<void> {
  const rolloutCounts: Record<string, string> = {};
  const byState: string[] = [];
  const portalStates = new Set<string>();
  const attention: string[] = [];
  const rolloutAttention: string[] = [];
  const portals = new Set<string>();
  for await (const chunk of store.pairChunks({ chunk: 500 })) {
    const pipeline = redis.pipeline();
    for (const p of chunk) pipeline.hmget(keys.result(p.domain, p.code), 'state', 'rolloutId', 'updatedAt');
    const replies = (await pipeline.exec()) ?? [];
    for (const [i, p] of chunk.entries()) {
      const [state, rolloutId, updatedAt] = (replies[i]?.[1] ?? []) as (string | null)[];
      expect(state, `state of ${p.domain}|${p.code}`).toBeTruthy();
      const member = `${p.domain}|${p.code}`;
      portals.add(p.domain);
      byState.push(`${state}|${member}`);
      portalStates.add(`${state}|${p.domain}`);
      if (rolloutId) {
        const field = `${rolloutId}|${state}`;
        rolloutCounts[field] = String(Number(rolloutCounts[field] ?? 0) + 1);
      }
      if (state === 'failed' || state === 'needs_reauth') {
        const age = String(9_999_999_999_999 - Number(updatedAt ?? 0)).padStart(13, '0');
        const entry = `${state === 'failed' ? 0 : 1}|${age}|${member}`;
        attention.push(entry);
        if (rolloutId) rolloutAttention.push(`${rolloutId}|${entry}`);
      }
    }
  }
  expect(await redis.hgetall(keys.rolloutCounts), 'rolloutCounts').toEqual(rolloutCounts);
  expect(await lexMembers(redis, keys.pairsByState), 'pairsByState').toEqual(byState.sort(byteOrder));
  expect(await lexMembers(redis, keys.portalStates), 'portalStates').toEqual(
    [...portalStates].sort(byteOrder),
  );
  expect(await lexMembers(redis, keys.attention), 'attention').toEqual(attention.sort(byteOrder));
  expect(await lexMembers(redis, keys.rolloutAttention), 'rolloutAttention').toEqual(
    rolloutAttention.sort(byteOrder),
  );
  expect(await lexMembers(redis, keys.resultPortals), 'resultPortals').toEqual([...portals].sort(byteOrder));
}
