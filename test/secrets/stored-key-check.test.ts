import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeSecretKey, type SecretKey } from '../../src/config/secret-key.js';
import { type PortalEntry, portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { createKeyringSecretCodec } from '../../src/secrets/keyring-secret-codec.js';
import { parseSealedSecret } from '../../src/secrets/sealed-secret.js';
import { checkStoredKeyIds, UnknownKeyIdsError } from '../../src/store/check-stored-key-ids.js';
import { createPortalStore } from '../../src/store/portal-store.js';
import { createRedisKeys, type RedisKeys } from '../../src/store/redis-keys.js';
import { newRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { type CliProcess, runCli, spawnCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';
import { withoutOwnershipNotice } from '../support/without-ownership-notice.js';

const EXAMPLE_APPS = join(import.meta.dirname, '../../examples/apps.json');

/** No secret settings inherited from the developer's shell: each test sets what it means to. */
const CLEAN_ENV = {
  LOG_LEVEL: 'silent',
  ROLLOUT_CONFIG: '',
  ROLLOUT_SECRET_KEY: '',
  ROLLOUT_SECRET_KEY_PREVIOUS: '',
  ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '',
  ROLLOUT_API_TOKEN: '',
  ROLLOUT_HASH_SECRET: 'stored-key-check-hash-secret',
};

interface Key {
  text: string;
  key: SecretKey;
}

function newKey(): Key {
  const text = randomBytes(32).toString('base64');
  const decoded = decodeSecretKey(text);
  if (!decoded.ok) throw new Error(decoded.problem);
  return { text, key: decoded.key };
}

/** Each tag is a later authorisation than the one before it (re-imports never go back in time). */
const ISSUED_IN_ORDER = ['one', 'two', 'three'];

function portalsJson(count: number, tag: string): unknown[] {
  const day = ISSUED_IN_ORDER.indexOf(tag) + 1;
  return Array.from({ length: count }, (_, i) => ({
    domain: `keycheck${i}.example.com`,
    botId: 7,
    auth: {
      type: 'oauth',
      accessToken: `access-${tag}-${i}`,
      refreshToken: `refresh-${tag}-${i}`,
      expiresAt: `2030-01-0${day}T00:00:00Z`,
    },
  }));
}

function entries(count: number, tag: string): PortalEntry[] {
  return portalsFileSchema({ allowHttp: false }).parse(portalsJson(count, tag));
}

function writePortals(count: number, tag: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'key-check-')), 'portals.json');
  writeFileSync(file, JSON.stringify(portalsJson(count, tag)));
  return file;
}

