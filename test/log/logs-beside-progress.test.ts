import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/create-logger.js';
import type { PairCounts } from '../../src/ops/pair-counts.js';
import { createProgressReporter } from '../../src/ops/progress-reporter.js';

const ERASE_LINE = '\r\x1b[2K';

/** A terminal as the two writers share it: what was written, in order. */
function fakeTerminal(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    stream: {
      isTTY,
      write(chunk: string) {
        writes.push(chunk);
        return true;
      },
    },
  };
}

function counts(pending: number): PairCounts {
  return { total: 10, registered: 10 - pending, unregistered: 0, failed: 0, needs_reauth: 0, pending };
}

/** The lines a terminal shows: each "\r\x1b[2K" erases back to the line's start, "\n" ends a line. */
function screen(writes: readonly string[]): string[] {
  return writes
    .join('')
    .split('\n')
    .map((line) => {
      const erased = line.lastIndexOf(ERASE_LINE);
      return erased < 0 ? line : line.slice(erased + ERASE_LINE.length);
    });
}

describe('log lines beside the progress bar', () => {
  it("on a terminal, a log line takes the bar's line whole, and the bar is drawn again below it", () => {
    const terminal = fakeTerminal(true);
    const reporter = createProgressReporter({ stream: terminal.stream, now: () => 0 });
    const logger = createLogger({ level: 'info', destination: terminal.stream });

    reporter.update(counts(6));
    logger.info({ portal: 'a.test' }, 'token refreshed');
    reporter.update(counts(2));

    const shown = screen(terminal.writes);
    expect(shown).toHaveLength(2);
    expect(JSON.parse(shown[0] ?? '')).toMatchObject({ msg: 'token refreshed', portal: 'a.test' });
    expect(shown[1]).toMatch(/^\[#+\.*\]\s+80% done 8\/10/);
  });

  it('elsewhere (a file, a pipe), log lines are written as they are, one JSON object a line', () => {
    const file = fakeTerminal(false);
    const logger = createLogger({ level: 'info', destination: file.stream });

    logger.info('one');
    logger.warn('two');

    expect(
      file.writes
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).msg),
    ).toEqual(['one', 'two']);
  });
});
