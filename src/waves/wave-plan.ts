/**
 * A wave plan (`rollout --waves`): the portals split into waves, started one after the other, each only once the
 * one before it has settled with failure and re-auth rates at or under the thresholds (docs/waves.md).
 *
 * States: `running` (wave `wave` is queued, or being queued while `enqueued < wave`, and the controller waits for
 * it to settle), `pausing` (wave `wave` passed its checks; wave + 1 starts at `pauseUntil`), `halted` (stopped
 * with `reason`; `rollout --resume` or `--skip-wave` goes on), `aborted` and `done` (final).
 */
export const WAVE_PLAN_STATES = ['running', 'pausing', 'halted', 'aborted', 'done'] as const;
export type WavePlanState = (typeof WAVE_PLAN_STATES)[number];

/** A pair of a halted wave that failed or needs re-authorisation (the first ones, see FAILING_LIST_LIMIT). */
export interface FailingPair {
  portal: string;
  code: string;
  state: string;
  error: string;
}

/** How many failing pairs a halted plan lists (the counts are exact). */
export const FAILING_LIST_LIMIT = 50;

export interface WavePlan {
  id: string;
  /**
   * A plain rollout (`rollout` without `--waves`) recorded as a one-wave plan: its one wave's pairs carry the
   * plan's own id (`r-...`), queued by the producer before the plan was stored (src/waves/enqueue-plain-rollout.ts).
   */
  single: boolean;
  createdAt: number;
  updatedAt: number;
  /** Where the definitions came from (the apps file name). */
  source: string;
  /** The apps every wave applies, by CODE and definition hash (definitions are in the definition store). */
  apps: { code: string; defHash: string }[];
  /** Cumulative percentages as given (`[1, 10, 100]`). */
  percents: number[];
  /** Portals in each wave. */
  waveSizes: number[];
  /** Halt when a settled wave's share of failed pairs is above this (0..1). */
  haltFailures: number;
  /** Halt when a settled wave's share of pairs needing re-authorisation is above this (0..1). */
  haltNeedsReauth: number;
  pauseMs: number;
  recreate: boolean;
  replace: boolean;
  state: WavePlanState;
  /** The current wave, 1-based. */
  wave: number;
  /** The last wave whose jobs were all queued (0: none yet). */
  enqueued: number;
  pauseUntil: number | undefined;
  /** Why the plan halted or was aborted. */
  reason: string | undefined;
  failing: FailingPair[];
  /** Failed + needs_reauth pairs of the halted wave (all of them, `failing` lists the first). */
  failingTotal: number;
  /** Compare-and-set version: every transition checks and bumps it (WAVE_PLAN_TRANSITION). */
  version: number;
}

/** The rollout id the pairs of wave `wave` are recorded under (one per wave, so each wave is counted apart). */
export function waveRolloutId(planId: string, wave: number): string {
  return `${planId}.w${wave}`;
}

/** The rollout id the pairs of wave `wave` of this plan carry: the plan's own id for a plain rollout. */
export function rolloutIdOfWave(plan: Pick<WavePlan, 'id' | 'single'>, wave: number): string {
  return plan.single ? plan.id : waveRolloutId(plan.id, wave);
}

export function waveCount(plan: Pick<WavePlan, 'waveSizes'>): number {
  return plan.waveSizes.length;
}

/** A plan the controller still advances. */
export function isActive(state: WavePlanState): boolean {
  return state === 'running' || state === 'pausing';
}

/** A plan not finished yet: its definitions are in flight (running, pausing or halted). */
export function isOpen(state: WavePlanState): boolean {
  return state !== 'done' && state !== 'aborted';
}

const num = (value: string | undefined, fallback = 0): number => {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) ? fallback : n;
};

function json<T>(value: string | undefined, fallback: T): T {
  if (!value) return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

/** The stored hash as a plan (undefined: no such plan). */
export function decodeWavePlan(raw: Record<string, string>): WavePlan | undefined {
  const id = raw['id'];
  if (!id) return undefined;
  const state = (WAVE_PLAN_STATES as readonly string[]).includes(raw['state'] ?? '')
    ? (raw['state'] as WavePlanState)
    : 'halted';
  return {
    id,
    single: raw['single'] === '1',
    createdAt: num(raw['createdAt']),
    updatedAt: num(raw['updatedAt']),
    source: raw['source'] ?? '',
    apps: json(raw['apps'], []),
    percents: json(raw['percents'], []),
    waveSizes: json(raw['waveSizes'], []),
    haltFailures: num(raw['haltFailures']),
    haltNeedsReauth: num(raw['haltNeedsReauth']),
    pauseMs: num(raw['pauseMs']),
    recreate: raw['recreate'] === '1',
    replace: raw['replace'] === '1',
    state,
    wave: num(raw['wave'], 1),
    enqueued: num(raw['enqueued']),
    pauseUntil: raw['pauseUntil'] ? num(raw['pauseUntil']) : undefined,
    reason: raw['reason'] || undefined,
    failing: json(raw['failing'], []),
    failingTotal: num(raw['failingTotal']),
    version: num(raw['version']),
  };
}

/** The fields a transition writes (strings, as HSET stores them). */
export type WavePlanChange = Partial<
  Pick<WavePlan, 'state' | 'wave' | 'enqueued' | 'pauseUntil' | 'reason' | 'failing' | 'failingTotal'>
>;

export function encodeChange(change: WavePlanChange, now: number): Record<string, string> {
  const fields: Record<string, string> = { updatedAt: String(now) };
  if (change.state !== undefined) fields['state'] = change.state;
  if (change.wave !== undefined) fields['wave'] = String(change.wave);
  if (change.enqueued !== undefined) fields['enqueued'] = String(change.enqueued);
  if ('pauseUntil' in change)
    fields['pauseUntil'] = change.pauseUntil === undefined ? '' : String(change.pauseUntil);
  if ('reason' in change) fields['reason'] = change.reason ?? '';
  if (change.failing !== undefined) fields['failing'] = JSON.stringify(change.failing);
  if (change.failingTotal !== undefined) fields['failingTotal'] = String(change.failingTotal);
  return fields;
}