let redis: Redis;
let prefix: string;
let keys: RedisKeys;
let env: Record<string, string>;
let children: CliProcess[] = [];
beforeEach(() => {
  redis = newRedis();
  prefix = uniquePrefix('keycheck');
  keys = createRedisKeys(prefix);
  env = { ...CLEAN_ENV, REDIS_URL: testRedisUrl(), ROLLOUT_PREFIX: prefix };
});
afterEach(async () => {
  const mine = children;
  children = [];
  for (const cli of mine) {
    if (!cli.alive()) continue;
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  await redis.quit();
});

/** Stores portals sealed with `key`, as a rollout with that key does. */
async function storeSealed(key: Key, count = 2, tag = 'one'): Promise<void> {
  await createPortalStore({
    redis,
    keys,
    codec: createKeyringSecretCodec({ current: key.key }),
  }).importPortals(entries(count, tag));
}

function startCli(args: string[], extra: Record<string, string>): CliProcess {
  const cli = spawnCli(args, { ...env, ...extra });
  children.push(cli);
  return cli;
}

/** Waits until `check` holds or the process has exited (the caller's assertions then say what went wrong). */
async function until(check: () => boolean, cli: CliProcess, timeoutMs = 40_000): Promise<void> {
  await waitFor(() => check() || !cli.alive(), {
    timeoutMs,
    intervalMs: 50,
    message: 'the process to print what the test waits for',
  });
}

function refusal(what: string, stored: Key, current: Key, count = 2): string {
  return (
    `imbot-rollout: ${what} refuses to start: stored credentials are sealed with key id ${stored.key.kid} ` +
    `(${count} portals), which is neither ROLLOUT_SECRET_KEY (key id ${current.key.kid}) nor in ` +
    'ROLLOUT_SECRET_KEY_PREVIOUS (not set); every pair of those portals would fail. Set the key with that id as ' +
    'ROLLOUT_SECRET_KEY or in ROLLOUT_SECRET_KEY_PREVIOUS; if it is lost, run `imbot-rollout rotate-key ' +
    '--drop-unreadable` and import new credentials with `rollout --portals`\n'
  );
}

describe('key ids in use are recorded when secrets are sealed', () => {
  it('records the sealing key id on import and on a token refresh', async () => {
    const a = newKey();
    await storeSealed(a);
    expect(await redis.smembers(keys.keyIds)).toEqual([a.key.kid]);
    const b = newKey();
    const store = createPortalStore({
      redis,
      keys,
      codec: createKeyringSecretCodec({ current: b.key, previous: [a.key] }),
    });
    const portal = await store.get('keycheck0.example.com');
    expect(
      await store.saveRefreshedTokens('keycheck0.example.com', portal?.credVersion ?? -1, {
        accessToken: 'fresh-access',
        refreshToken: 'fresh-refresh',
        expiresAt: Date.now() + 3_600_000,
      }),
    ).toBe(true);
    expect((await redis.smembers(keys.keyIds)).sort()).toEqual([a.key.kid, b.key.kid].sort());
  });

  it('the check scans when nothing was recorded (data sealed before) and corrects a stale record', async () => {
    const a = newKey();
    const b = newKey();
    await storeSealed(a);
    await redis.del(keys.keyIds);
    const secrets = (key: Key, previous?: Key) => ({
      key: key.text,
      ...(previous ? { previousKey: previous.text } : {}),
      insecurePlaintext: false,
    });
    const refused = await checkStoredKeyIds({ redis, keys, secrets: secrets(b), what: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UnknownKeyIdsError);
    expect([...(refused as UnknownKeyIdsError).unknown]).toEqual([[a.key.kid, 2]]);
    expect(await redis.smembers(keys.keyIds)).toEqual([a.key.kid]); // recorded by the scan
    await checkStoredKeyIds({ redis, keys, secrets: secrets(b, a), what: 'x' });
    // A key id recorded but no longer used by any value (re-imported, rotated) does not block a start.
    await redis.sadd(keys.keyIds, 'staleKid');
    await checkStoredKeyIds({ redis, keys, secrets: secrets(a), what: 'x' });
    expect(await redis.smembers(keys.keyIds)).toEqual([a.key.kid]);
    // Sealed values and no key at all (ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1): refused too.
    const none = await checkStoredKeyIds({
      redis,
      keys,
      secrets: { insecurePlaintext: true },
      what: 'x',
    }).catch((e: unknown) => e);
    expect((none as Error).message).toContain(
      `key id ${a.key.kid} (2 portals), but ROLLOUT_SECRET_KEY is not set`,
    );
  });
});

describe('worker, rollout and serve refuse a key that does not open what is stored', () => {
  it('`worker` refuses to start, naming the key ids and never the keys (exit 2)', async () => {
    const a = newKey();
    const b = newKey();
    await storeSealed(a);
    const result = await runCli(['worker'], { ...env, ROLLOUT_SECRET_KEY: b.text }, 20_000);
    expect(result.stderr).toBe(refusal('the worker', a, b));
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain(a.text);
    expect(result.stderr).not.toContain(b.text);
  });

  it('`serve` refuses to start (exit 2)', async () => {
    const a = newKey();
    const b = newKey();
    await storeSealed(a);
    const result = await runCli(['serve', '--port', '0'], { ...env, ROLLOUT_SECRET_KEY: b.text }, 20_000);
    expect(result.stderr).toBe(refusal('serve', a, b));
    expect(result.code).toBe(2);
  });

  it('`rollout` refuses before storing anything: changed credentials keep their old sealed value', async () => {
    const a = newKey();
    const b = newKey();
    const first = await runCli(['rollout', '--apps', EXAMPLE_APPS, '--portals', writePortals(2, 'one')], {
      ...env,
      ROLLOUT_SECRET_KEY: a.text,
    });
    expect(withoutOwnershipNotice(first.stderr)).toBe('');
    expect(first.code).toBe(0);
    const before = await redis.hgetall(keys.portal('keycheck0.example.com'));
    expect(parseSealedSecret(before['accessToken'] ?? '')?.kid).toBe(a.key.kid);
    const pairKeys = (await redis.zrange(keys.pairs, 0, -1)).length;

    // The portal's credentials changed (new tokens in the file), and the key is the wrong one.
    const wrong = await runCli(['rollout', '--apps', EXAMPLE_APPS, '--portals', writePortals(2, 'two')], {
      ...env,
      ROLLOUT_SECRET_KEY: b.text,
    });
    expect(wrong.stderr).toBe(refusal('rollout', a, b));
    expect(wrong.code).toBe(2);
    expect(await redis.hgetall(keys.portal('keycheck0.example.com'))).toEqual(before);
    expect(await redis.smembers(keys.keyIds)).toEqual([a.key.kid]);
    expect(await redis.zrange(keys.pairs, 0, -1)).toHaveLength(pairKeys);

    // With the old key as ROLLOUT_SECRET_KEY_PREVIOUS the same rollout goes ahead and seals with the new key.
    const right = await runCli(['rollout', '--apps', EXAMPLE_APPS, '--portals', writePortals(2, 'two')], {
      ...env,
      ROLLOUT_SECRET_KEY: b.text,
      ROLLOUT_SECRET_KEY_PREVIOUS: a.text,
    });
    expect(withoutOwnershipNotice(right.stderr)).toBe('');
    expect(right.code).toBe(0);
    const after = await redis.hgetall(keys.portal('keycheck0.example.com'));
    expect(parseSealedSecret(after['accessToken'] ?? '')?.kid).toBe(b.key.kid);
  }, 90_000);

  it('after rotate-key only the new key is needed; a lost key is dropped with --drop-unreadable', async () => {
    const a = newKey();
    const b = newKey();
    await storeSealed(a);
    const rotated = await runCli(['rotate-key'], {
      ...env,
      ROLLOUT_SECRET_KEY: b.text,
      ROLLOUT_SECRET_KEY_PREVIOUS: a.text,
    });
    expect(rotated.code).toBe(0);
    expect(await redis.smembers(keys.keyIds)).toEqual([b.key.kid]);
    const worker = startCli(['worker', '--concurrency', '1'], { ROLLOUT_SECRET_KEY: b.text });
    await until(() => worker.output().includes('worker: started'), worker);
    expect(worker.output()).toContain('worker: started');

    // Key b is lost: c replaces it.
    const c = newKey();
    const dropped = await runCli(['rotate-key', '--drop-unreadable'], { ...env, ROLLOUT_SECRET_KEY: c.text });
    expect(dropped.stdout).toContain('0 failed');
    expect(dropped.stdout).toContain('dropped the unreadable credentials of 2 portal(s)');
    expect(dropped.code).toBe(0);
    expect(await redis.smembers(keys.keyIds)).toEqual([]);
    const raw = await redis.hgetall(keys.portal('keycheck1.example.com'));
    expect(raw).toMatchObject({ accessToken: '', refreshToken: '', state: 'needs_reauth' });
    expect(raw['stateReason']).toMatch(/^CREDENTIALS_UNREADABLE: /);
    const imported = await runCli(['rollout', '--portals', writePortals(2, 'three')], {
      ...env,
      ROLLOUT_SECRET_KEY: c.text,
    });
    expect(withoutOwnershipNotice(imported.stderr)).toBe('');
    expect(imported.stdout).toContain('new credentials for 2 portal(s)');
    expect(await redis.hget(keys.portal('keycheck1.example.com'), 'state')).toBe('active');
    expect(await redis.smembers(keys.keyIds)).toEqual([c.key.kid]);
  }, 90_000);
});

describe('a failed job is never silent', () => {
  it('the worker logs a job that fails outside the pair processor at error, with its code', async () => {
    const a = newKey();
    const queued = await runCli(['rollout', '--apps', EXAMPLE_APPS, '--portals', writePortals(1, 'one')], {
      ...env,
      ROLLOUT_SECRET_KEY: a.text,
    });
    expect(queued.code).toBe(0);
    // A sealed value changed in Redis: authentication fails when the worker opens it.
    const portalKey = keys.portal('keycheck0.example.com');
    const sealed = (await redis.hget(portalKey, 'accessToken')) ?? '';
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    await redis.hset(portalKey, 'accessToken', `${sealed.slice(0, -2)}${last}${sealed.slice(-1)}`);

    const worker = startCli(['worker', '--concurrency', '1'], {
      ROLLOUT_SECRET_KEY: a.text,
      LOG_LEVEL: 'warn',
    });
    await until(() => worker.output().includes('"msg":"job failed"'), worker);
    const line = worker
      .output()
      .split('\n')
      .find((l) => l.includes('"msg":"job failed"'));
    expect(line, worker.output()).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 50,
      domain: 'keycheck0.example.com',
      error: { code: 'JOB_FAILED', cause: 'SecretOpenError tampered' },
    });
    expect(worker.output()).not.toContain(a.text);
  }, 90_000);
});
