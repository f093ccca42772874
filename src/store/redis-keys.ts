/**
 * Every Redis key the project writes, in one place, and the Redis Cluster hash tag of each (the same layout on
 * one server and on a Cluster, so every test covers it; docs/architecture.md, "Keys and Redis Cluster"). A
 * Cluster runs a Lua script, MULTI or pipeline only when all its keys hash to one slot, and only the part of a
 * key in `{...}` is hashed. So:
 * - `<prefix>:{r}:...` (RESULTS_TAG): the result store (pair hashes, histories, counters, indexes, due sets,
 *   rollout records) and everything a result script changes with them, in ONE slot: a pair's state, the
 *   counters and the indexes change in one atomic script (as BullMQ keeps a whole queue in one slot).
 * - `<prefix>:{p:<domain>}:...` (portalTag): one portal's credentials, locks and rate-limit state, so portals
 *   spread over the nodes. A script or MULTI may touch one portal's keys, never two portals' keys, nor a
 *   portal's key and a `{g}` or `{r}` key.
 * - `<prefix>:{g}:...` (GLOBAL_TAG): other keys about all portals (the portal set, key ids, definitions,
 *   indexes over portals, metrics, API sessions, events).
 * - `<prefix>:{q}` (queuePrefix): BullMQ's prefix; BullMQ keeps every key of the queue under it.
 * Add a key with its tag; `defineScript` refuses a script call whose keys carry different tags, so a single-node
 * test catches what a Cluster would refuse with CROSSSLOT.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** BullMQ's `prefix` option for the rollout queue: `<prefix>:{q}` (the whole queue in one slot). */
  readonly queuePrefix: string;
  /** Hash: the workers' pipeline counters (src/metrics/pipeline-metrics.ts). */
  readonly metricsCounters: string;
  /** Hash: the workers' latency histogram buckets (src/metrics/pipeline-metrics.ts). */
  readonly metricsLatency: string;
  /** String with a TTL: one API session, by the SHA-256 of its id (src/api/session-cookie.ts). */
  apiSession(idHash: string): string;
  /** String with a TTL: token handout requests for one portal in one window (src/api/handout-throttle.ts). */
  handoutRate(domain: string, window: number): string;
  /** String with a TTL: wrong handout secrets from one source address in one window (src/api/handout-throttle.ts). */
  handoutDenied(source: string, window: number): string;
  /** Set of all known portal domains. */
  readonly portals: string;
  /** Hash: one portal's settings and credentials. */
  portal(domain: string): string;
  /** Lock held by the one worker refreshing this portal's token. */
  refreshLock(domain: string): string;
  /** Immutable JSON of a definition, addressed by its hash. */
  definition(defHash: string): string;
  /** Sorted set (all scores 0, ordered by member) of `domain|code` pairs: paging and per-portal ranges. */
  readonly pairs: string;
  /** Hash: one pair's durable result. */
  result(domain: string, code: string): string;
  /** List: one pair's attempt history (newest first, capped). */
  attempts(domain: string, code: string): string;
  /** Hash: number of pairs per state. */
  readonly stateCounts: string;
  /**
   * Read indexes kept by the result scripts in the same atomic write as each change (docs/architecture.md,
   * "Read indexes"). Hash: pairs per state of each rollout id, field `rolloutId|state` (deleted at 0).
   */
  readonly rolloutCounts: string;
  /**
   * Hash, field `rolloutId|state`: pairs a later rollout took over from `rolloutId`, by the state they had then
   * (a lasting record, kept by the same result scripts: result-scripts.ts). With `rolloutCounts`, a rollout's
   * figures survive later rollouts of the same pairs (src/waves/read-wave-counts.ts).
   */
  readonly rolloutHandedOver: string;
  /** Sorted set (scores 0): `state|domain|code` for every pair: each state's pairs in pair order. */
  readonly pairsByState: string;
  /** Sorted set: `state|domain` scored with that portal's number of pairs in that state (removed at 0). */
  readonly portalStates: string;
  /** Sorted set (scores 0): failed, then needs_reauth pairs, newest first (`rank|age|domain|code`). */
  readonly attention: string;
  /** Sorted set (scores 0): the same entries per rollout id (`rolloutId|rank|age|domain|code`). */
  readonly rolloutAttention: string;
  /** Sorted set (scores 0): the portals holding at least one pair, by domain (paging portals). */
  readonly resultPortals: string;
  /** String: the version of the read indexes built from the pairs (rebuilt once when older or missing). */
  readonly resultIndexVersion: string;
  /** String with a TTL: the process building the read indexes from old data (store/rebuild-result-indexes.ts). */
  readonly resultIndexLock: string;
  /**
   * Set: key ids of the keys stored secrets are sealed with (added whenever a secret is sealed, brought up to
   * date by `rotate-key`); `worker`, `rollout` and `serve` check it at start (store/check-stored-key-ids.ts).
   */
  readonly keyIds: string;
  /**
   * Sorted set: every OAuth portal (domain), scored with the time its stored token pair was issued (ms): its last
   * refresh, or an estimate for imported pairs (store/credential-index.ts). Credential health pages read it.
   */
  readonly credentialsByRefresh: string;
  /**
   * Sorted set: the OAuth portals that are not needs_reauth, same scores as `credentialsByRefresh`: where token
   * keep-alive finds the portals due for a refresh (tokens/keep-alive-loop.ts).
   */
  readonly keepAliveDue: string;
  /** Sorted set: portals a worker claimed for a keep-alive refresh, scored with when the claim lapses (ms). */
  readonly keepAliveClaims: string;
  /** String: set once the credential index was built from the stored portals (store/build-credential-index.ts). */
  readonly credentialIndexBuilt: string;
  /** Hash: one rollout's id, start time, source and pair count (for naming it in a conflict). */
  rollout(id: string): string;
  /** Sorted set: one portal's pairs that want a call, by app CODE, scored with the time they are due (ms). */
  due(domain: string): string;
  /**
   * String (JSON array of definition hashes): the apps of the last plain rollout that named apps, what a portal
   * installing the application gets while no CODE has a stable definition yet (src/events/load-desired-apps.ts).
   */
  readonly lastRolloutDefs: string;
  /** String with a TTL: an application event already handled (or being handled), by its digest (src/events). */
  appEvent(digest: string): string;
  /** String with a TTL: events counted from one source address in one window (src/events/event-rate-limit.ts). */
  eventRate(source: string, window: number): string;
  /** String with a TTL: failed API logins / wrong bearer tokens from one source address in one window (src/api/failed-auth-limit.ts). */
  authFailures(source: string, window: number): string;
  /** String with a TTL: the worker resolving this portal's botCode with imbot.bot.list (pipeline/resolve-bot-id.ts). */
  botResolveLock(domain: string): string;
  /**
   * String with a TTL (the token's expiry): a source portal's access token from the token source, sealed
   * (src/tokens/source-token-cache.ts, docs/tokens.md "Borrowed tokens").
   */
  sourceToken(domain: string): string;
  /** String with a TTL: the SHA-256 of the last token the source was forced to replace for this portal. */
  sourceForced(domain: string): string;
  /** Hash: the token source's health: state, since, consecutive failures, last error (src/tokens/source-health.ts). */
  readonly tokenSourceHealth: string;
  /** Set: the source portals (auth type `source`, borrowed tokens), kept with the credential index. */
  readonly sourcePortals: string;
  /** Sorted set: every wave plan (`rollout --waves`) by id, scored with its creation time (ms). */
  readonly wavePlans: string;
  /** Set: ids of the wave plans the controller still advances (running or pausing: src/waves). */
  readonly activeWavePlans: string;
  /** Hash: one wave plan: apps, thresholds, state, current wave, halt reason, CAS version (src/waves/wave-plan.ts). */
  wavePlan(id: string): string;
  /** List: the portal domains of one wave of a plan (wave 1-based), in the plan's stable order. */
  wavePortals(id: string, wave: number): string;
  /** String with a TTL: the controller tick advancing this plan right now (src/waves/start-wave-controller.ts). */
  wavePlanLease(id: string): string;
  /** Set: ids of the plans not finished (running, pausing or halted): what is in flight per CODE (src/waves). */
  readonly openWavePlans: string;
  /**
   * Hash, field CODE: JSON of that CODE's stable definition (store/read-stable-apps.ts), what a portal that installs
   * the application gets; written with the plan that made it stable, in one script (src/waves/wave-plan-scripts.ts).
   */
  readonly stableApps: string;
  /** String with a TTL: a plan made through the API (`POST /api/plans`): request, summary (src/plan/plan-store.ts). */
  savedPlan(id: string): string;
  /** List with a TTL: that plan's pairs, one JSON entry each, in plan order (same hash tag as savedPlan). */
  savedPlanPairs(id: string): string;
}

