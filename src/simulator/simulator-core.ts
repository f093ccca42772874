import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bitrixTime } from './bitrix-time.js';
import {
  type ChatAppContext,
  type MethodResult,
  registerChatApp,
  unregisterChatApp,
  updateChatApp,
} from './chat-app-methods.js';
import { LeakyBucket } from './leaky-bucket.js';
import type { ResolvedSimulatorOptions } from './resolve-simulator-options.js';
import { createSeededRandom, randomHex } from './seeded-random.js';
import { bitrixErrorOutcome, jsonOutcome, type SimOutcome } from './sim-outcome.js';
import type { SimPortal } from './sim-portal.js';
import { copyStats, createEmptyStats } from './simulator-stats.js';
import type {
  PortalFileEntry,
  SimFaults,
  SimPortalSeed,
  SimPortalView,
  SimulatorControl,
  SimulatorStats,
} from './simulator-types.js';
import { TokenRegistry } from './token-registry.js';
import { UnknownPortalError } from './unknown-portal-error.js';

/** One REST call as the HTTP layer hands it over. */
export interface RestRequest {
  readonly domain: string;
  /** Set for `/rest/<user>/<code>/<method>.json` (inbound webhook). */
  readonly webhook: { readonly user: string; readonly code: string } | null;
  readonly method: string;
  readonly params: Record<string, unknown>;
}

type MethodHandler = (portal: SimPortal, owner: string, params: Record<string, unknown>) => MethodResult;

const DEFAULT_SLOW_MS = 3000;
const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const oauthParamsSchema = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  refresh_token: z.string().optional(),
});

/**
 * The simulated Bitrix24 cloud: portals, chat apps, tokens, limits and faults, without any HTTP. Every method is
 * synchronous; delays are returned in the outcome for the HTTP layer to apply. Nothing here logs, and no
 * answer or error message contains a token, a refresh token, the client secret or a webhook code.
 */
export class SimulatorCore {
  /** Keyed by the lower-case domain: host names are case-insensitive. */
  readonly #portals = new Map<string, SimPortal>();
  readonly #tokens: TokenRegistry;
  readonly #faultRandom: () => number;
  readonly #now: () => number;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #methods: ReadonlyMap<string, MethodHandler>;
  readonly #stats: SimulatorStats = createEmptyStats();
  /** A Map, not the stats object: method names come from the URL (think `__proto__`). */
  readonly #callsByMethod = new Map<string, number>();
  #globalFaults: SimFaults;
  #latencyMs: number;
  #tokenTtlSeconds: number;
  #lastAppId = 0;
  #baseUrl = 'http://127.0.0.1';

  readonly control: SimulatorControl;

