import type { ApplicationBackend } from './application-backend.js';
import type { ApplicationBackendOptions } from './application-backend-options.js';

/**
 * Public types of the portal simulator (see start-simulator.ts). Kept in one file because they describe one
 * contract: the options going in, the handle and the read-only views coming out.
 */

/**
 * Injected failures; each rate is 0..1 and is drawn per REST request from the seeded RNG (never for OAuth). A
 * batch is one request: its faults hit it as a whole (a dropped batch ran every command first).
 */
export interface SimFaults {
  /** Answer 500 `INTERNAL_SERVER_ERROR` without doing the work. */
  http500Rate?: number;
  /** Do the work (e.g. create the app), then destroy the socket without an answer. */
  dropAfterWorkRate?: number;
  /** Do the work, then answer `slowMs` later (used to exceed client timeouts). */
  slowRate?: number;
  /** Extra delay of a slow answer in ms (default 3000). */
  slowMs?: number;
  /** Answer 502 with an HTML body, no work done. */
  nonJsonRate?: number;
  /** Answer 503 `QUERY_LIMIT_EXCEEDED` without touching the bucket (simulates other apps on the portal). */
  queryLimitRate?: number;
}

export type SimPortalState = 'active' | 'deleted' | 'overloaded' | 'access_denied';

export interface SimBucket {
  burst: number;
  drainPerSecond: number;
}

export interface SimPortalSeed {
  domain: string;
  /** Default: a stable number derived from the portal's index (100 + index, index from 1). */
  botId?: number;
  /** The bot's CODE, as imbot.bot.list answers it (default 'simbot'). */
  botCode?: string;
  /** Default 'oauth'. */
  auth?: 'oauth' | 'webhook';
  /** The access token handed out is already expired (forces a refresh). */
  accessTokenExpired?: boolean;
  /** Lifetime of access tokens issued for this portal (default: the simulator's tokenTtlSeconds). */
  tokenTtlSeconds?: number;
  bucket?: SimBucket;
  /** Per-portal faults, merged field by field over the global faults. */
  faults?: SimFaults;
  state?: SimPortalState;
  /**
   * Webhook portals: the CLIENT_ID the webhook's chat-app calls must send (default 'sim-webhook-app'). The calls
   * act for the application `'custom' + clientId`, which owns the portal's bot (docs/bitrix24.md, "Who is
   * calling"). Not allowed for OAuth portals (their bot belongs to the OAuth application).
   */
  clientId?: string;
  /**
   * Chat apps the portal already holds at start (e.g. an outdated version left by an earlier run or a person):
   * register-style params (CODE, JS_METHOD/JS_PARAM or IFRAME/HASH, LANG, ...), created with the portal's bot,
   * owned by the portal's application, `origin: 'seed'`. BOT_ID, if given, is ignored. Each must pass the
   * server's register checks, else the simulator refuses to start.
   */
  apps?: Record<string, unknown>[];
}

