import type { PairCounts } from './pair-counts.js';
import { sanitiseText } from './sanitise-text.js';

export interface ProgressReporterOptions {
  /** Where to write; a TTY gets a redrawn bar, anything else plain periodic lines. */
  stream: NodeJS.WriteStream | { write(chunk: string): boolean; isTTY?: boolean };
  now?: () => number;
  /** Minimum ms between plain lines (default 5000). */
  plainIntervalMs?: number;
  /**
   * Pairs of the rollout that needed no work (registered with the same definition already: the producer's
   * `unchanged`). Left out of the counts, the rate and the ETA, which are about the pairs that need work: thousands
   * of unchanged pairs settled at once would otherwise show rates like 6000000.0/s.
   */
  unchanged?: number;
}

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Progress of a rollout: done / failed / pending, rate and ETA; a bar on a TTY, plain lines otherwise. */
export function createProgressReporter(options: ProgressReporterOptions) {
  const now = options.now ?? Date.now;
  const started = now();
  const tty = Boolean(options.stream.isTTY);
  const plainInterval = options.plainIntervalMs ?? 5_000;
  let lastPlain = Number.NEGATIVE_INFINITY; // the first update prints at once

  const unchanged = Math.max(0, options.unchanged ?? 0);
  function describe(all: PairCounts, paused = false): string {
    const c = { ...all, total: Math.max(0, all.total - unchanged) };
    const done = Math.max(0, all.registered + all.unregistered - unchanged);
    const finished = c.total - c.pending;
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (finished / elapsed) * 1000 : 0;
    const eta = rate > 0 ? (c.pending / rate) * 1000 : Number.POSITIVE_INFINITY;
    const parts = [
      `done ${done}/${c.total}`,
      `failed ${c.failed}`,
      `needs_reauth ${c.needs_reauth}`,
      `pending ${c.pending}`,
      `${rate.toFixed(1)}/s`,
      `ETA ${c.pending === 0 ? '0s' : formatDuration(eta)}`,
    ];
    if (unchanged > 0) parts.push(`${unchanged} unchanged`);
    if (paused) parts.push('QUEUE PAUSED');
    return parts.join(' | ');
  }

  return {
    /** `paused`: the queue is paused, so nothing moves (shown on the line). */
    update(c: PairCounts, paused = false): void {
      if (tty) {
        const width = 30;
        const work = Math.max(0, c.total - unchanged);
        const ratio = work === 0 ? 1 : (work - c.pending) / work;
        const filled = Math.round(ratio * width);
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`;
        options.stream.write(`\r\x1b[2K${bar} ${describe(c, paused)}`);
      } else if (now() - lastPlain >= plainInterval || c.pending === 0) {
        lastPlain = now();
        options.stream.write(`progress: ${describe(c, paused)}\n`);
      }
    },
    /** A line of its own (on a TTY, over the bar, which the next update redraws); made printable. */
    notice(text: string): void {
      options.stream.write(`${tty ? '\r\x1b[2K' : ''}${sanitiseText(text)}\n`);
    },
    finish(c: PairCounts): void {
      if (tty) options.stream.write(`\r\x1b[2K${describe(c)}\n`);
      else options.stream.write(`progress: ${describe(c)}\n`);
    },
  };
}
