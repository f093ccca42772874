import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { findPairs } from '../../src/ops/find-pairs.js';
import { formatTable } from '../../src/ops/format-table.js';
import { STATUS_TABLE_HEADERS, statusTableCells, toStatusRow } from '../../src/ops/status-row.js';
import { statusTableChunks } from '../../src/ops/status-table-chunks.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore } from '../../src/store/result-store.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe('statusTableChunks', () => {
  it('streams, chunk by chunk, the same text formatTable makes of every row at once', async () => {
    const redis = newRedis();
    clients.push(redis);
    const keys = createRedisKeys(uniquePrefix('table'));
    const results = createResultStore({ redis, keys });
    const pairs = Array.from({ length: 23 }, (_, i) => ({ domain: `p${i}.bitrix24.com`, code: 'echo' }));
    await results.requestPresent(pairs.map((p) => ({ ...p, defHash: 'h1', portalParked: false })));
    // Long and hostile error text in a late chunk: it widens the column for every earlier line too.
    await results.recordFailure('p9.bitrix24.com', 'echo', {
      op: 'register',
      error: { code: 'ERROR_CORE', message: 'a much longer message\u001b[31m with\nbreaks and escapes' },
      final: true,
    });
    const whole = formatTable(
      STATUS_TABLE_HEADERS,
      (await findPairs(results)).map(toStatusRow).map(statusTableCells),
    );

    const chunks = await collect(statusTableChunks(results, {}, 5));
    expect(chunks.length).toBe(1 + 5);
    expect(chunks.join('')).toBe(whole);
    expect(whole).not.toContain('\u001b');

    const one = await collect(statusTableChunks(results, { portal: 'p9.bitrix24.com' }, 5));
    expect(one.join('')).toBe(
      formatTable(
        STATUS_TABLE_HEADERS,
        (await findPairs(results, { portal: 'p9.bitrix24.com' })).map(toStatusRow).map(statusTableCells),
      ),
    );
  });

  it('prints the headers alone for a store with no pair, as formatTable does', async () => {
    const redis = newRedis();
    clients.push(redis);
    const results = createResultStore({ redis, keys: createRedisKeys(uniquePrefix('table')) });
    expect((await collect(statusTableChunks(results))).join('')).toBe(formatTable(STATUS_TABLE_HEADERS, []));
  });
});