/** Outdated apps seeded on a share of generated portals (a demo of adoption). */
export interface SimPreexisting {
  /** 0..1: exactly round(portals * share) generated portals, drawn from the seeded RNG, hold `apps`. */
  share: number;
  /** Register-style params, as SimPortalSeed.apps. */
  apps: Record<string, unknown>[];
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** A number N generates portal-00001.sim.test ... (zero-padded, 5 digits). */
  portals: number | SimPortalSeed[];
  /** With a number of portals: share of generated portals using webhooks (default 0). */
  webhookShare?: number;
  /** With a number of portals: share of the generated OAuth portals whose access token is already expired. */
  expiredShare?: number;
  /** Default {burst: 50, drainPerSecond: 2} (cloud, non-Enterprise). */
  bucket?: SimBucket;
  /** Fixed extra latency per REST call in ms (default 0). */
  latencyMs?: number;
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** Global default faults (default none). */
  faults?: SimFaults;
  /** OAuth app credentials accepted; default 'sim-client-id' / 'sim-client-secret'. */
  clientId?: string;
  clientSecret?: string;
  /** RNG seed (default 1): tokens, generated-portal selection and fault draws are reproducible. */
  seed?: number;
  /** Clock in ms, default Date.now. Drives token expiry, the leaky bucket and `time` fields. */
  now?: () => number;
  /**
   * Default true: `imbot.app.register` is get-or-create by (BOT_ID, CODE) as on the real server (docs/bitrix24.md,
   * "Register is get-or-create"). false models a server that does not deduplicate: every register inserts a new
   * app and a repeat of (BOT_ID, CODE) is counted in `duplicates`.
   */
  registerDeduplicates?: boolean;
  /** With a number of portals: seed outdated apps on a share of them (see SimPreexisting). */
  preexisting?: SimPreexisting;
  /**
   * Start the application backend with the simulator (see SimulatorHandle.startBackend): a second holder of the
   * application's tokens, for portals seeded now.
   */
  backend?: ApplicationBackendOptions;
}

export type SimYesNo = 'Y' | 'N';

/** One language row of a chat app (im `AppLangTable`). */
export interface SimAppLang {
  /** Lower-cased, as the server stores it. */
  LANGUAGE_ID: string;
  TITLE: string;
  DESCRIPTION: string | null;
  COPYRIGHT: string | null;
}

/**
 * What the portal holds for one chat app, in the server's terms (im `AppTable` and `AppLangTable` after
 * `CIMRestService::appRegister` / `appUpdate` and `\Bitrix\Im\App::register` / `::update`; docs/bitrix24.md,
 * "What the server checks on register" and "Update").
 */
export interface SimAppFields {
  CODE: string;
  BOT_ID: number;
  /** '' when the app has no JS command. */
  JS_METHOD: 'PUT' | 'SEND' | 'CALL' | 'SUPPORT' | '';
  /** The part of JS_PARAM the server's pattern kept (first match); '' when none. */
  JS_PARAM: string;
  /** The URL as sent ('' when none); the server's column also holds an appended '?' or '&'. */
  IFRAME: string;
  /** Raised to 250 when lower. Default when not sent: 320 for IFRAME apps (appRegister), 350 for JS apps. */
  IFRAME_WIDTH: number;
  /** Raised to 50 when lower. Default when not sent: 250. */
  IFRAME_HEIGHT: number;
  IFRAME_POPUP: SimYesNo;
  HIDDEN: SimYesNo;
  EXTRANET_SUPPORT: SimYesNo;
  LIVECHAT_SUPPORT: SimYesNo;
  /** Lower-cased; 'all' when not sent. */
  CONTEXT: string;
  /** Cut to 32 on register. JS apps registered without a HASH get the server's md5 (see planRegister). */
  HASH: string;
  /** sha256 hex of the ICON_FILE base64 text the server kept (raster images only), or null. */
  ICON: string | null;
  LANG: SimAppLang[];
}

export interface SimApp {
  appId: number;
  /** Same as fields.BOT_ID. */
  botId: number;
  /** Same as fields.CODE. */
  code: string;
  /** The REST application owning the app: the OAuth client_id, or 'custom' + CLIENT_ID for webhook calls. */
  ownerClientId: string;
  /** 'seed': the portal held it at start (SimPortalSeed.apps, preexisting); 'register': imbot.app.register. */
  origin: 'seed' | 'register';
  /** What the portal holds, in the server's terms. Assert against this. */
  fields: SimAppFields;
  /** imbot.app.update calls answered `true` for this app (also those that changed nothing). */
  updates: number;
  /**
   * @deprecated Raw parameters: those of the register that created the app (without `auth` and `CLIENT_ID`),
   * with the FIELDS of every later update that reached the app row merged over them. Not what the server holds
   * (no cutting, no defaults, JS/IFRAME switches not modelled): use `fields`.
   */
  params: Record<string, unknown>;
  /** Simulator clock (ms) at registration. */
  createdAt: number;
}

