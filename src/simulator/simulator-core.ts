import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bitrixTime } from './bitrix-time.js';
import {
  type ChatAppContext,
  type MethodResult,
  registerChatApp,
  unregisterChatApp,
  updateChatApp,
  upperCaseKeys,
} from './chat-app-methods.js';
import { LeakyBucket } from './leaky-bucket.js';
import { PHP_FATAL_ERROR_PAGE, PhpFatalError } from './php-fatal-error.js';
import { isPhpEmpty, phpString } from './php-values.js';
import type { ResolvedSimulatorOptions } from './resolve-simulator-options.js';
import { type BatchCommandOutcome, runBatch } from './run-batch.js';
import { createSeededRandom, randomHex } from './seeded-random.js';
import { bitrixErrorOutcome, jsonOutcome, type SimOutcome } from './sim-outcome.js';
import type { SimPortal } from './sim-portal.js';
import { SimulatorConfigError } from './simulator-config-error.js';
import { copyStats, createEmptyStats } from './simulator-stats.js';
import type {
  PortalFileEntry,
  SimFaults,
  SimPortalSeed,
  SimPortalView,
  SimulatorControl,
  SimulatorStats,
} from './simulator-types.js';
import { type IssuedPair, TokenRegistry } from './token-registry.js';

/** A simulator handle method was given a domain the simulator does not host. */
export class UnknownPortalError extends Error {
  override readonly name = 'UnknownPortalError' as const;

  constructor(
    readonly domain: string,
    options?: ErrorOptions,
  ) {
    super(`the simulator has no portal ${JSON.stringify(domain)}`, options);
  }
}

/** One REST call as the HTTP layer hands it over. */
export interface RestRequest {
  readonly domain: string;
  /** Set for `/rest/<user>/<code>/<method>.json` (inbound webhook). */
  readonly webhook: { readonly user: string; readonly code: string } | null;
  readonly method: string;
  readonly params: Record<string, unknown>;
}

/** Who is calling (docs/bitrix24.md, "Who is calling"): an OAuth application, or an inbound webhook. */
type Caller = { readonly kind: 'oauth'; readonly clientId: string } | { readonly kind: 'webhook' };

type MethodHandler = (portal: SimPortal, caller: Caller, params: Record<string, unknown>) => MethodResult;

/** The CLIENT_ID of webhook portals seeded without one. */
export const DEFAULT_WEBHOOK_CLIENT_ID = 'sim-webhook-app';

/**
 * The REST application a chat-app call acts for (im source, `appRegister` / `appUpdate` / `appUnRegister`): the
 * OAuth client id; for a webhook (no client id) 'custom' + the CLIENT_ID parameter, or null without one.
 */
function callingApplication(caller: Caller, params: Record<string, unknown>): string | null {
  if (caller.kind === 'oauth') return caller.clientId;
  const clientId = upperCaseKeys(params)['CLIENT_ID'];
  return isPhpEmpty(clientId) ? null : `custom${phpString(clientId)}`;
}

