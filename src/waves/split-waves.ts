import { createHash } from 'node:crypto';
import { UsageError } from '../errors/operator-error.js';

/** The stable order of portals in a wave plan: by SHA-256 of the domain, then by domain. */
export function waveOrder(domains: readonly string[]): string[] {
  const keyed = [...new Set(domains)].map((domain) => ({
    domain,
    key: createHash('sha256').update(domain).digest('hex'),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.domain < b.domain ? -1 : 1));
  return keyed.map((k) => k.domain);
}

/**
 * Splits portals into waves by cumulative percentages (`[1, 10, 100]`: the first 1%, up to 10%, the rest). Same
 * domains give the same waves whatever their order in the file: they are ordered by a hash of the domain
 * (waveOrder), so wave 1 is a spread sample rather than the first lines of the file. Wave k ends at
 * ceil(n * p_k / 100), moved so that every wave holds at least one portal. `percents` must be validated
 * (parseWavePercents); fewer portals than waves is refused.
 */
export function splitWaves(domains: readonly string[], percents: readonly number[]): string[][] {
  const ordered = waveOrder(domains);
  const n = ordered.length;
  const count = percents.length;
  if (n < count) {
    throw new UsageError(
      `--waves: ${count} waves need at least ${count} portals, the portals file has ${n}: give fewer waves`,
    );
  }
  const waves: string[][] = [];
  let start = 0;
  for (const [index, percent] of percents.entries()) {
    const wavesAfter = count - 1 - index;
    const wanted = Math.ceil((n * percent) / 100 - 1e-9);
    const end = Math.min(Math.max(wanted, start + 1), n - wavesAfter);
    waves.push(ordered.slice(start, end));
    start = end;
  }
  return waves;
}
