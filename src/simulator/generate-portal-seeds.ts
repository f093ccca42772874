import type { SimPortalSeed } from './simulator-types.js';

/** `portal-00001.sim.test` for index 1 (zero-padded to 5 digits). */
export function generatedPortalDomain(index: number): string {
  return `portal-${String(index).padStart(5, '0')}.sim.test`;
}

/** `count` distinct positions of `pool`, chosen with `random` (partial Fisher-Yates). */
function pick(pool: number[], count: number, random: () => number): Set<number> {
  const items = [...pool];
  const chosen = new Set<number>();
  for (let i = 0; i < count && i < items.length; i += 1) {
    const j = i + Math.floor(random() * (items.length - i));
    const a = items[i] as number;
    const b = items[j] as number;
    items[i] = b;
    items[j] = a;
    chosen.add(b);
  }
  return chosen;
}

/**
 * Seeds for `count` generated portals. Exactly round(count * webhookShare) of them use webhooks and
 * round(count * expiredShare) of the OAuth ones (at most all of them) start with an expired access token; which
 * ones is drawn from `random`, so the same seed gives the same portals.
 */
export function generatePortalSeeds(
  count: number,
  webhookShare: number,
  expiredShare: number,
  random: () => number,
): SimPortalSeed[] {
  const all = Array.from({ length: count }, (_, i) => i);
  const webhooks = pick(all, Math.round(count * webhookShare), random);
  const oauth = all.filter((i) => !webhooks.has(i));
  const expired = pick(oauth, Math.round(count * expiredShare), random);
  return all.map((i) => {
    const seed: SimPortalSeed = { domain: generatedPortalDomain(i + 1) };
    if (webhooks.has(i)) seed.auth = 'webhook';
    if (expired.has(i)) seed.accessTokenExpired = true;
    return seed;
  });
}

/**
 * `seeds` with `apps` added to exactly round(seeds.length * share) of them, chosen with `random` (the same seed
 * gives the same portals). Each chosen portal gets its own copy of `apps`.
 */
export function addPreexistingApps(
  seeds: SimPortalSeed[],
  share: number,
  apps: Record<string, unknown>[],
  random: () => number,
): SimPortalSeed[] {
  const chosen = pick(
    seeds.map((_, i) => i),
    Math.round(seeds.length * share),
    random,
  );
  return seeds.map((seed, i) => (chosen.has(i) ? { ...seed, apps: structuredClone(apps) } : seed));
}