const DEFAULT_SLOW_MS = 3000;
const BATCH_METHOD = 'batch';
const OPERATION_TIME_LIMIT_TEXT = 'Method is blocked due to operation time limit.';
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
  readonly #eventRandom: () => number;
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
    this.#eventRandom = createSeededRandom(options.seed ^ 0x165667b1);
    const context: ChatAppContext = {
      stats: this.#stats,
      registerDeduplicates: options.registerDeduplicates,
      nextAppId: () => {
        this.#lastAppId += 1;
        return this.#lastAppId;
      },
      now: this.#now,
    };
    const webhookRandom = createSeededRandom(options.seed ^ 0x27d4eb2f);
    const startedAt = this.#now();
    options.seeds.forEach((seed, i) => {
      const portal = this.#addPortal(seed, i + 1, options, webhookRandom, startedAt);
      this.#seedApps(context, portal, seed.apps ?? [], i);
    });
    // Chat-app methods act for an application: a webhook call without CLIENT_ID is refused (403, as the
    // source's AccessException), before any of the method's own checks.
    const chatApp =
      (fn: typeof updateChatApp): MethodHandler =>
      (portal, caller, params) => {
        const owner = callingApplication(caller, params);
        if (owner === null) {
          return {
            ok: false,
            error: { code: 'ACCESS_DENIED', description: 'Client ID not specified', status: 403 },
          };
        }
        return fn(context, portal, owner, params);
      };
    this.#methods = new Map<string, MethodHandler>([
      ['imbot.app.register', chatApp(registerChatApp)],
      ['imbot.app.update', chatApp(updateChatApp)],
      ['imbot.app.unregister', chatApp(unregisterChatApp)],
      ['imbot.bot.list', (portal) => ({ ok: true, result: this.#botList(portal) })],
      ['server.time', () => ({ ok: true, result: new Date(this.#now()).toISOString() })],
      [
        'profile',
        () => ({ ok: true, result: { ID: '1', ADMIN: true, NAME: 'Simulated', LAST_NAME: 'Admin' } }),
      ],
      [
        'app.info',
        // A webhook has no application of its own: never echo anything of it (its code is a secret).
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
  ): SimPortal {
    const bucket = seed.bucket ?? options.bucket;
    const auth = seed.auth ?? 'oauth';
    const clientId = auth === 'webhook' ? (seed.clientId ?? DEFAULT_WEBHOOK_CLIENT_ID) : null;
    const portal: SimPortal = {
      domain: seed.domain,
      botId: seed.botId ?? 100 + index,
      botCode: seed.botCode ?? 'simbot',
      applicationToken: null,
      botOwner: clientId === null ? this.#clientId : `custom${clientId}`,
      clientId,
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
      commands: 0,
      batches: 0,
      queryLimitExceeded: 0,
      registerExisting: 0,
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
    return portal;
  }

  /** The apps a portal holds at start, registered by its own application with its bot; refused ones stop the start. */
  #seedApps(
    context: ChatAppContext,
    portal: SimPortal,
    apps: Record<string, unknown>[],
    index: number,
  ): void {
    apps.forEach((params, appIndex) => {
      const withBot = { ...upperCaseKeys(params), BOT_ID: portal.botId };
      const outcome = registerChatApp(context, portal, portal.botOwner, withBot, 'seed');
      if (!outcome.ok) {
        throw new SimulatorConfigError(
          `invalid simulator option portals.${index}.apps.${appIndex} (${portal.domain}): the server refuses it with ${outcome.error.code} (${outcome.error.code === 'WRONG_REQUEST' ? 'a column is too long' : outcome.error.description})`,
        );
      }
    });
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
        CODE: portal.botCode,
        OPENLINE: 'N',
      },
    };
  }

  // ---------------------------------------------------------------- REST

  /**
   * Order of checks: unknown portal (404 ERROR_PORTAL_NOT_FOUND, a simulator-only code), PORTAL_DELETED,
   * authentication (webhook code / access token), portal state (OVERLOAD_LIMIT, ACCESS_DENIED), the leaky bucket
   * (QUERY_LIMIT_EXCEEDED), unknown method (ERROR_METHOD_NOT_FOUND), OPERATION_TIME_LIMIT, injected faults,
   * then the method itself (chat-app methods first: 403 ACCESS_DENIED for a webhook call without CLIENT_ID).
   * `batch` (docs/bitrix24.md, "Batch") goes through the same checks once, as one request (one bucket token, one
   * `calls`, its own OPERATION_TIME_LIMIT, the faults drawn once: a dropped answer comes after every command
   * ran), then runs its commands (runBatch, #runBatchCommand). A PHP error the server does not catch (an array
   * as APP_ID: PhpFatalError) answers 500 with Bitrix's plain-text error page, the work done so far kept.
   */
  rest(request: RestRequest): SimOutcome {
    const startMs = this.#now();
    const latency = this.#latencyMs;
    const portal = this.#portals.get(request.domain.toLowerCase());
    if (portal === undefined) {
      return bitrixErrorOutcome(404, 'ERROR_PORTAL_NOT_FOUND', 'Portal not found', latency);
    }
    const method = request.method.toLowerCase();
    const isBatch = method === BATCH_METHOD;
    this.#stats.calls += 1;
    portal.calls += 1;
    this.#countMethod(method);
    if (isBatch) {
      this.#stats.batches += 1;
      portal.batches += 1;
    } else {
      this.#stats.commands += 1;
      portal.commands += 1;
    }
    if (portal.state === 'deleted') {
      return bitrixErrorOutcome(500, 'PORTAL_DELETED', 'Portal was deleted', latency);
    }
    const caller = this.#authenticate(portal, request, startMs);
    if (caller.kind === 'answer' || caller.kind === 'drop') return caller;
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
    const handler: MethodHandler | undefined = isBatch
      ? (batchPortal, batchCaller, params) => ({
          ok: true,
          result: runBatch(params, (commandMethod, commandParams) =>
            this.#runBatchCommand(batchPortal, batchCaller, commandMethod, commandParams),
          ),
        })
      : this.#methods.get(method);
    if (handler === undefined) {
      return bitrixErrorOutcome(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!', latency);
    }
    const blockedUntil = portal.operationLimits.get(method);
    if (blockedUntil !== undefined && startMs / 1000 < blockedUntil) {
      return jsonOutcome(
        429,
        {
          error: 'OPERATION_TIME_LIMIT',
          error_description: OPERATION_TIME_LIMIT_TEXT,
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
    let outcome: MethodResult;
    try {
      outcome = handler(portal, caller, request.params);
    } catch (error) {
      if (!(error instanceof PhpFatalError)) throw error;
      // Uncaught by the REST server: the whole request (a batch with its commands done so far) ends in a 500.
      return {
        kind: 'answer',
        status: 500,
        contentType: 'text/html; charset=UTF-8',
        body: PHP_FATAL_ERROR_PAGE,
        delayMs: latency,
      };
    }
    if (this.#draw(faults.dropAfterWorkRate)) {
      this.#stats.injected.dropped += 1;
      return { kind: 'drop', delayMs: latency };
    }
    let delayMs = latency;
    if (this.#draw(faults.slowRate)) {
      this.#stats.injected.slow += 1;
      delayMs += faults.slowMs ?? DEFAULT_SLOW_MS;
    }
    if (!outcome.ok) {
      const { status, code, description } = outcome.error;
      return bitrixErrorOutcome(status ?? 400, code, description, delayMs);
    }
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

  #countMethod(method: string): void {
    this.#callsByMethod.set(method, (this.#callsByMethod.get(method) ?? 0) + 1);
  }

  /**
   * One command of a batch, as the same call made alone would run past the request's own checks (the batch
   * passed auth, portal state, the bucket and the faults once for all; docs/bitrix24.md "Batch"): unknown method
   * (ERROR_METHOD_NOT_FOUND), the method's OPERATION_TIME_LIMIT (answered for this command only), then the
   * method with the batch's caller (a webhook's chat-app command needs its own CLIENT_ID). Counted in
   * `commands` and `callsByMethod`. A PhpFatalError is left to end the request.
   */
  #runBatchCommand(
    portal: SimPortal,
    caller: Caller,
    rawMethod: string,
    params: Record<string, unknown>,
  ): BatchCommandOutcome {
    const startMs = this.#now();
    const method = rawMethod.toLowerCase();
    this.#countMethod(method);
    this.#stats.commands += 1;
    portal.commands += 1;
    const handler = this.#methods.get(method);
    if (handler === undefined) {
      return { ok: false, code: 'ERROR_METHOD_NOT_FOUND', description: 'Method not found!' };
    }
    const blockedUntil = portal.operationLimits.get(method);
    if (blockedUntil !== undefined && startMs / 1000 < blockedUntil) {
      return { ok: false, code: 'OPERATION_TIME_LIMIT', description: OPERATION_TIME_LIMIT_TEXT };
    }
    const outcome = handler(portal, caller, params);
    if (!outcome.ok) return { ok: false, code: outcome.error.code, description: outcome.error.description };
    const resetAt = Math.floor(startMs / 1000) + 600;
    return { ok: true, result: outcome.result, time: bitrixTime(startMs, this.#now(), resetAt) };
  }

  /**
   * Who is calling, or an error outcome. A wrong webhook (code, user, or a webhook URL on a portal without one)
   * answers `INVALID_CREDENTIALS`, the source's code (the docs say NO_AUTH_FOUND), with HTTP 401: an error of the
   * auth layer, which defaults to 401 (docs/bitrix24.md, "Who is calling"). No `auth` at all: 401 NO_AUTH_FOUND.
   * A token ended by the refresh that replaced it is unknown from then on: invalid_token (see TokenRegistry).
   */
  #authenticate(portal: SimPortal, request: RestRequest, nowMs: number): Caller | SimOutcome {
    const latency = this.#latencyMs;
    if (request.webhook !== null) {
      if (
        portal.webhookCode === null ||
        request.webhook.code !== portal.webhookCode ||
        request.webhook.user !== portal.webhookUser
      ) {
        return bitrixErrorOutcome(401, 'INVALID_CREDENTIALS', 'Invalid request credentials', latency);
      }
      return { kind: 'webhook' };
    }
    const token = request.params['auth'];
    if (typeof token !== 'string' || token === '') {
      return bitrixErrorOutcome(401, 'NO_AUTH_FOUND', 'Wrong authorization data', latency);
    }
    const record = this.#tokens.findAccess(token);
    if (record === undefined || record.portal !== portal) {
      this.#stats.invalidTokenAnswers += 1;
      return bitrixErrorOutcome(401, 'invalid_token', 'The access token provided is invalid.', latency);
    }
    if (record.forcedExpired || nowMs >= record.expiresAt) {
      this.#stats.expiredTokenAnswers += 1;
      return bitrixErrorOutcome(401, 'expired_token', 'The access token provided has expired.', latency);
    }
    return { kind: 'oauth', clientId: record.clientId };
  }

  // ---------------------------------------------------------------- OAuth

  /** The OAuth server's `/oauth/token/` with grant_type=refresh_token (docs/bitrix24.md, "OAuth 2.0"). */
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
    // A refresh token issued to another application (issueOtherClientTokens) is refused: invalid_grant.
    const portal =
      params.refresh_token === undefined
        ? undefined
        : this.#tokens.consumeRefresh(params.refresh_token, this.#clientId);
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

  // ---------------------------------------------------------------- application events

  /**
   * The application event Bitrix24 sends when the application is installed on / removed from the portal
   * (docs/bitrix24.md, "Application events"): `event`, `data`, `ts` and `auth` with domain, member_id,
   * client_endpoint, server_endpoint, status and application_token; an install also carries the new access and
   * refresh tokens, expires_in and scope. An install (and an update, ONAPPUPDATE: a new application version)
   * issues a new pair (the previous one stops working) and a new application_token; an uninstall ends the tokens (the application lost its access) and sends the kept
   * application_token. Throws UnknownPortalError, or RangeError for a webhook portal (no application).
   */
  appEvent(domain: string, kind: 'install' | 'update' | 'uninstall'): Record<string, unknown> {
    const portal = this.#portalOrThrow(domain);
    if (portal.auth !== 'oauth')
      throw new RangeError(`${domain} uses a webhook: it has no application events`);
    const nowMs = this.#now();
    const ts = String(Math.floor(nowMs / 1000));
    const auth = {
      domain: portal.domain,
      client_endpoint: `${this.#baseUrl}/portal/${portal.domain}/rest/`,
      server_endpoint: `${this.#baseUrl}/oauth/token/`,
      status: 'L',
      member_id: portal.memberId,
    };
    this.#tokens.revokeRefresh(portal);
    this.#tokens.revokeAccess(portal);
    if (kind === 'uninstall') {
      portal.accessToken = null;
      portal.refreshToken = null;
      return {
        event: 'ONAPPUNINSTALL',
        data: { LANGUAGE_ID: 'en', CLEAN: '0' },
        ts,
        auth: { ...auth, application_token: portal.applicationToken ?? randomHex(this.#eventRandom, 32) },
      };
    }
    const ttl = this.#ttlOf(portal);
    const pair = this.#tokens.issue(portal, this.#clientId, nowMs + ttl * 1000);
    portal.applicationToken = randomHex(this.#eventRandom, 32);
    return {
      event: kind === 'update' ? 'ONAPPUPDATE' : 'ONAPPINSTALL',
      data:
        kind === 'update'
          ? { VERSION: '2', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' }
          : { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' },
      ts,
      auth: {
        ...auth,
        access_token: pair.accessToken,
        refresh_token: pair.refreshToken,
        expires_in: String(ttl),
        scope: 'imbot',
        application_token: portal.applicationToken,
      },
    };
  }

  /**
   * A token pair on `domain` issued to ANOTHER application (`clientId`, not the simulator's own): what the
   * developer of a second application installed on the same portal holds. The access token works on the
   * portal's REST address (app.info answers); the refresh token is refused by the OAuth server for any other
   * client id (invalid_grant). The portal's own current pair is unchanged. OAuth portals only.
   */
  issueOtherClientTokens(domain: string, clientId: string): IssuedPair {
    const portal = this.#portalOrThrow(domain);
    if (portal.auth !== 'oauth') throw new RangeError(`${domain} uses a webhook: it has no OAuth tokens`);
    if (clientId === this.#clientId)
      throw new RangeError(`${clientId} is the simulator's own client id: use an install event instead`);
    return this.#tokens.issueOther(portal, clientId, this.#now() + this.#ttlOf(portal) * 1000);
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
      botCode: portal.botCode,
      applicationToken: portal.applicationToken,
      botOwner: portal.botOwner,
      auth: portal.auth,
      clientId: portal.clientId,
      memberId: portal.memberId,
      state: portal.state,
      apps: [...portal.apps.values()].map((app) => ({
        ...app,
        fields: structuredClone(app.fields),
        params: structuredClone(app.params),
      })),
      calls: portal.calls,
      commands: portal.commands,
      batches: portal.batches,
      queryLimitExceeded: portal.queryLimitExceeded,
      registerExisting: portal.registerExisting,
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
        const url = `${restUrl}${portal.webhookUser}/${portal.webhookCode ?? ''}/`;
        entries.push({ ...base, auth: { type: 'webhook', url, clientId: portal.clientId ?? '' } });
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
          portal.commands = 0;
          portal.batches = 0;
          portal.queryLimitExceeded = 0;
          portal.registerExisting = 0;
          portal.duplicates = 0;
          portal.refreshes = 0;
          portal.requestTimes = [];
        }
      },
    };
  }
}
