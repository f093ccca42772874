import { createHash, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { formatZodIssues } from '../input/format-zod-issues.js';
import {
  type ApplicationBackendOptions,
  applicationBackendOptionsSchema,
  type BackendMode,
} from './application-backend-options.js';
import { requestJson } from './request-json.js';
import { SimulatorConfigError } from './simulator-config-error.js';

/** One portal the backend holds at start: the application's install gave it these (tokens: not in borrow mode). */
export interface BackendPortalSeed {
  domain: string;
  /** The portal's REST address, `https://<portal>/rest/` (the install's client_endpoint). */
  restUrl: string;
  memberId: string;
  accessToken: string | null;
  refreshToken: string | null;
  /** Access token expiry, ms (NaN when unknown). */
  expiresAt: number;
}

/** Where and as whom the backend refreshes: the application's own OAuth credentials. */
export interface BackendOAuth {
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface BackendStats {
  mode: BackendMode;
  /** Portals it holds. */
  portals: number;
  /** REST calls it made to its portals (any outcome). */
  calls: number;
  /** Of those, answered 200. */
  callsOk: number;
  /** Answered 401 expired_token (it then refreshes, or in borrow mode asks for a forced refresh). */
  expiredTokenAnswers: number;
  /** Answered 401 invalid_token: the token was ended by a refresh made with its refresh token. */
  invalidTokenAnswers: number;
  /** Any other error answer or transport failure. */
  otherCallErrors: number;
  /** OAuth refreshes it made that succeeded (source and independent modes). */
  refreshes: number;
  /** Its refreshes answered invalid_grant: another holder spent the refresh token, it is logged out. */
  invalidGrants: number;
  /** Its refreshes that failed otherwise (OAuth server unreachable, 5xx). */
  refreshFailures: number;
  /** Portals it lost (invalid_grant): it stops calling them. */
  loggedOut: number;
  /** Token-source requests it answered (source mode), any outcome. */
  sourceRequests: number;
  /** Of those, with force_refresh=1. */
  sourceForced: number;
  /** Forced requests that made it refresh (the others named a token it had already replaced). */
  sourceForcedRefreshes: number;
  /** Token-source requests refused for a missing or wrong bearer secret (401). */
  sourceUnauthorized: number;
  /** Requests it sent to the handout (borrow mode). */
  borrowRequests: number;
  /** Of those, with force_refresh=1. */
  borrowForced: number;
  /** Handout answers other than 200 with a valid body, and transport failures. */
  borrowFailures: number;
}

/** What the backend holds for one portal; never contains a token. */
export interface BackendPortalView {
  domain: string;
  hasAccessToken: boolean;
  hasRefreshToken: boolean;
  loggedOut: boolean;
  calls: number;
  refreshes: number;
}

export interface ApplicationBackend {
  readonly mode: BackendMode;
  /** Source mode: the URL imbot-rollout sets as ROLLOUT_TOKEN_SOURCE_URL; null otherwise. */
  readonly sourceUrl: string | null;
  stats(): BackendStats;
  portal(domain: string): BackendPortalView | undefined;
  /** Stops its own calls (a source keeps answering); resume() starts them again. */
  pause(): void;
  resume(): void;
  resetStats(): void;
  /** Stops the calls, waits for those in flight and closes the source endpoint. */
  stop(): Promise<void>;
}

interface HeldPortal {
  readonly domain: string;
  readonly memberId: string;
  restUrl: string;
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: number;
  loggedOut: boolean;
  /** The refresh (or handout fetch) in flight for this portal: at most one (single flight). */
  flight: Promise<void> | null;
  calling: boolean;
  /** Borrow mode: no handout request before this moment (ms) after a failed one. */
  retryAt: number;
  calls: number;
  refreshes: number;
}

const DEFAULT_INTERVAL_MS = 500;
const DEFAULT_METHOD = 'imbot.bot.list';
const DEFAULT_TIMEOUT_MS = 5_000;
/**
 * A refresh waits longer: an answer lost to a timeout has still spent the refresh token on the server, and the
 * next refresh would then meet invalid_grant (docs/reliability.md, "Not guaranteed").
 */
const REFRESH_TIMEOUT_MS = 30_000;
/** Borrow mode: after a failed handout request, the portal waits this long before asking again. */
const BORROW_RETRY_MS = 1_000;
/** Source mode: a token expiring within this is refreshed before it is handed out. */
const SOURCE_MARGIN_MS = 60_000;
const STALE_PATTERN = /^[0-9a-f]{64}$/;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function emptyStats(mode: BackendMode, portals: number): BackendStats {
  return {
    mode,
    portals,
    calls: 0,
    callsOk: 0,
    expiredTokenAnswers: 0,
    invalidTokenAnswers: 0,
    otherCallErrors: 0,
    refreshes: 0,
    invalidGrants: 0,
    refreshFailures: 0,
    loggedOut: 0,
    sourceRequests: 0,
    sourceForced: 0,
    sourceForcedRefreshes: 0,
    sourceUnauthorized: 0,
    borrowRequests: 0,
    borrowForced: 0,
    borrowFailures: 0,
  };
}

/** The OAuth server's refresh answer (docs/bitrix24.md, "OAuth 2.0"); what the backend keeps of it. */
const refreshAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

/** A token-contract answer (docs/tokens.md): the access token and one of the three expiry fields. */
const contractAnswerSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
  expires: z.number().positive().optional(),
  expires_at: z.string().optional(),
  client_endpoint: z.string().optional(),
  member_id: z.string().optional(),
});