  constructor(options: ResolvedSimulatorOptions) {
    this.#now = options.now;
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#globalFaults = options.faults;
    this.#latencyMs = options.latencyMs;
    this.#tokenTtlSeconds = options.tokenTtlSeconds;
    this.#tokens = new TokenRegistry(createSeededRandom(options.seed ^ 0x9e3779b9));
    this.#faultRandom = createSeededRandom(options.seed ^ 0x85ebca6b);
    const webhookRandom = createSeededRandom(options.seed ^ 0x27d4eb2f);
    const startedAt = this.#now();
    options.seeds.forEach((seed, i) => {
      this.#addPortal(seed, i + 1, options, webhookRandom, startedAt);
    });
    const context: ChatAppContext = {
      stats: this.#stats,
      nextAppId: () => {
        this.#lastAppId += 1;
        return this.#lastAppId;
      },
      now: this.#now,
    };
    const withContext =
      (fn: typeof registerChatApp): MethodHandler =>
      (portal, owner, params) =>
        fn(context, portal, owner, params);
    this.#methods = new Map<string, MethodHandler>([
      ['imbot.app.register', withContext(registerChatApp)],
      ['imbot.app.update', withContext(updateChatApp)],
      ['imbot.app.unregister', withContext(unregisterChatApp)],
      ['imbot.bot.list', (portal) => ({ ok: true, result: this.#botList(portal) })],
      ['server.time', () => ({ ok: true, result: new Date(this.#now()).toISOString() })],
      [
        'profile',
        () => ({ ok: true, result: { ID: '1', ADMIN: true, NAME: 'Simulated', LAST_NAME: 'Admin' } }),
      ],
      [
        'app.info',
        // Never echo the owner of a webhook call: it may be the webhook code.
        (portal) => ({
          ok: true,
          result: {
            ID: 1,
            CODE: portal.auth === 'oauth' ? this.#clientId : 'webhook',
            VERSION: 1,
            STATUS: 'L',
            INSTALLED: true,
          },
        }),
      ],
    ]);
    this.control = this.#createControl();
  }

  /** The server's base URL, known once it listens (used in portalsFile() and OAuth answers). */
  setBaseUrl(url: string): void {
    this.#baseUrl = url;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  #addPortal(
    seed: SimPortalSeed,
    index: number,
    options: ResolvedSimulatorOptions,
    webhookRandom: () => number,
    startedAt: number,
  ): void {
    const bucket = seed.bucket ?? options.bucket;
    const auth = seed.auth ?? 'oauth';
    const portal: SimPortal = {
      domain: seed.domain,
      botId: seed.botId ?? 100 + index,
      memberId: createHash('md5').update(seed.domain).digest('hex'),
      auth,
      webhookUser: '1',
      webhookCode: auth === 'webhook' ? randomHex(webhookRandom, 32) : null,
      state: seed.state ?? 'active',
      tokenTtlSeconds: seed.tokenTtlSeconds ?? null,
      faults: seed.faults ?? null,
      bucket: new LeakyBucket(bucket.burst, bucket.drainPerSecond),
      apps: new Map(),
      operationLimits: new Map(),
      calls: 0,
      queryLimitExceeded: 0,
      duplicates: 0,
      refreshes: 0,
      requestTimes: [],
      accessToken: null,
      refreshToken: null,
    };
    this.#portals.set(portal.domain.toLowerCase(), portal);
    if (auth === 'oauth') {
      const expiresAt = seed.accessTokenExpired ? startedAt - 60_000 : startedAt + this.#ttlOf(portal) * 1000;
      this.#tokens.issue(portal, this.#clientId, expiresAt);
    }
  }

  #ttlOf(portal: SimPortal): number {
    return portal.tokenTtlSeconds ?? this.#tokenTtlSeconds;
  }

  #portalOrThrow(domain: string): SimPortal {
    const portal = this.#portals.get(domain.toLowerCase());
    if (portal === undefined) throw new UnknownPortalError(domain);
    return portal;
  }

  #botList(portal: SimPortal): Record<string, unknown> {
    return {
      [String(portal.botId)]: {
        ID: String(portal.botId),
        NAME: 'Simulated bot',
        CODE: 'simbot',
        OPENLINE: 'N',
      },
    };
  }

  // ---------------------------------------------------------------- REST

  /**
   * Order of checks: unknown portal (404 ERROR_PORTAL_NOT_FOUND, a simulator-only code), PORTAL_DELETED,
   * authentication (webhook code / access token), portal state (OVERLOAD_LIMIT, ACCESS_DENIED), the leaky bucket
   * (QUERY_LIMIT_EXCEEDED), unknown method (ERROR_METHOD_NOT_FOUND), OPERATION_TIME_LIMIT, injected faults,
   * then the method itself.
   */
  rest(request: RestRequest): SimOutcome {
    const startMs = this.#now();
    const latency = this.#latencyMs;
    const portal = this.#portals.get(request.domain.toLowerCase());
    if (portal === undefined) {
      return bitrixErrorOutcome(404, 'ERROR_PORTAL_NOT_FOUND', 'Portal not found', latency);
    }
    const method = request.method.toLowerCase();
    this.#stats.calls += 1;
    this.#callsByMethod.set(method, (this.#callsByMethod.get(method) ?? 0) + 1);
    portal.calls += 1;
    if (portal.state === 'deleted') {
      return bitrixErrorOutcome(500, 'PORTAL_DELETED', 'Portal was deleted', latency);
    }
    const owner = this.#authenticate(portal, request, startMs);
    if (typeof owner !== 'string') return owner;
    portal.requestTimes.push(startMs);
    if (portal.state === 'overloaded') {
      return bitrixErrorOutcome(503, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload', latency);
    }
    if (portal.state === 'access_denied') {
      return bitrixErrorOutcome(
        403,
        'ACCESS_DENIED',
        'REST API is available only on commercial plans',
        latency,
      );
    }
    if (!portal.bucket.tryTake(startMs)) {
      this.#stats.queryLimitExceeded += 1;
      portal.queryLimitExceeded += 1;
      return bitrixErrorOutcome(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests', latency);
    }
    const handler = this.#methods.get(method);
    if (handler === undefined) {
      return bitrixErrorOutcome(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!', latency);
    }
    const blockedUntil = portal.operationLimits.get(method);
    if (blockedUntil !== undefined && startMs / 1000 < blockedUntil) {
      return jsonOutcome(
        429,
        {
          error: 'OPERATION_TIME_LIMIT',
          error_description: 'Method is blocked due to operation time limit.',
          time: bitrixTime(startMs, this.#now(), blockedUntil, 480),
        },
        latency,
      );
    }
    const faults = portal.faults === null ? this.#globalFaults : { ...this.#globalFaults, ...portal.faults };
    if (this.#draw(faults.http500Rate)) {
      this.#stats.injected.http500 += 1;
      return bitrixErrorOutcome(500, 'INTERNAL_SERVER_ERROR', 'Internal server error', latency);
    }
    if (this.#draw(faults.nonJsonRate)) {
      this.#stats.injected.nonJson += 1;
      return { kind: 'answer', status: 502, contentType: 'text/html', body: HTML_502, delayMs: latency };
    }
    if (this.#draw(faults.queryLimitRate)) {
      this.#stats.injected.queryLimit += 1;
      return bitrixErrorOutcome(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests', latency);
    }
    const outcome = handler(portal, owner, request.params);
    if (this.#draw(faults.dropAfterWorkRate)) {
      this.#stats.injected.dropped += 1;
      return { kind: 'drop', delayMs: latency };
    }
    let delayMs = latency;
    if (this.#draw(faults.slowRate)) {
      this.#stats.injected.slow += 1;
      delayMs += faults.slowMs ?? DEFAULT_SLOW_MS;
    }
    if (!outcome.ok) return bitrixErrorOutcome(400, outcome.error.code, outcome.error.description, delayMs);
    const resetAt = Math.floor(startMs / 1000) + 600;
    return jsonOutcome(
      200,
      { result: outcome.result, time: bitrixTime(startMs, this.#now(), resetAt) },
      delayMs,
    );
  }

  #draw(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.#faultRandom() < rate;
  }

  /** The owner of the call (OAuth client_id, or CLIENT_ID / the webhook code), or an error outcome. */
  #authenticate(portal: SimPortal, request: RestRequest, nowMs: number): string | SimOutcome {
    const latency = this.#latencyMs;
    const noAuth = bitrixErrorOutcome(401, 'NO_AUTH_FOUND', 'Wrong authorization data', latency);
    if (request.webhook !== null) {
      if (
        portal.webhookCode === null ||
        request.webhook.code !== portal.webhookCode ||
        request.webhook.user !== portal.webhookUser
      ) {
        return noAuth;
      }
      const clientId = request.params['CLIENT_ID'];
      return typeof clientId === 'string' && clientId !== '' ? clientId : portal.webhookCode;
    }
    const token = request.params['auth'];
    if (typeof token !== 'string' || token === '') return noAuth;
    const record = this.#tokens.findAccess(token);
    if (record === undefined || record.portal !== portal) {
      this.#stats.invalidTokenAnswers += 1;
      return bitrixErrorOutcome(401, 'invalid_token', 'The access token provided is invalid.', latency);
    }
    if (record.forcedExpired || nowMs >= record.expiresAt) {
      this.#stats.expiredTokenAnswers += 1;
      return bitrixErrorOutcome(401, 'expired_token', 'The access token provided has expired.', latency);
    }
    return record.clientId;
  }

  // ---------------------------------------------------------------- OAuth

  /** The OAuth server's `/oauth/token/` with grant_type=refresh_token (bitrix24-facts.md, "OAuth 2.0 refresh"). */
  oauth(rawParams: Record<string, unknown>): SimOutcome {
    const parsed = oauthParamsSchema.safeParse(rawParams);
    const params = parsed.success ? parsed.data : {};
    if (params.client_id !== this.#clientId || params.client_secret !== this.#clientSecret) {
      return jsonOutcome(401, { error: 'invalid_client', error_description: 'Invalid client credentials' });
    }
    if (params.grant_type !== 'refresh_token') {
      return jsonOutcome(400, {
        error: 'unsupported_grant_type',
        error_description: 'Only grant_type=refresh_token is supported',
      });
    }
    const portal =
      params.refresh_token === undefined ? undefined : this.#tokens.consumeRefresh(params.refresh_token);
    if (portal === undefined) {
      this.#stats.invalidGrants += 1;
      return jsonOutcome(400, {
        error: 'invalid_grant',
        error_description: 'The refresh token is invalid, already used or revoked',
      });
    }
    const nowMs = this.#now();
    const ttl = this.#ttlOf(portal);
    const pair = this.#tokens.issue(portal, this.#clientId, nowMs + ttl * 1000);
    this.#stats.refreshes += 1;
    portal.refreshes += 1;
    return jsonOutcome(200, {
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      expires_in: ttl,
      expires: Math.floor(pair.expiresAt / 1000),
      scope: 'imbot',
      domain: portal.domain,
      member_id: portal.memberId,
      user_id: 1,
      status: 'L',
      client_endpoint: `${this.#baseUrl}/portal/${portal.domain}/rest/`,
      server_endpoint: `${this.#baseUrl}/oauth/token/`,
    });
  }

  // ---------------------------------------------------------------- inspection

  stats(): SimulatorStats {
    return { ...copyStats(this.#stats), callsByMethod: Object.fromEntries(this.#callsByMethod) };
  }

  hasPortal(domain: string): boolean {
    return this.#portals.has(domain.toLowerCase());
  }

  /** A snapshot of one portal, tokens included; throws UnknownPortalError. */
  portalView(domain: string): SimPortalView {
    const portal = this.#portalOrThrow(domain);
    return {
      ...this.publicPortalView(domain),
      currentAccessToken: portal.accessToken,
      currentRefreshToken: portal.refreshToken,
    };
  }

  /** The snapshot without the token fields (served over HTTP); throws UnknownPortalError. */
  publicPortalView(domain: string): Omit<SimPortalView, 'currentAccessToken' | 'currentRefreshToken'> {
    const portal = this.#portalOrThrow(domain);
    return {
      domain: portal.domain,
      botId: portal.botId,
      auth: portal.auth,
      memberId: portal.memberId,
      state: portal.state,
      apps: [...portal.apps.values()].map((app) => ({ ...app, params: structuredClone(app.params) })),
      calls: portal.calls,
      queryLimitExceeded: portal.queryLimitExceeded,
      duplicates: portal.duplicates,
      requestTimes: [...portal.requestTimes],
      refreshes: portal.refreshes,
    };
  }

  portalsFile(): PortalFileEntry[] {
    const entries: PortalFileEntry[] = [];
    for (const portal of this.#portals.values()) {
      const restUrl = `${this.#baseUrl}/portal/${portal.domain}/rest/`;
      const base = { domain: portal.domain, restUrl, botId: portal.botId, memberId: portal.memberId };
      if (portal.auth === 'webhook') {
        entries.push({
          ...base,
          auth: { type: 'webhook', url: `${restUrl}${portal.webhookUser}/${portal.webhookCode ?? ''}/` },
        });
      } else {
        entries.push({
          ...base,
          auth: {
            type: 'oauth',
            accessToken: portal.accessToken ?? '',
            refreshToken: portal.refreshToken ?? '',
            expiresAt: new Date(this.#tokens.currentExpiry(portal)).toISOString(),
          },
        });
      }
    }
    return entries;
  }

  // ---------------------------------------------------------------- control

  #createControl(): SimulatorControl {
    return {
      deletePortal: (domain) => {
        this.#portalOrThrow(domain).state = 'deleted';
      },
      setState: (domain, state) => {
        this.#portalOrThrow(domain).state = state ?? 'active';
      },
      revokeRefreshToken: (domain) => {
        this.#tokens.revokeRefresh(this.#portalOrThrow(domain));
      },
      expireAccessToken: (domain) => {
        this.#tokens.expireAccess(this.#portalOrThrow(domain));
      },
      reauthorize: (domain) => {
        const portal = this.#portalOrThrow(domain);
        if (portal.auth !== 'oauth')
          throw new RangeError(`${domain} uses a webhook: nothing to re-authorise`);
        this.#tokens.revokeRefresh(portal);
        this.#tokens.issue(portal, this.#clientId, this.#now() + this.#ttlOf(portal) * 1000);
      },
      setTokenTtl: (domain, seconds) => {
        if (!Number.isFinite(seconds) || seconds <= 0)
          throw new RangeError('token TTL must be a positive number of seconds');
        if (domain === null) {
          this.#tokenTtlSeconds = seconds;
          for (const portal of this.#portals.values()) portal.tokenTtlSeconds = null;
        } else {
          this.#portalOrThrow(domain).tokenTtlSeconds = seconds;
        }
      },
      setFaults: (domain, faults) => {
        if (domain === null) this.#globalFaults = { ...faults };
        else this.#portalOrThrow(domain).faults = { ...faults };
      },
      setLatency: (ms) => {
        if (!Number.isFinite(ms) || ms < 0)
          throw new RangeError('latency must be a non-negative number of ms');
        this.#latencyMs = ms;
      },
      setOperationTimeLimit: (domain, method, resetAt) => {
        this.#portalOrThrow(domain).operationLimits.set(method.toLowerCase(), resetAt);
      },
      resetStats: () => {
        Object.assign(this.#stats, createEmptyStats());
        this.#callsByMethod.clear();
        for (const portal of this.#portals.values()) {
          portal.calls = 0;
          portal.queryLimitExceeded = 0;
          portal.duplicates = 0;
          portal.refreshes = 0;
          portal.requestTimes = [];
        }
      },
    };
  }
}