export interface SimInjectedStats {
  http500: number;
  dropped: number;
  slow: number;
  nonJson: number;
  queryLimit: number;
}

export interface SimulatorStats {
  /** HTTP REST requests addressed to a known portal (any outcome): a batch is ONE request, as for the bucket. */
  calls: number;
  /**
   * Method executions: every single (non-batch) request, counted as `calls` counts it, plus every command a
   * batch ran (commands skipped by `halt`, past the 50th, or refused as not allowed in a batch are not counted).
   */
  commands: number;
  /** Batch requests (any outcome); each is also one of `calls`. */
  batches: number;
  /**
   * Per method (lower case): single requests to it (any outcome, as `calls`) plus the commands batches ran for
   * it; `batch` counts the batch requests themselves. So `sum(callsByMethod) - callsByMethod.batch` =
   * `commands`, and with batches `callsByMethod['imbot.app.register']` counts registers, not HTTP requests.
   */
  callsByMethod: Record<string, number>;
  /** imbot.app.register calls that created an app (seeded apps are not counted). */
  registrations: number;
  /**
   * Re-registers (safe retries): imbot.app.register calls that found an app with the same BOT_ID and CODE and
   * returned its APP_ID (as a string) without changing it. Always 0 with `registerDeduplicates: false`.
   */
  registerExisting: number;
  /** imbot.app.update calls answered `true` (also those that changed nothing). */
  updates: number;
  unregistrations: number;
  /**
   * Only with `registerDeduplicates: false`: registrations that inserted a second app with an existing BOT_ID +
   * CODE on the same portal.
   */
  duplicates: number;
  /** 503 answers from the leaky bucket (injected ones are counted in `injected.queryLimit`). */
  queryLimitExceeded: number;
  refreshes: number;
  invalidGrants: number;
  expiredTokenAnswers: number;
  invalidTokenAnswers: number;
  injected: SimInjectedStats;
}

export interface SimPortalView {
  domain: string;
  botId: number;
  botCode: string;
  /** The application_token of the portal's last install event (null before any). */
  applicationToken: string | null;
  /** The REST application owning the portal's bot: the OAuth client id, or 'custom' + clientId for webhooks. */
  botOwner: string;
  auth: 'oauth' | 'webhook';
  /** Webhook portals: the CLIENT_ID their chat-app calls must send; null for OAuth portals. */
  clientId: string | null;
  memberId: string;
  state: SimPortalState;
  /** Every app the portal holds, in creation order, with its `fields`. */
  apps: SimApp[];
  /** HTTP REST requests addressed to this portal (any outcome; a batch is one). */
  calls: number;
  /** Method executions on this portal: single requests and batch commands (see SimulatorStats.commands). */
  commands: number;
  /** Batch requests to this portal. */
  batches: number;
  /** Leaky-bucket rejections on this portal. */
  queryLimitExceeded: number;
  /** Re-registers on this portal (see SimulatorStats.registerExisting). */
  registerExisting: number;
  /** Only with `registerDeduplicates: false` (see SimulatorStats.duplicates). */
  duplicates: number;
  /** Simulator clock (ms) of every REST request (a batch is one) accepted past auth, for rate assertions. */
  requestTimes: number[];
  refreshes: number;
  /** null for webhook portals. */
  currentAccessToken: string | null;
  currentRefreshToken: string | null;
}

export type PortalFileAuth =
  | { type: 'oauth'; accessToken: string; refreshToken: string; expiresAt: string }
  | {
      type: 'webhook';
      url: string;
      /** The CLIENT_ID the webhook's chat-app calls must send (SimPortalSeed.clientId, default 'sim-webhook-app'). */
      clientId: string;
    };

