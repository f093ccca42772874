import { UsageError } from '../errors/operator-error.js';

const PERCENT = /^(\d+(?:\.\d+)?)%?$/;

function parsePercent(text: string, flag: string, what: string): number {
  const match = PERCENT.exec(text.trim());
  const value = match ? Number(match[1]) : Number.NaN;
  if (!Number.isFinite(value) || value > 100) {
    throw new UsageError(`${flag}: "${text}" is not a percentage from 0% to 100% (${what})`);
  }
  return value;
}

/** `--waves 1%,10%,100%`: cumulative percentages, each above 0, strictly increasing, the last 100%. */
export function parseWavePercents(text: string): number[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.length === 0 || items.some((item) => item === '')) {
    throw new UsageError(`--waves: "${text}" must be a comma-separated list such as 1%,10%,100%`);
  }
  const percents = items.map((item) => parsePercent(item, '--waves', 'e.g. --waves 1%,10%,100%'));
  for (const [index, percent] of percents.entries()) {
    if (percent <= 0)
      throw new UsageError(`--waves: wave ${index + 1} is ${percent}%: every wave must be above 0%`);
    const before = percents[index - 1];
    if (before !== undefined && percent <= before) {
      throw new UsageError(
        `--waves: the percentages are cumulative and must increase: wave ${index + 1} (${percent}%) is not above ` +
          `wave ${index} (${before}%), e.g. --waves 1%,10%,100%`,
      );
    }
  }
  if (percents.at(-1) !== 100) {
    throw new UsageError(`--waves: the last wave must be 100% (all portals), got ${percents.at(-1)}%`);
  }
  if (percents.length > 100) throw new UsageError('--waves: at most 100 waves');
  return percents;
}

/** `--halt-failures 5%` / `--halt-needs-reauth 20%`: a share from 0 to 1. */
export function parseHaltThreshold(text: string, flag: string): number {
  return parsePercent(text, flag, 'the wave halts when its share of such pairs is above it') / 100;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `--pause-between 10m`: `0`, or a number with ms, s, m or h; at most 7 days. */
export function parseDuration(text: string, flag: string): number {
  const match = DURATION.exec(text.trim());
  const unit = (match?.[2] ?? (match?.[1] === '0' ? 'ms' : undefined)) as keyof typeof UNIT_MS | undefined;
  const ms = match && unit ? Math.round(Number(match[1]) * UNIT_MS[unit]) : Number.NaN;
  if (!Number.isFinite(ms) || ms > 7 * 24 * 3_600_000) {
    throw new UsageError(
      `${flag}: "${text}" is not a duration: use e.g. 30s, 10m or 1h (0 for none, at most 7 days)`,
    );
  }
  return ms;
}
