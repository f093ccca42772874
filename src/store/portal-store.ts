import { createHash, randomUUID } from 'node:crypto';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import { defineScript, type LuaScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import { plaintextSecretCodec } from '../secrets/plaintext-secret-codec.js';
import type { SecretCodec } from '../secrets/secret-codec.js';
import { chooseImportCredentials, pairIssuedAt } from './choose-import-credentials.js';
import {
  estimateIssuedAt,
  indexOAuthCredentials,
  indexSourceCredentials,
  parkCredentials,
  unindexCredentials,
} from './credential-index.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * `uninstalled`: Bitrix24 said the application was removed (ONAPPUNINSTALL); nothing calls the portal.
 * `removed`: an operator or the application's backend removed the portal (`remove-portal`, DELETE /api/portals);
 * nothing calls it until it is imported again (docs/operations.md, "remove-portal: stop calling a portal").
 */
export type PortalState = 'active' | 'needs_reauth' | 'uninstalled' | 'removed';

/** A stored state field as a PortalState (unset or unknown: active). */
function portalStateOf(raw: string | null | undefined): PortalState {
  return raw === 'needs_reauth' || raw === 'uninstalled' || raw === 'removed' ? raw : 'active';
}

/** States in which nothing calls the portal and keep-alive leaves it alone. */
const PARKED_STATES: ReadonlySet<string> = new Set(['needs_reauth', 'uninstalled', 'removed']);

export type StoredAuth =
  | { type: 'oauth'; accessToken: string; refreshToken: string; expiresAt: number }
  | { type: 'webhook'; webhookUrl: string; clientId: string | undefined }
  /**
   * Borrowed: the application's backend owns the OAuth pair and hands out access tokens (docs/tokens.md,
   * "Borrowed tokens"); nothing here holds a refresh token, refreshes or keeps the portal alive.
   */
  | { type: 'source' };

export interface StoredPortal {
  domain: string;
  restUrl: string;
  /** The bot id: given in the portals file, or resolved from `botCode` (undefined until then). */
  botId: number | undefined;
  /** The bot's CODE when the entry named the bot by code (pipeline/resolve-bot-id.ts resolves it once). */
  botCode: string | undefined;
  memberId: string | undefined;
  rateLimit: { rate: number; burst: number } | undefined;
  auth: StoredAuth;
  /** Incremented on every credential change (import or refresh): a refresh only lands on the version it read. */
  credVersion: number;
  state: PortalState;
  stateReason: string | undefined;
}

export interface ImportSummary {
  created: number;
  updated: number;
  /** Domains whose stored credentials were replaced by the file's (new portal or new credentials). */
  credentialsReplaced: string[];
  /** Domains that were `needs_reauth` and got new credentials. */
  reactivated: string[];
  /**
   * Domains whose file brought new credentials, but whose stored ones changed between the import's read and its
   * write (a worker refreshed the token): the stored, newer pair was kept and the file's not written; the other
   * fields were. Importing the file again replaces them (docs/reliability.md, "A re-import racing a refresh").
   */
  credentialsKept: string[];
  /**
   * Domains whose stored OAuth pair was issued later than the file's (an install event or a refresh stored it):
   * the stored pair was kept and the file's older one not written, unless `replaceCredentials`
   * (docs/operations.md, "Re-imports never go back in time").
   */
  credentialsKeptNewer: string[];
  /** Domains that were removed (`remove-portal`, DELETE /api/portals) and are active again. */
  restored: string[];
}

export interface ImportOptions {
  /** Write the file's credentials even when the stored OAuth pair is newer (`rollout --replace-credentials`). */
  replaceCredentials?: boolean;
}

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

/**
 * Only writes when the credentials are still the version the refresher read: a refresh never overwrites a newer
 * pair. Touches the portal's own hash only (one slot on Redis Cluster); the key id and the credential index are
 * global keys, written around it (saveRefreshedTokens). A re-sent call (ioredis re-sends a command whose answer
 * was lost in a reconnect) finds its own refresh token stored and answers as the first run did.
 * KEYS: portal. ARGV: readVersion, accessToken, refreshToken, expiresAt, updatedAt (the refresh time).
 * Returns {1, state} when saved (state: the portal's state field, '' when unset), {0} when the credentials moved on.
 */
const SAVE_REFRESHED: LuaScript = {
  name: 'SaveRefreshed',
  numberOfKeys: 1,
  lua: `
local stored = redis.call('HMGET', KEYS[1], 'credVersion', 'refreshToken', 'state')
local state = stored[3] or ''
if stored[1] ~= ARGV[1] then
  if stored[2] == ARGV[3] then return {1, state} end
  return {0}
end
redis.call('HSET', KEYS[1], 'accessToken', ARGV[2], 'refreshToken', ARGV[3], 'expiresAt', ARGV[4], 'updatedAt', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'credVersion', 1)
return {1, state}
`,
};

/**
 * Parks a portal for re-authorisation, unless its application was uninstalled or the portal removed meanwhile: an
 * uninstall (docs/install-events.md) or a removal says more than a refused token, and a reinstall or re-import is
 * what lifts it. Touches the portal's own hash only.
 * KEYS: portal. ARGV: reason, updatedAt. Returns 1 when parked, 0 when uninstalled or removed (nothing written).
 */
const PARK_PORTAL: LuaScript = {
  name: 'ParkPortal',
  numberOfKeys: 1,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'uninstalled' or state == 'removed' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'needs_reauth', 'stateReason', ARGV[1], 'updatedAt', ARGV[2])
return 1
`,
};

/**
 * Marks a known portal removed (docs/operations.md, "remove-portal: stop calling a portal"): nothing calls it
 * until an import brings it back. Touches the portal's own hash only.
 * KEYS: portal. ARGV: reason, removedAt, removedBy. Returns the previous state ('' unset), or false when unknown.
 */
const REMOVE_PORTAL: LuaScript = {
  name: 'RemovePortal',
  numberOfKeys: 1,
  lua: `
local stored = redis.call('HMGET', KEYS[1], 'domain', 'state')
if not stored[1] then return false end
redis.call('HSET', KEYS[1], 'state', 'removed', 'stateReason', ARGV[1], 'removedAt', ARGV[2], 'removedBy', ARGV[3],
  'updatedAt', ARGV[2])
return stored[2] or ''
`,
};

/**
 * One portal of an import: the settings always; a removed portal is active again; the file's credentials only when they are new (not what was
 * imported last) AND the stored credentials are still the version the import read (compare-and-set on
 * credVersion: a worker's refresh in between wins, see ImportSummary.credentialsKept). Touches the portal's own
 * hash only (one slot on Redis Cluster): the `portals` set and the key id are added before, the credential index
 * after (importPortals). An import re-sent after a lost answer recognises its own write by `importId`.
 * KEYS: portal. ARGV: readVersion (credVersion as read, '' for none), credSource (digest of the file's
 * credentials), importId, n, then n settings items (field, value, ...), then the credential fields (field, value,
 * ...; none when the import saw the file's credentials stored already).
 * Returns {known (1 when the portal existed), outcome ('same' | 'replaced' | 'kept'), previous state ('' unset)}.
 */
const IMPORT_PORTAL: LuaScript = {
  name: 'ImportPortal',
  numberOfKeys: 1,
  lua: `
local stored = redis.call('HMGET', KEYS[1], 'domain', 'state', 'credSource', 'credImport', 'credVersion')
local known = 0
if stored[1] then known = 1 end
local state = stored[2] or ''
local n = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + n))
if state == 'removed' then
  redis.call('HSET', KEYS[1], 'state', 'active', 'stateReason', '', 'removedAt', '', 'removedBy', '')