/** What the event handler answered to one delivery. */
export interface AppEventDelivery {
  status: number;
  /** The answer's JSON, or its text when not JSON. */
  body: unknown;
}

/** One entry of the project's portals file (the public input format). */
export interface PortalFileEntry {
  domain: string;
  restUrl: string;
  botId: number;
  memberId: string;
  auth: PortalFileAuth;
}

export interface SimulatorControl {
  /** Later calls answer HTTP 500 `PORTAL_DELETED`. */
  deletePortal(domain: string): void;
  setState(domain: string, state: SimPortalState | undefined): void;
  /** The current refresh token stops working (invalid_grant). */
  revokeRefreshToken(domain: string): void;
  /** The current access token answers expired_token from now on. */
  expireAccessToken(domain: string): void;
  /**
   * An administrator re-authorises the application: a new token pair is issued (portalsFile() shows it) and the
   * old refresh token stops working. OAuth portals only.
   */
  reauthorize(domain: string): void;
  /** Lifetime of tokens issued from now on; null = all portals (clears per-portal overrides). */
  setTokenTtl(domain: string | null, seconds: number): void;
  /** Replaces the portal's faults (null = the global faults). */
  setFaults(domain: string | null, faults: SimFaults): void;
  setLatency(ms: number): void;
  /** `method` answers 429 OPERATION_TIME_LIMIT on this portal until `resetAt` (unix seconds). */
  setOperationTimeLimit(domain: string, method: string, resetAt: number): void;
  /** Zeroes global and per-portal counters and request times; apps (with their `updates`) and tokens are kept. */
  resetStats(): void;
}

export interface SimulatorHandle {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** `${url}/oauth/token/` */
  readonly oauthUrl: string;
  /** Entries in the portals-file format with the current credentials. */
  portalsFile(): PortalFileEntry[];
  stats(): SimulatorStats;
  /** A snapshot of one portal; throws UnknownPortalError if unknown. */
  portal(domain: string): SimPortalView;
  readonly control: SimulatorControl;
  /**
   * The application event Bitrix24 would send now (docs/bitrix24.md, "Application events"), as the nested
   * object its form body encodes. `install` issues a new token pair and a new application_token (the previous
   * pair stops working), as does `update` (a new application version: ONAPPUPDATE); `uninstall` ends the application's access (its tokens stop working). OAuth portals only.
   */
  appEvent(domain: string, kind: 'install' | 'update' | 'uninstall'): Record<string, unknown>;
  /**
   * A token pair on the portal issued to ANOTHER application (`clientId`): what the developer of a second
   * application installed on the same portal holds. Its access token works on the portal (app.info answers);
   * the OAuth server refuses its refresh token to the simulator's client id (invalid_grant). The portal's own
   * pair is unchanged. OAuth portals only; expiresAt in ms.
   */
  issueOtherClientTokens(
    domain: string,
    clientId: string,
  ): { accessToken: string; refreshToken: string; expiresAt: number };
  /** appEvent, then POSTs it form-encoded (as Bitrix24 does) to `url`; resolves with the answer. */
  sendAppEvent(
    url: string,
    domain: string,
    kind: 'install' | 'update' | 'uninstall',
  ): Promise<AppEventDelivery>;
  /**
   * Starts the application backend (src/simulator/application-backend.ts): the application's own server, holding
   * the current pair of its OAuth portals (all, or `options.domains`) as the install gave it, calling them on its
   * own and refreshing like CRest; in `source` mode it also serves the token-source contract, in `borrow` mode it
   * takes tokens from imbot-rollout's handout. One at a time: rejects while one runs (stopBackend first).
   */
  startBackend(options: ApplicationBackendOptions): Promise<ApplicationBackend>;
  /** The running application backend, or null. */
  backend(): ApplicationBackend | null;
  /** Stops the application backend, if one runs. */
  stopBackend(): Promise<void>;
  /** Closes the server and all sockets (and stops the application backend). */
  stop(): Promise<void>;
}
