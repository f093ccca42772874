import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import { defineScript, type LuaScript } from '../redis/define-script.js';
import { plaintextSecretCodec } from '../secrets/plaintext-secret-codec.js';
import type { RedisKeys } from './redis-keys.js';
import type { SecretCodec } from './secret-codec.js';

export type PortalState = 'active' | 'needs_reauth';

export type StoredAuth =
  | { type: 'oauth'; accessToken: string; refreshToken: string; expiresAt: number }
  | { type: 'webhook'; webhookUrl: string; clientId: string | undefined };

export interface StoredPortal {
  domain: string;
  restUrl: string;
  botId: number;
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
}

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

/**
 * Only writes when the credentials are still the version the refresher read: a refresh never overwrites a newer
 * pair. KEYS: portal, keyIds (the set of key ids in use). ARGV: readVersion, accessToken, refreshToken,
 * expiresAt, updatedAt, kid (the sealing key's id, joins keyIds; empty when not sealed). Returns 1 when saved.
 */
const SAVE_REFRESHED: LuaScript = {
  name: 'SaveRefreshed',
  numberOfKeys: 2,
  lua: `
if redis.call('HGET', KEYS[1], 'credVersion') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'accessToken', ARGV[2], 'refreshToken', ARGV[3], 'expiresAt', ARGV[4], 'updatedAt', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'credVersion', 1)
if ARGV[6] ~= '' then redis.call('SADD', KEYS[2], ARGV[6]) end
return 1
`,
};

function credentialSource(entry: PortalEntry): string {
  const auth = entry.auth;
  const material =
    auth.type === 'oauth'
      ? ['oauth', auth.accessToken, auth.refreshToken, auth.expiresAt]
      : ['webhook', auth.url, auth.clientId ?? ''];
  return createHash('sha256').update(material.join('\n')).digest('hex');
}

export interface PortalStoreOptions {
  redis: Redis;
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

  function decode(domain: string, raw: Record<string, string>): StoredPortal | undefined {
    if (!raw['domain']) return undefined;
    const auth: StoredAuth =
      raw['authType'] === 'webhook'
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
      botId: Number(raw['botId']),
      memberId: raw['memberId'] ? raw['memberId'] : undefined,
      rateLimit:
        raw['rate'] && raw['burst'] ? { rate: Number(raw['rate']), burst: Number(raw['burst']) } : undefined,
      auth,
      credVersion: Number(raw['credVersion'] ?? 0),
      state: raw['state'] === 'needs_reauth' ? 'needs_reauth' : 'active',
      stateReason: raw['stateReason'] ? raw['stateReason'] : undefined,
    };
  }

  return {
    /**
     * Stores the portals of a validated file. Settings always follow the file. Credentials are replaced only
     * when the file brings different ones than were imported last time: re-running a rollout with the same
     * file must not overwrite tokens the workers refreshed since (refresh tokens are single-use).
     */
    async importPortals(entries: readonly PortalEntry[]): Promise<ImportSummary> {
      const summary: ImportSummary = { created: 0, updated: 0, credentialsReplaced: [], reactivated: [] };
      const chunk = 500;
      for (let i = 0; i < entries.length; i += chunk) {
        const slice = entries.slice(i, i + chunk);
        const read = redis.pipeline();
        for (const entry of slice) read.hmget(keys.portal(entry.domain), 'credSource', 'state', 'domain');
        const current = (await read.exec()) ?? [];
        const write = redis.multi();
        let sealed = false;
        slice.forEach((entry, index) => {
          const [credSource, state, known] = (current[index]?.[1] as (string | null)[] | undefined) ?? [];
          const source = credentialSource(entry);
          const key = keys.portal(entry.domain);
          const fields: Record<string, string> = {
            domain: entry.domain,
            restUrl: entry.restUrl,
            botId: String(entry.botId),
            memberId: entry.memberId ?? '',
            rate: entry.rateLimit ? String(entry.rateLimit.rate) : '',
            burst: entry.rateLimit ? String(entry.rateLimit.burst) : '',
            updatedAt: String(now()),
          };
          if (known) summary.updated++;
          else summary.created++;
          if (credSource !== source) {
            const auth = entry.auth;
            Object.assign(
              fields,
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
                  },
              { credSource: source, state: 'active', stateReason: '' },
            );
            write.hincrby(key, 'credVersion', 1);
            summary.credentialsReplaced.push(entry.domain);
            sealed = true;
            if (state === 'needs_reauth') summary.reactivated.push(entry.domain);
          }
          write.hset(key, fields);
          write.sadd(keys.portals, entry.domain);
        });
        // The key id goes in with the sealed values (same MULTI): the start-up check sees every key in use.
        if (sealed && codec.currentKid !== undefined) write.sadd(keys.keyIds, codec.currentKid);
        await write.exec();
      }
      return summary;
    },

    async get(domain: string): Promise<StoredPortal | undefined> {
      return decode(domain, await redis.hgetall(keys.portal(domain)));
    },

    /** Stores a refreshed token pair if the credentials are still at `readVersion`; false when they moved on. */
    async saveRefreshedTokens(
      domain: string,
      readVersion: number,
      tokens: RefreshedTokens,
    ): Promise<boolean> {
      const saved = await saveRefreshed.run(
        [keys.portal(domain), keys.keyIds],
        [
          String(readVersion),
          codec.seal(tokens.accessToken),
          codec.seal(tokens.refreshToken),
          String(tokens.expiresAt),
          String(now()),
          codec.currentKid ?? '',
        ],
      );
      return saved === 1;
    },

    async markNeedsReauth(domain: string, reason: string): Promise<void> {
      await redis.hset(keys.portal(domain), {
        state: 'needs_reauth',
        stateReason: reason,
        updatedAt: String(now()),
      });
    },

    /** The domains among `domains` that are parked as needs_reauth: one pipelined read of the state field only. */
    async domainsNeedingReauth(domains: readonly string[]): Promise<Set<string>> {
      const parked = new Set<string>();
      for (let i = 0; i < domains.length; i += 2_000) {
        const slice = domains.slice(i, i + 2_000);
        const pipeline = redis.pipeline();
        for (const domain of slice) pipeline.hget(keys.portal(domain), 'state');
        const replies = (await pipeline.exec()) ?? [];
        replies.forEach(([, state], index) => {
          const domain = slice[index];
          if (state === 'needs_reauth' && domain !== undefined) parked.add(domain);
        });
      }
      return parked;
    },

    async listDomains(): Promise<string[]> {
      return (await redis.smembers(keys.portals)).sort();
    },
  };
}