function contractExpiry(answer: z.infer<typeof contractAnswerSchema>, now: number): number {
  if (answer.expires_in !== undefined) return now + answer.expires_in * 1000;
  if (answer.expires !== undefined) return answer.expires * 1000;
  if (answer.expires_at !== undefined) return Date.parse(answer.expires_at);
  return Number.NaN;
}

/** A Bitrix24 error code from an answer body, or '' (docs/bitrix24.md, "Who is calling"). */
function errorCode(body: unknown): string {
  const code = (body as { error?: unknown } | null)?.error;
  return typeof code === 'string' ? code : '';
}

function bearerMatches(header: string | undefined, secret: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const wanted = Buffer.from(secret);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * A simulated application backend: the application's own server, which holds the same OAuth tokens as
 * imbot-rollout for its portals, calls them on its own (every `callIntervalMs`, `imbot.bot.list` by default,
 * as a bot answering messages would) and refreshes like Bitrix24's CRest helper: on `expired_token` it spends the
 * refresh token at the OAuth server and keeps the new pair (docs/bitrix24.md, "OAuth 2.0": single use, and the
 * access token issued with the spent refresh token stops working). On `invalid_token` with the token it still
 * holds it tries the refresh as well, so a backend logged out by another holder's refresh learns it at once: its
 * refresh is answered `invalid_grant`, which it counts, and it stops calling that portal.
 *
 * Modes (application-backend-options.ts): `source` also serves the token-source contract of docs/tokens.md
 * ("Who owns the tokens") on its own HTTP endpoint; `borrow` holds no refresh token and takes access tokens from
 * imbot-rollout's handout, asking for a forced refresh (with the sha256 of the refused token) when a portal
 * refuses one. Every refresh or handout request goes through a per-portal single flight, and a forced request
 * refreshes only when the named token is still the current one, so a token is never refreshed twice.
 *
 * Never logs; no answer or stat carries a token.
 */
export async function startApplicationBackend(
  rawOptions: ApplicationBackendOptions,
  deps: {
    seeds: readonly BackendPortalSeed[];
    oauth: BackendOAuth;
    now?: () => number;
  },
): Promise<ApplicationBackend> {
  const parsed = applicationBackendOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const [problem] = formatZodIssues(parsed.error, 'backend', { path: 'dotted' });
    throw new SimulatorConfigError(
      `invalid simulator option ${problem?.where ?? 'backend'}: ${problem?.message ?? 'invalid'}`,
      { cause: parsed.error },
    );
  }
  const options = parsed.data;
  const now = deps.now ?? Date.now;
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const intervalMs = options.callIntervalMs ?? DEFAULT_INTERVAL_MS;
  const method = options.method ?? DEFAULT_METHOD;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const borrowing = options.mode === 'borrow';

  const wanted = options.domains === undefined ? null : new Set(options.domains.map((d) => d.toLowerCase()));
  const portals = new Map<string, HeldPortal>();
  for (const seed of deps.seeds) {
    if (wanted !== null && !wanted.has(seed.domain.toLowerCase())) continue;
    portals.set(seed.domain.toLowerCase(), {
      domain: seed.domain,
      memberId: seed.memberId,
      restUrl: seed.restUrl,
      accessToken: borrowing ? null : seed.accessToken,
      refreshToken: borrowing ? null : seed.refreshToken,
      expiresAt: borrowing ? Number.NaN : seed.expiresAt,
      loggedOut: false,
      flight: null,
      calling: false,
      retryAt: 0,
      calls: 0,
      refreshes: 0,
    });
  }
  if (wanted !== null) {
    const unknown = [...wanted].filter((domain) => !portals.has(domain));
    if (unknown.length > 0) {
      throw new SimulatorConfigError(
        `invalid simulator option backend.domains: ${unknown.join(', ')} is not an OAuth portal of the simulator`,
      );
    }
  }
  let stats = emptyStats(options.mode, portals.size);
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  /** Spends the refresh token (grant_type=refresh_token, docs/bitrix24.md "OAuth 2.0"), as CRest's GetNewAuth. */
  const refresh = async (portal: HeldPortal): Promise<void> => {
    if (portal.refreshToken === null) return;
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await requestJson(agent, deps.oauth.oauthUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: deps.oauth.clientId,
          client_secret: deps.oauth.clientSecret,
          refresh_token: portal.refreshToken,
        }).toString(),
        timeoutMs: Math.max(timeoutMs, REFRESH_TIMEOUT_MS),
      }));
    } catch {
      stats.refreshFailures += 1;
      return;
    }
    if (status === 200) {
      const pair = refreshAnswerSchema.safeParse(body);
      if (!pair.success) {
        stats.refreshFailures += 1;
        return;
      }
      portal.accessToken = pair.data.access_token;
      portal.refreshToken = pair.data.refresh_token;
      portal.expiresAt = now() + pair.data.expires_in * 1000;
      portal.refreshes += 1;
      stats.refreshes += 1;
      return;
    }
    if (errorCode(body) === 'invalid_grant') {
      stats.invalidGrants += 1;
      stats.loggedOut += 1;
      portal.loggedOut = true;
      portal.accessToken = null;
      portal.refreshToken = null;
      return;
    }
    stats.refreshFailures += 1;
  };

  /** Borrow mode: one request to the handout; `refused` makes it a forced refresh naming that token. */
  const borrow = async (portal: HeldPortal, refused: string | null): Promise<void> => {
    if (options.mode !== 'borrow') return;
    const url = new URL(options.url);
    url.searchParams.set('domain', portal.domain);
    if (refused !== null) {
      url.searchParams.set('force_refresh', '1');
      url.searchParams.set('stale', sha256Hex(refused));
      stats.borrowForced += 1;
    }
    stats.borrowRequests += 1;
    const failed = () => {
      stats.borrowFailures += 1;
      portal.retryAt = now() + BORROW_RETRY_MS;
    };
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await requestJson(agent, url, {
        method: 'GET',
        headers: { authorization: `Bearer ${options.secret}` },
        timeoutMs,
      }));
    } catch {
      failed();
      return;
    }
    const answer = contractAnswerSchema.safeParse(body);
    if (status !== 200 || !answer.success) {
      failed();
      return;
    }
    const expiresAt = contractExpiry(answer.data, now());
    const otherMember = answer.data.member_id !== undefined && answer.data.member_id !== portal.memberId;
    if (!Number.isFinite(expiresAt) || otherMember) {
      failed();
      return;
    }
    portal.accessToken = answer.data.access_token;
    portal.expiresAt = expiresAt;
    if (answer.data.client_endpoint !== undefined) portal.restUrl = answer.data.client_endpoint;
  };

  /**
   * Gets the portal a usable token, at most one attempt in flight per portal. `refused`: the token a portal (or
   * a forced source request) refused; the work runs only if it is still the current one, or when there is no
   * token, or it expires within `marginMs`.
   */
  const renew = async (portal: HeldPortal, refused: string | null, marginMs = 0): Promise<boolean> => {
    if (portal.flight !== null) {
      await portal.flight;
      return false;
    }
    const current = portal.accessToken;
    const due =
      current === null ||
      (refused !== null && current === refused) ||
      (Number.isFinite(portal.expiresAt) && portal.expiresAt <= now() + marginMs);
    if (!due || portal.loggedOut) return false;
    const work = borrowing
      ? borrow(portal, refused !== null && current === refused ? refused : null)
      : refresh(portal);
    portal.flight = work.finally(() => {
      portal.flight = null;
    });
    await portal.flight;
    return true;
  };

  const callPortal = async (portal: HeldPortal): Promise<void> => {
    if (borrowing && (portal.accessToken === null || portal.expiresAt <= now())) {
      if (now() < portal.retryAt) return;
      await renew(portal, null);
    }
    const token = portal.accessToken;
    if (token === null || portal.loggedOut) return;
    stats.calls += 1;
    portal.calls += 1;
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await requestJson(agent, `${portal.restUrl}${method}.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: token }),
        timeoutMs,
      }));
    } catch {
      stats.otherCallErrors += 1;
      return;
    }
    if (status === 200) {
      stats.callsOk += 1;
      return;
    }
    const code = errorCode(body);
    if (code === 'expired_token') stats.expiredTokenAnswers += 1;
    else if (code === 'invalid_token') stats.invalidTokenAnswers += 1;
    else {
      stats.otherCallErrors += 1;
      return;
    }
    if (borrowing && now() < portal.retryAt) return;
    await renew(portal, token);
  };

  const tick = (): void => {
    for (const portal of portals.values()) {
      if (portal.calling || portal.loggedOut) continue;
      portal.calling = true;
      track(
        callPortal(portal).finally(() => {
          portal.calling = false;
        }),
      );
    }
  };

  const start = (): void => {
    if (timer !== undefined || stopped || intervalMs === 0) return;
    timer = setInterval(tick, intervalMs);
  };

  // ------------------------------------------------------------- the token source (source mode)

  const answerSource = async (query: URLSearchParams, authorization: string | undefined) => {
    stats.sourceRequests += 1;
    if (options.mode !== 'source') return { status: 404, body: { error: 'not_found' } };
    if (!bearerMatches(authorization, options.secret)) {
      stats.sourceUnauthorized += 1;
      return { status: 401, body: { error: 'unauthorized' } };
    }
    const domain = query.get('domain') ?? '';
    const portal = portals.get(domain.toLowerCase());
    if (portal === undefined || portal.loggedOut) return { status: 404, body: { error: 'unknown_portal' } };
    const forced = query.get('force_refresh') === '1';
    if (forced) {
      stats.sourceForced += 1;
      const stale = query.get('stale') ?? '';
      if (!STALE_PATTERN.test(stale)) return { status: 400, body: { error: 'stale must be a sha256 hex' } };
      // Refresh only if the refused token is the one held now: a second request for the same stale token
      // (another worker, a retry) gets the pair the first one made.
      const current = portal.accessToken;
      const named = current !== null && sha256Hex(current) === stale ? current : null;
      if (await renew(portal, named)) stats.sourceForcedRefreshes += 1;
    } else {
      // Hand out no token about to expire (docs/tokens.md sketches the same margin).
      await renew(portal, null, SOURCE_MARGIN_MS);
    }
    if (portal.loggedOut) return { status: 404, body: { error: 'unknown_portal' } };
    const token = portal.accessToken;
    if (token === null || !(portal.expiresAt > now())) {
      return { status: 503, body: { error: 'refresh_failed' } };
    }
    const expiry: Record<string, unknown> = {};
    const field = options.expiryField ?? 'expires_in';
    if (field === 'expires_in')
      expiry['expires_in'] = Math.max(1, Math.floor((portal.expiresAt - now()) / 1000));
    else if (field === 'expires') expiry['expires'] = Math.floor(portal.expiresAt / 1000);
    else expiry['expires_at'] = new Date(portal.expiresAt).toISOString();
    return {
      status: 200,
      body: { access_token: token, ...expiry, client_endpoint: portal.restUrl, member_id: portal.memberId },
    };
  };

  let server: ReturnType<typeof createServer> | null = null;
  let sourceUrl: string | null = null;
  if (options.mode === 'source') {
    const write = (res: ServerResponse, status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://backend.invalid');
      if (req.method !== 'GET' || url.pathname !== '/tokens') {
        write(res, 404, { error: 'not_found' });
        return;
      }
      const answer = await answerSource(url.searchParams, req.headers.authorization);
      write(res, answer.status, answer.body);
    };
    const listening = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) write(res, 500, { error: 'internal' });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.port ?? 0, '127.0.0.1', () => {
        listening.off('error', reject);
        resolve();
      });
    });
    server = listening;
    sourceUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/tokens`;
  }

  start();
  let stopping: Promise<void> | null = null;
  return {
    mode: options.mode,
    sourceUrl,
    stats: () => ({ ...stats }),
    portal: (domain) => {
      const portal = portals.get(domain.toLowerCase());
      if (portal === undefined) return undefined;
      return {
        domain: portal.domain,
        hasAccessToken: portal.accessToken !== null,
        hasRefreshToken: portal.refreshToken !== null,
        loggedOut: portal.loggedOut,
        calls: portal.calls,
        refreshes: portal.refreshes,
      };
    },
    pause: () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    resume: start,
    resetStats: () => {
      stats = emptyStats(options.mode, portals.size);
      for (const portal of portals.values()) {
        portal.calls = 0;
        portal.refreshes = 0;
      }
    },
    stop: () => {
      if (stopping === null) {
        stopped = true;
        if (timer !== undefined) clearInterval(timer);
        timer = undefined;
        const closing = server;
        stopping = (async () => {
          await Promise.allSettled([...inFlight]);
          agent.destroy();
          if (closing !== null) {
            await new Promise<void>((resolve) => {
              closing.close(() => resolve());
              closing.closeAllConnections();
            });
          }
        })();
      }
      return stopping;
    },
  };
}
