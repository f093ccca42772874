import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createResultStore } from '../../src/store/result-store.js';
import { type Harness, startHarness } from '../pipeline/support/pipeline-harness.js';
import { type CliRun, runCli } from '../support/run-cli.js';

/** Anything a terminal would act on: C0 controls but LF, DEL, C1 controls, bidi overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * An `error_description` as a hostile portal sends it (issue 11, item 5): it retitles the terminal (OSC 0 ... BEL),
 * recolours it, clears the screen with an 8-bit CSI, forges a line of our own output after CR/LF, and reverses
 * text with U+202E.
 */
const HOSTILE =
  '\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\r\nimbot-rollout: all pairs registered\u009b2J\u202eevil';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function cliEnv(h: Harness): Record<string, string> {
  const file = join(mkdtempSync(join(tmpdir(), 'terminal-safety-')), 'config.json');
  writeFileSync(file, JSON.stringify(h.config));
  return { ROLLOUT_CONFIG: file };
}

function expectPrintable(run: CliRun, what: string, allowCrlf = false): void {
  expect(run.code, `${what}: ${run.stderr}`).toBe(0);
  const out = allowCrlf ? run.stdout.replaceAll('\r\n', '\n') : run.stdout;
  expect(out, what).not.toMatch(RAW_CONTROL);
  expect(run.stderr, what).not.toMatch(RAW_CONTROL);
  // The forged line never starts a line of its own.
  expect(
    out.split('\n').some((line) => line.startsWith('imbot-rollout: all pairs')),
    what,
  ).toBe(false);
}

describe('terminal injection through a portal error text', () => {
  it('status, failed and export show it escaped, on one line, and JSON still parses to the stored text', async () => {
    const h = await startHarness({ portals: 1 });
    harness = h;
    const store = createResultStore({ redis: h.runtime.redis, keys: h.runtime.keys, now: Date.now });
    await store.requestPresent([
      { domain: 'evil.example.com', code: 'echo', defHash: 'h1', portalParked: false },
    ]);
    await store.recordFailure('evil.example.com', 'echo', {
      op: 'register',
      error: { code: 'PARAMS_ERROR', message: HOSTILE },
      final: true,
    });
    const env = cliEnv(h);
    const [status, failed, statusJson, failedJson, csv, json] = await Promise.all([
      runCli(['status'], env),
      runCli(['failed'], env),
      runCli(['status', '--json'], env),
      runCli(['failed', '--json'], env),
      runCli(['export', '--format', 'csv'], env),
      runCli(['export', '--format', 'json'], env),
    ]);

    for (const [what, run] of Object.entries({ status, failed })) {
      expectPrintable(run, what);
      expect(run.stdout, what).toContain('PARAMS_ERROR: \\x1b]0;pwned\\x07\\x1b[31mred');
      expect(
        run.stdout.split('\n').filter((l) => l.includes('evil.example.com')),
        what,
      ).toHaveLength(1);
    }
    for (const [what, run] of Object.entries({ statusJson, failedJson, json })) {
      expectPrintable(run, what);
      const rows = JSON.parse(run.stdout) as { lastError: { message: string } }[];
      expect(rows[0]?.lastError.message, what).toBe(HOSTILE); // the data itself is kept whole
    }
    expectPrintable(csv, 'csv', true);
    const records = csv.stdout.split('\r\n');
    expect(records).toHaveLength(3); // header, the pair, and the empty string after the final CRLF
    expect(records[1]).toContain(
      '\\x1b]0;pwned\\x07\\x1b[31mred\\x1b[0m imbot-rollout: all pairs registered',
    );
  });
});