/** Hash tag of the result store: every key a result script changes together (one slot). */
export const RESULTS_TAG = '{r}';
/** Hash tag of the keys about all portals that no result script touches. */
export const GLOBAL_TAG = '{g}';
/** Hash tag of BullMQ's keys (through `queuePrefix`). */
export const QUEUE_TAG = '{q}';

/** Hash tag of one saved plan's keys (a plan id holds no braces: src/plan/plan-store.ts). */
export function planTag(id: string): string {
  return `{plan:${id}}`;
}

/** Hash tag of one portal's own keys (a domain holds no braces: portal-entry-schema). */
export function portalTag(domain: string): string {
  return `{p:${domain}}`;
}

export function createRedisKeys(prefix: string): RedisKeys {
  const r = `${prefix}:${RESULTS_TAG}`;
  const g = `${prefix}:${GLOBAL_TAG}`;
  const p = (domain: string) => `${prefix}:${portalTag(domain)}`;
  return {
    prefix,
    queuePrefix: `${prefix}:${QUEUE_TAG}`,
    metricsCounters: `${g}:metrics:counters`,
    metricsLatency: `${g}:metrics:latency`,
    apiSession: (idHash) => `${g}:api-session:${idHash}`,
    handoutRate: (domain, window) => `${p(domain)}:handout-rate:${window}`,
    handoutDenied: (source, window) => `${g}:handout-denied:${source}:${window}`,
    portals: `${g}:portals`,
    portal: (domain) => `${p(domain)}:portal`,
    refreshLock: (domain) => `${p(domain)}:lock:refresh`,
    definition: (defHash) => `${g}:def:${defHash}`,
    pairs: `${r}:pairs`,
    result: (domain, code) => `${r}:result:${domain}|${code}`,
    attempts: (domain, code) => `${r}:attempts:${domain}|${code}`,
    stateCounts: `${r}:state-counts`,
    rolloutCounts: `${r}:rollout-counts`,
    rolloutHandedOver: `${r}:rollout-handed-over`,
    pairsByState: `${r}:pairs-by-state`,
    portalStates: `${r}:portal-states`,
    attention: `${r}:attention`,
    rolloutAttention: `${r}:rollout-attention`,
    resultPortals: `${r}:result-portals`,
    resultIndexVersion: `${r}:result-index-version`,
    resultIndexLock: `${r}:lock:result-index`,
    keyIds: `${g}:key-ids`,
    credentialsByRefresh: `${g}:credentials:by-refresh`,
    keepAliveDue: `${g}:keepalive:due`,
    keepAliveClaims: `${g}:keepalive:claims`,
    credentialIndexBuilt: `${g}:credentials:index-built`,
    rollout: (id) => `${r}:rollout:${id}`,
    due: (domain) => `${r}:due:${domain}`,
    lastRolloutDefs: `${r}:last-rollout-defs`,
    appEvent: (digest) => `${g}:app-event:${digest}`,
    eventRate: (source, window) => `${g}:event-rate:${source}:${window}`,
    authFailures: (source, window) => `${g}:auth-failures:${source}:${window}`,
    botResolveLock: (domain) => `${p(domain)}:lock:bot`,
    sourceToken: (domain) => `${p(domain)}:source-token`,
    sourceForced: (domain) => `${p(domain)}:source-forced`,
    tokenSourceHealth: `${g}:token-source:health`,
    sourcePortals: `${g}:token-source:portals`,
    wavePlans: `${r}:wave-plans`,
    activeWavePlans: `${r}:wave-plans:active`,
    wavePlan: (id) => `${r}:wave-plan:${id}`,
    wavePortals: (id, wave) => `${r}:wave-plan:${id}:portals:${wave}`,
    wavePlanLease: (id) => `${r}:wave-plan:${id}:lease`,
    openWavePlans: `${r}:wave-plans:open`,
    stableApps: `${r}:stable-apps`,
    savedPlan: (id) => `${prefix}:${planTag(id)}:plan`,
    savedPlanPairs: (id) => `${prefix}:${planTag(id)}:pairs`,
  };
}

/**
 * Keys only the layout before hash tags had (`<prefix>:pairs` ...; BullMQ's queue under `<prefix>:rollout`):
 * their presence means data of an older version (src/store/check-key-layout.ts).
 */
export function legacyLayoutKeys(prefix: string): string[] {
  return [`${prefix}:pairs`, `${prefix}:portals`, `${prefix}:state-counts`, `${prefix}:rollout:meta`];
}

export function pairMember(domain: string, code: string): string {
  return `${domain}|${code}`;
}

export function parsePairMember(member: string): { domain: string; code: string } {
  const at = member.indexOf('|');
  return { domain: member.slice(0, at), code: member.slice(at + 1) };
}