end
if #ARGV == 4 + n then return {known, 'same', state} end
if stored[3] == ARGV[2] then
  if stored[4] == ARGV[3] then return {known, 'replaced', state} end
  return {known, 'same', state}
end
if (stored[5] or '') ~= ARGV[1] then return {known, 'kept', state} end
redis.call('HSET', KEYS[1], 'credSource', ARGV[2], 'credImport', ARGV[3], unpack(ARGV, 5 + n))
redis.call('HINCRBY', KEYS[1], 'credVersion', 1)
return {known, 'replaced', state}
`,
};

type ImportOutcome = [known: number, outcome: 'same' | 'replaced' | 'kept', state: string];

/** The credential fields of an entry, secrets sealed (a portal that gets them is active again). */
function credentialFieldsWith(codec: SecretCodec, entry: PortalEntry): Record<string, string> {
  const auth = entry.auth;
  // Borrowed (docs/tokens.md, "Borrowed tokens"): no token of any kind is stored, a previous pair is cleared.
  if (auth.type === 'source') {
    const none = { accessToken: '', refreshToken: '', expiresAt: '', webhookUrl: '', clientId: '' };
    return { ...none, authType: 'source', state: 'active', stateReason: '' };
  }
  const fields: Record<string, string> =
    auth.type === 'oauth'
      ? {
          authType: 'oauth',
          accessToken: codec.seal(auth.accessToken),
          refreshToken: codec.seal(auth.refreshToken),
          expiresAt: String(Date.parse(auth.expiresAt)),
          webhookUrl: '',
          clientId: '',
        }
      : {
          authType: 'webhook',
          webhookUrl: codec.seal(auth.url),
          clientId: auth.clientId ?? '',
          accessToken: '',
          refreshToken: '',
          expiresAt: '',
        };
  return { ...fields, state: 'active', stateReason: '' };
}

/** Digest of an entry's credentials; a source entry has none: `nonce` makes it new (a parked portal re-imported). */
export function credentialSource(entry: PortalEntry, nonce = ''): string {
  const auth = entry.auth;
  if (auth.type === 'source') return createHash('sha256').update(`source\n${nonce}`).digest('hex');
  const material =
    auth.type === 'oauth'
      ? ['oauth', auth.accessToken, auth.refreshToken, auth.expiresAt]
      : ['webhook', auth.url, auth.clientId ?? ''];
  return createHash('sha256').update(material.join('\n')).digest('hex');
}

/** How long a botCode found missing on a portal fails its pairs without another imbot.bot.list call. */
export const BOT_RESOLVE_FAILURE_TTL_MS = 10 * 60_000;

export interface PortalStoreOptions {
  redis: RedisClient;
  keys: RedisKeys;
  codec?: SecretCodec;
  now?: () => number;
}

export type PortalStore = ReturnType<typeof createPortalStore>;

/** Portals and their credentials, one Redis hash per portal. */
export function createPortalStore(options: PortalStoreOptions) {
  const { redis, keys } = options;
  const codec = options.codec ?? plaintextSecretCodec;
  const now = options.now ?? Date.now;
  const saveRefreshed = defineScript(redis, SAVE_REFRESHED);
  const importPortal = defineScript(redis, IMPORT_PORTAL);
  const parkPortal = defineScript(redis, PARK_PORTAL);
  const removePortal = defineScript(redis, REMOVE_PORTAL);
  const credentialFields = (entry: PortalEntry) => credentialFieldsWith(codec, entry);

  /**
   * Records the key id values are about to be sealed with, BEFORE they are written (the start-up check must see
   * every key in use; an id recorded for a write that then did not happen is harmless: the check's scan drops it).
   * A separate command: the set is a global key, the values are in each portal's slot.
   */
  async function recordKeyId(): Promise<void> {
    if (codec.currentKid !== undefined) await redis.sadd(keys.keyIds, codec.currentKid);
  }

  function decode(domain: string, raw: Record<string, string>): StoredPortal | undefined {
    if (!raw['domain']) return undefined;
    const auth: StoredAuth =
      raw['authType'] === 'source'
        ? { type: 'source' }
        : raw['authType'] === 'webhook'
          ? {
              type: 'webhook',
              webhookUrl: codec.open(raw['webhookUrl'] ?? ''),
              clientId: raw['clientId'] ? raw['clientId'] : undefined,
            }
          : {
              type: 'oauth',
              accessToken: codec.open(raw['accessToken'] ?? ''),
              refreshToken: codec.open(raw['refreshToken'] ?? ''),
              expiresAt: Number(raw['expiresAt'] ?? 0),
            };
    return {
      domain,
      restUrl: raw['restUrl'] ?? `https://${domain}/rest/`,
      botId: raw['botId']
        ? Number(raw['botId'])
        : raw['botCode'] && raw['resolvedBotCode'] === raw['botCode'] && raw['resolvedBotId']
          ? Number(raw['resolvedBotId'])
          : undefined,
      botCode: raw['botCode'] ? raw['botCode'] : undefined,
      memberId: raw['memberId'] ? raw['memberId'] : undefined,
      rateLimit:
        raw['rate'] && raw['burst'] ? { rate: Number(raw['rate']), burst: Number(raw['burst']) } : undefined,
      auth,
      credVersion: Number(raw['credVersion'] ?? 0),
      state: portalStateOf(raw['state']),
      stateReason: raw['stateReason'] ? raw['stateReason'] : undefined,
    };
  }

  return {
    /**
     * Stores the portals of a validated file. Settings always follow the file. Credentials are replaced only
     * when the file brings different ones than were imported last time: re-running a rollout with the same
     * file must not overwrite tokens the workers refreshed since (refresh tokens are single-use). An OAuth pair
     * issued before the stored one is not written either, unless `replaceCredentials` (chooseImportCredentials;
     * listed in `credentialsKeptNewer`, docs/operations.md, "Re-imports never go back in time"). And only when
     * no worker refreshed them between this import's read and its write (compare-and-set on credVersion,
     * IMPORT_PORTAL): such a portal is listed in `credentialsKept` (docs/reliability.md, "A re-import racing a
     * refresh"). A removed portal is active again (`restored`), back in token keep-alive.
     *
     * Order of the writes, per chunk (Redis Cluster: the `portals` set, the key ids and the credential index are
     * global keys, each portal's hash is in the portal's own slot, so no script or MULTI spans both): the global
     * set and the key id first, then each portal's hash (one script each), then the credential index of the
     * replaced credentials. An import stopped in between leaves a domain in the set without a hash, which
     * readers skip (listDomains, get), and re-running the import completes it; the reverse order could leave a
     * stored portal no listing shows.
     */
    async importPortals(
      entries: readonly PortalEntry[],
      options: ImportOptions = {},
    ): Promise<ImportSummary> {
      const summary: ImportSummary = {
        created: 0,
        updated: 0,
        credentialsReplaced: [],
        reactivated: [],
        credentialsKept: [],
        credentialsKeptNewer: [],
        restored: [],
      };
      const replaceCredentials = options.replaceCredentials ?? false;
      const importId = randomUUID();
      const chunk = 500;
      for (let i = 0; i < entries.length; i += chunk) {
        const slice = entries.slice(i, i + chunk);
        // One command per portal (each in its own slot on a Cluster); sent at once, so pipelined all the same.
        const current = await Promise.all(
          slice.map((entry) =>
            redis.hmget(
              keys.portal(entry.domain),
              'credSource',
              'credVersion',
              'domain',
              'authType',
              'expiresAt',
              'state',
            ),
          ),
        );
        const writes = slice.map((entry, index) => {
          const [credSource, credVersion, known, authType, expiresAt, state] = current[index] ?? [];
          // A source portal parked for its source's answer (404, another portal's token) has no credentials of
          // its own to change: importing it again is what lifts the park (docs/tokens.md, "Borrowed tokens").
          const relift = entry.auth.type === 'source' && authType === 'source' && state === 'needs_reauth';
          const source = relift ? credentialSource(entry, importId) : credentialSource(entry);
          // Never back in time: an older OAuth pair than the stored one is not written (choose-import-credentials.ts).
          const choice = chooseImportCredentials(
            {
              known: Boolean(known),
              authType: authType ?? undefined,
              expiresAt: expiresAt ? Number(expiresAt) : undefined,
              state: state ?? undefined,
              sameAsLastImport: credSource === source,
            },
            entry.auth,
            { replaceCredentials },
          );
          const settings: Record<string, string> = {
            domain: entry.domain,
            restUrl: entry.restUrl,
            botId: entry.botId === undefined ? '' : String(entry.botId),
            botCode: entry.botCode ?? '',
            memberId: entry.memberId ?? '',
            rate: entry.rateLimit ? String(entry.rateLimit.rate) : '',
            burst: entry.rateLimit ? String(entry.rateLimit.burst) : '',
            updatedAt: String(now()),
          };
          // Sealed only when they may be written: the file's credentials differ from the last imported ones and
          // are not older than the stored pair.
          const credentials = choice === 'replace' ? credentialFields(entry) : undefined;
          const storedIssuedAt =
            authType === 'oauth' && expiresAt ? pairIssuedAt(Number(expiresAt)) : undefined;
          return {
            entry,
            readVersion: credVersion ?? '',
            source,
            settings,
            credentials,
            choice,
            storedIssuedAt,
          };
        });
        const global = redis.multi();
        global.sadd(keys.portals, ...slice.map((entry) => entry.domain));
        if (codec.currentKid !== undefined && writes.some((w) => w.credentials !== undefined)) {
          global.sadd(keys.keyIds, codec.currentKid);
        }
        await global.exec();
        const outcomes = await Promise.all(
          writes.map(async ({ entry, readVersion, source, settings, credentials }) => {
            const settingItems = Object.entries(settings).flat();
            return (await importPortal.run(
              [keys.portal(entry.domain)],
              [
                readVersion,
                source,
                importId,
                settingItems.length,
                ...settingItems,
                ...(credentials === undefined ? [] : Object.entries(credentials).flat()),
              ],
            )) as ImportOutcome;
          }),
        );
        const index = redis.multi();
        let indexed = false;
        outcomes.forEach(([known, outcome, state], at) => {
          const entry = writes[at]?.entry;
          if (entry === undefined) return;
          if (known === 1) summary.updated++;
          else summary.created++;
          if (outcome === 'kept') summary.credentialsKept.push(entry.domain);
          if (writes[at]?.choice === 'stored_newer') summary.credentialsKeptNewer.push(entry.domain);
          if (state === 'removed') {
            summary.restored.push(entry.domain);
            // Back in token keep-alive with its stored pair (removal took it out), unless replaced below.
            const storedIssuedAt = writes[at]?.storedIssuedAt;
            if (outcome !== 'replaced' && storedIssuedAt !== undefined) {
              indexOAuthCredentials(index, keys, entry.domain, Math.min(storedIssuedAt, now()), true);
              indexed = true;
            }
          }
          if (outcome !== 'replaced') return;
          summary.credentialsReplaced.push(entry.domain);
          if (state === 'needs_reauth') summary.reactivated.push(entry.domain);
          const auth = entry.auth;
          if (auth.type === 'oauth') {
            const issuedAt = estimateIssuedAt(Date.parse(auth.expiresAt), now());
            indexOAuthCredentials(index, keys, entry.domain, issuedAt, true);
          } else if (auth.type === 'source') {
            indexSourceCredentials(index, keys, entry.domain);
          } else {
            unindexCredentials(index, keys, entry.domain);
          }
          indexed = true;
        });
        if (indexed) await index.exec(); // a MULTI not exec'd sends nothing
      }
      return summary;
    },

    async get(domain: string): Promise<StoredPortal | undefined> {
      return decode(domain, await redis.hgetall(keys.portal(domain)));
    },

    /**
     * Stores a refreshed token pair if the credentials are still at `readVersion`; false when they moved on. The
     * key id is recorded before (recordKeyId), the credential index after the portal's hash is written (global
     * keys: not in the portal's script on Redis Cluster).
     */
    async saveRefreshedTokens(
      domain: string,
      readVersion: number,
      tokens: RefreshedTokens,
    ): Promise<boolean> {
      const accessToken = codec.seal(tokens.accessToken);
      const refreshToken = codec.seal(tokens.refreshToken);
      const refreshedAt = now();
      await recordKeyId();
      const [saved, state] = (await saveRefreshed.run(
        [keys.portal(domain)],
        [String(readVersion), accessToken, refreshToken, String(tokens.expiresAt), String(refreshedAt)],
      )) as [number, string?];
      if (saved !== 1) return false;
      const index = redis.multi();
      index.zadd(keys.credentialsByRefresh, refreshedAt, domain);
      if (state !== undefined && PARKED_STATES.has(state)) index.zrem(keys.keepAliveDue, domain);
      else index.zadd(keys.keepAliveDue, refreshedAt, domain);
      await index.exec();
      return true;
    },

    /**
     * Parks the portal; then takes it out of token keep-alive (global keys: a separate MULTI on Redis Cluster; a
     * portal parked but still listed there is dropped by the keep-alive loop when it comes up).
     */
    async markNeedsReauth(domain: string, reason: string): Promise<void> {
      // An uninstalled portal stays uninstalled (a job's refresh that failed because of the uninstall).
      await parkPortal.run([keys.portal(domain)], [reason, String(now())]);
      const index = redis.multi();
      parkCredentials(index, keys, domain);
      await index.exec();
    },

    /**
     * The domains among `domains` that are parked as needs_reauth: the state field only, 2,000 reads sent at once
     * (not a pipeline: each portal has its own hash tag, and a Redis Cluster runs a pipeline on one slot).
     */
    async domainsNeedingReauth(domains: readonly string[]): Promise<Set<string>> {
      const parked = new Set<string>();
      for (let i = 0; i < domains.length; i += 2_000) {
        const slice = domains.slice(i, i + 2_000);
        const replies = await Promise.all(slice.map((domain) => redis.hget(keys.portal(domain), 'state')));
        replies.forEach((state, index) => {
          const domain = slice[index];
          // An uninstalled portal is parked too: its application is gone (docs/install-events.md).
          if (state !== null && PARKED_STATES.has(state) && domain !== undefined) parked.add(domain);
        });
      }
      return parked;
    },

    /**
     * Every stored portal's domain, sorted. A domain in the `portals` set without its hash (an import stopped
     * between its two writes, see importPortals) is skipped.
     */
    async listDomains(): Promise<string[]> {
      const members = (await redis.smembers(keys.portals)).sort();
      const stored: string[] = [];
      for (let i = 0; i < members.length; i += 2_000) {
        const slice = members.slice(i, i + 2_000);
        const exists = await Promise.all(slice.map((domain) => redis.exists(keys.portal(domain))));
        slice.forEach((domain, at) => {
          if (exists[at] === 1) stored.push(domain);
        });
      }
      return stored;
    },

    /**
     * What authenticates the portal's application events (docs/install-events.md): the `application_token`
     * kept from its last install (opened), its member_id and state; undefined for an unknown portal.
     */
    async eventAuth(
      domain: string,
    ): Promise<
      { applicationToken: string | undefined; memberId: string | undefined; state: PortalState } | undefined
    > {
      const [known, sealedToken, memberId, state] = await redis.hmget(
        keys.portal(domain),
        'domain',
        'appToken',
        'memberId',
        'state',
      );
      if (!known) return undefined;
      return {
        applicationToken: sealedToken ? codec.open(sealedToken) : undefined,
        memberId: memberId ? memberId : undefined,
        state: portalStateOf(state),
      };
    },

    /** Keeps the install's `application_token` (sealed) and member_id, after importPortals stored the portal. */
    async recordInstall(
      domain: string,
      install: { applicationToken: string; memberId: string },
    ): Promise<void> {
      // The key id is recorded first, then the sealed value: two slots on a Redis Cluster (src/store/redis-keys.ts),
      // so not one MULTI; a crash between leaves an extra id, which the start-up check accepts.
      if (codec.currentKid !== undefined) await redis.sadd(keys.keyIds, codec.currentKid);
      await redis.hset(keys.portal(domain), {
        appToken: codec.seal(install.applicationToken),
        memberId: install.memberId,
        installedAt: String(now()),
        uninstalledAt: '',
      });
    },

    /** ONAPPUNINSTALL: the portal is `uninstalled` until an install (or a file) brings new credentials. */
    async markUninstalled(domain: string, reason: string): Promise<void> {
      await redis.hset(keys.portal(domain), {
        state: 'uninstalled',
        stateReason: reason,
        uninstalledAt: String(now()),
        updatedAt: String(now()),
      });
      // Out of token keep-alive: nothing to refresh for an application that is gone (docs/tokens.md).
      const index = redis.multi();
      parkCredentials(index, keys, domain);
      await index.exec();
    },

    /** Stores the bot id resolved for `botCode`; a later entry with another botCode resolves again. */
    async saveResolvedBotId(domain: string, botCode: string, botId: number): Promise<void> {
      await redis.hset(keys.portal(domain), {
        resolvedBotCode: botCode,
        resolvedBotId: String(botId),
        botResolveFailedCode: '',
        botResolveFailure: '',
      });
    },

    /**
     * Remembers that `botCode` is not a bot of the portal, so its other pairs fail without asking again; for
     * BOT_RESOLVE_FAILURE_TTL_MS only, so a `retry` after the bot was created asks again.
     */
    async saveBotResolveFailure(domain: string, botCode: string, message: string): Promise<void> {
      await redis.hset(keys.portal(domain), {
        botResolveFailedCode: botCode,
        botResolveFailure: message,
        botResolveFailedAt: String(now()),
      });
    },

    /** The failure stored for `botCode` by saveBotResolveFailure (while it is recent), or undefined. */
    async botResolveFailure(domain: string, botCode: string): Promise<string | undefined> {
      const [failedCode, message, at] = await redis.hmget(
        keys.portal(domain),
        'botResolveFailedCode',
        'botResolveFailure',
        'botResolveFailedAt',
      );
      const recent = now() - Number(at ?? 0) < BOT_RESOLVE_FAILURE_TTL_MS;
      return failedCode === botCode && message && recent ? message : undefined;
    },

    /** One worker at a time resolves a portal's botCode: true when this caller holds the claim for `ttlMs`. */
    async claimBotResolve(domain: string, ttlMs: number): Promise<boolean> {
      return (await redis.set(keys.botResolveLock(domain), '1', 'PX', ttlMs, 'NX')) === 'OK';
    },

    async releaseBotResolve(domain: string): Promise<void> {
      await redis.del(keys.botResolveLock(domain));
    },

    /** The portal's state only (one field read), undefined for an unknown portal. */
    async stateOf(domain: string): Promise<PortalState | undefined> {
      const state = await redis.hget(keys.portal(domain), 'state');
      if (state === null) return undefined;
      return portalStateOf(state);
    },

    /**
     * Marks a known portal `removed` with when and by whom (docs/operations.md, "remove-portal: stop calling a
     * portal"), then takes it out of token keep-alive (global keys: a separate MULTI on Redis Cluster). Returns
     * false for an unknown portal (nothing written).
     */
    async markRemoved(domain: string, removal: { by: string; reason?: string }): Promise<boolean> {
      const at = now();
      const reason =
        removal.reason ??
        `PORTAL_REMOVED: removed by ${removal.by} at ${new Date(at).toISOString()}; import it again to call it`;
      const previous = (await removePortal.run([keys.portal(domain)], [reason, String(at), removal.by])) as
        | string
        | null;
      if (previous === null) return false;
      const index = redis.multi();
      parkCredentials(index, keys, domain);
      await index.exec();
      return true;
    },

    /** The domains among `domains` that are removed: the state field only, 2,000 reads sent at once. */
    async domainsRemoved(domains: readonly string[]): Promise<Set<string>> {
      const removed = new Set<string>();
      for (let i = 0; i < domains.length; i += 2_000) {
        const slice = domains.slice(i, i + 2_000);
        const replies = await Promise.all(slice.map((domain) => redis.hget(keys.portal(domain), 'state')));
        replies.forEach((state, index) => {
          const domain = slice[index];
          if (state === 'removed' && domain !== undefined) removed.add(domain);
        });
      }
      return removed;
    },
  };
}
