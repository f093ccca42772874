import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { failedCommand } from '../../src/cli/commands/failed.js';
import { retryCommand } from '../../src/cli/commands/retry.js';
import { unregisterCommand } from '../../src/cli/commands/unregister.js';
import { OperatorError } from '../../src/errors/operator-error.js';
import { type AttentionRow, countAttentionRows } from '../../src/ops/attention-row.js';
import { retryFailedPairs } from '../../src/ops/retry-failed-pairs.js';
import { createResultStore } from '../../src/store/result-store.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { type CliRun, runCli } from '../support/run-cli.js';

const run = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(args, env, 20_000);

/** One line on stderr, no stack trace. */
function expectOneLineError(result: CliRun, code: number, text: string): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toContain(text);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The harness config in a file, as ROLLOUT_CONFIG for the CLI. */
function cliEnv(h: Harness): Record<string, string> {
  const file = join(mkdtempSync(join(tmpdir(), 'ops-cli-')), 'config.json');
  writeFileSync(file, JSON.stringify(h.config));
  return { ROLLOUT_CONFIG: file };
}

/** Every credential the simulator handed out (none may appear in any output). */
function secretsOf(h: Harness): string[] {
  return h.sim
    .portalsFile()
    .flatMap((entry) =>
      entry.auth.type === 'oauth'
        ? [entry.auth.accessToken, entry.auth.refreshToken]
        : [entry.auth.url.split('/').at(-2) ?? entry.auth.url],
    );
}

/**
 * good: registered. badbot: imported with a wrong botId -> failed BOT_ID_ERROR. revoked: refresh token revoked ->
 * needs_reauth. lossy: every answer lost after the work (failed after 2 attempts), then the fault clears and a
 * retry registers it: registered, and the portal holds one app with CODE echo (register is get-or-create).
 */
async function troubledRollout(options: { only?: string[] } = {}): Promise<Harness> {
  const all = [
    { domain: 'good.sim.test' },
    { domain: 'badbot.sim.test' },
    { domain: 'revoked.sim.test', accessTokenExpired: true },
    { domain: 'lossy.sim.test', faults: { dropAfterWorkRate: 1 } },
  ];
  const h = await startHarness(
    { portals: all.filter((p) => !options.only || options.only.includes(p.domain)) },
    { retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50, jitter: 0 } },
  );
  harness = h;
  const domains = h.portals().map((p) => p.domain);
  if (domains.includes('revoked.sim.test')) h.sim.control.revokeRefreshToken('revoked.sim.test');
  h.startWorker();
  const portals = h
    .portals()
    .map((p) => (p.domain === 'badbot.sim.test' ? { ...p, botId: (p.botId ?? 0) + 1000 } : p));
  const summary = await h.rollout([jsApp('echo')], portals);
  await h.settle(summary.pairs);
  if (domains.includes('lossy.sim.test')) {
    expect(await h.runtime.results.get('lossy.sim.test', 'echo')).toMatchObject({
      state: 'failed',
      lastError: { code: 'CONNECTION_RESET' },
    });
    h.sim.control.setFaults('lossy.sim.test', {});
    await retryFailedPairs(h.runtime, { portal: 'lossy.sim.test' });
    expect(await h.settle([{ domain: 'lossy.sim.test', code: 'echo' }])).toMatchObject({ registered: 1 });
    expect(h.sim.portal('lossy.sim.test').apps.map((a) => a.code)).toEqual(['echo']);
  }
  return h;
}

const COMMANDS: Record<string, () => Command> = {
  failed: failedCommand,
  retry: retryCommand,
  export: exportCommand,
  unregister: unregisterCommand,
};

/**
 * Parses `args` with a fresh command in this process (no config, no Redis: for the checks made before either is
 * touched). Resolves with what the command threw and what commander printed to stderr.
 */
async function parseInProcess(name: string, args: string[]): Promise<{ error: unknown; stderr: string }> {
  let stderr = '';
  const command = COMMANDS[name]?.();
  if (!command) throw new Error(`no command ${name}`);
  command.exitOverride().configureOutput({
    writeErr: (text) => {
      stderr += text;
    },
    writeOut: () => undefined,
  });
  try {
    await command.parseAsync(args, { from: 'user' });
    return { error: undefined, stderr };
  } catch (error) {
    return { error, stderr };
  }
}

describe('operator commands', () => {
  it('describe themselves and every option in --help', async () => {
    for (const [name, make] of Object.entries(COMMANDS)) {
      const help = make().helpInformation();
      expect(help).toContain(`Usage: ${name} [options]`);
      expect(help.split('Options:')[0]?.length, name).toBeGreaterThan(150); // a real description
      expect(help).toMatch(/--\w/);
    }
    expect(COMMANDS['export']?.().helpInformation()).toContain('(choices: "csv", "json")');
    // The real binary, end to end:
    const { code, stdout } = await run(['export', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: imbot-rollout export [options]');
    expect(stdout).toContain('--format <format>');
  });

  it('refuse wrong usage before touching config or Redis', async () => {
    const usage = async (name: string, args: string[]) => {
      const { error } = await parseInProcess(name, args);
      expect(error).toBeInstanceOf(OperatorError);
      return { message: (error as OperatorError).message, exitCode: (error as OperatorError).exitCode };
    };
    expect(await usage('retry', [])).toEqual({
      message: 'say which failed pairs to retry: --portal D and/or --code C, or --all for every failed pair',
      exitCode: 2,
    });
    expect(await usage('retry', ['--all', '--code', 'echo'])).toEqual({
      message: 'give either --all or --portal/--code, not both',
      exitCode: 2,
    });
    const badFormat = await parseInProcess('export', ['--format', 'xml']);
    expect(badFormat.error).toBeInstanceOf(CommanderError);
    expect(badFormat.stderr).toContain("argument 'xml' is invalid. Allowed choices are csv, json.");
    const noFormat = await parseInProcess('export', []);
    expect((noFormat.error as CommanderError).exitCode).toBe(1);
    expect(noFormat.stderr).toContain("required option '--format <format>' not specified");
    expect((await parseInProcess('unregister', [])).stderr).toContain("required option '--code <code>'");
  });
});

describe('failed', () => {
  it('lists a BOT_ID_ERROR pair and a needs_reauth pair, and not a pair whose answers were lost then retried', async () => {
    const h = await troubledRollout();
    const env = cliEnv(h);
    const [text, json, onePortal, noCode] = await Promise.all([
      run(['failed'], env),
      run(['failed', '--json'], env),
      run(['failed', '--json', '--portal', 'BADBOT.sim.test'], env),
      run(['failed', '--code', 'nope'], env),
    ]);

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^PORTAL\s+CODE\s+STATE\s+APP_ID\s+ATTEMPTS\s+LAST ERROR\s+WHEN\n/);
    expect(text.stdout).toMatch(/badbot\.sim\.test\s+echo\s+failed\s+-\s+1\s+BOT_ID_ERROR: /);
    expect(text.stdout).toMatch(/revoked\.sim\.test\s+echo\s+needs_reauth\s+-\s+0\s+REFRESH_TOKEN_REUSED/);
    expect(text.stdout).not.toContain('good.sim.test');
    expect(text.stdout).not.toContain('lossy.sim.test');
    expect(text.stdout).toContain('2 pair(s) need attention: 1 failed, 1 needs_reauth\n');
    expect(text.stdout).toContain('next: failed: fix the cause in LAST ERROR, then `imbot-rollout retry');
    expect(text.stdout).toContain('next: needs_reauth: re-authorise the app on the portal, then import');

    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    const byPortal = new Map(rows.map((r) => [r['portal'], r]));
    expect([...byPortal.keys()].sort()).toEqual(['badbot.sim.test', 'revoked.sim.test']);
    expect(byPortal.get('badbot.sim.test')).toMatchObject({
      code: 'echo',
      state: 'failed',
      appId: null,
      attempts: 1,
      lastError: { code: 'BOT_ID_ERROR' },
      reasons: ['failed'],
      history: [{ op: 'register', outcome: 'failed', code: 'BOT_ID_ERROR' }],
    });
    expect(byPortal.get('revoked.sim.test')).toMatchObject({
      state: 'needs_reauth',
      lastError: { code: 'REFRESH_TOKEN_REUSED' },
      reasons: ['needs_reauth'],
    });
    for (const row of rows) {
      expect(row['updatedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      for (const attempt of row['history'] as { at: string }[]) expect(attempt.at).toMatch(/Z$/);
    }

    expect((JSON.parse(onePortal.stdout) as { portal: string }[]).map((r) => r.portal)).toEqual([
      'badbot.sim.test',
    ]);
    expect(noCode).toMatchObject({ code: 0, stdout: 'nothing needs attention\n' });

    const everything = [text, json, onePortal].map((r) => r.stdout + r.stderr).join('');
    for (const secret of secretsOf(h)) expect(everything).not.toContain(secret);
  });
});

describe('failed, status and GET /api/attention', () => {
  it('name the same pairs with the same reasons, counts, rows and history, and give the same next steps', async () => {
    const h = await troubledRollout({ only: ['good.sim.test', 'badbot.sim.test', 'revoked.sim.test'] });
    const env = cliEnv(h);
    const app = await buildApi(h.runtime, { host: '127.0.0.1', token: undefined });
    try {
      const [json, text, status, answer] = await Promise.all([
        run(['failed', '--json'], env),
        run(['failed'], env),
        run(['status'], env),
        // history=50: every attempt the store keeps, as `failed --json` prints them.
        app.inject({ method: 'GET', url: '/api/attention?history=50' }),
      ]);
      expect(json.code, json.stderr).toBe(0);
      expect(answer.statusCode, answer.body).toBe(200);
      const cli = JSON.parse(json.stdout) as AttentionRow[];
      const api = answer.json() as { counts: Record<string, number>; total: number; pairs: AttentionRow[] };
      expect(cli.map((r) => [r.portal, r.reasons])).toEqual([
        ['badbot.sim.test', ['failed']],
        ['revoked.sim.test', ['needs_reauth']],
      ]);
      // The same rows (status fields, reasons, ISO-time history); the API orders failed first, the CLI by pair.
      const byPair = (a: AttentionRow, b: AttentionRow) =>
        `${a.portal}|${a.code}`.localeCompare(`${b.portal}|${b.code}`);
      expect([...api.pairs].sort(byPair)).toEqual([...cli].sort(byPair));
      expect(api.counts).toEqual(countAttentionRows(cli));
      expect(api.counts).toEqual({ failed: 1, needs_reauth: 1 });
      expect(api.total).toBe(cli.length);

      // The counts and next steps in the words of `failed`, in `failed` and `status` alike.
      expect(text.stdout).toContain('2 pair(s) need attention: 1 failed, 1 needs_reauth\n');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('needs attention: 2 pair(s) (1 failed, 1 needs_reauth):\n');
      const nextLines = (out: string) => out.split('\n').filter((line) => line.startsWith('next: '));
      expect(nextLines(status.stdout)).toEqual(nextLines(text.stdout));
      expect(nextLines(text.stdout)).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});

describe('retry', () => {
  it('refuses a bare retry, says when nothing matched, and re-queues a fixed pair until it is registered', async () => {
    const h = await troubledRollout({ only: ['good.sim.test', 'badbot.sim.test'] });
    const env = cliEnv(h);
    const [bare, nothing] = await Promise.all([
      run(['retry'], env),
      run(['retry', '--portal', 'good.sim.test'], env),
    ]);
    expectOneLineError(bare, 2, 'say which failed pairs to retry: --portal D and/or --code C, or --all');
    expectOneLineError(nothing, 1, 'no failed pair for portal good.sim.test to retry');
    expect((await h.runtime.results.get('badbot.sim.test', 'echo'))?.state).toBe('failed');

    // Fix the cause: the portal is re-imported with its right botId (settings always follow the file).
    const right = h.portals().find((p) => p.domain === 'badbot.sim.test');
    if (!right) throw new Error('no badbot portal');
    await h.runtime.portals.importPortals([right]);
    const retried = await run(['retry', '--portal', 'badbot.sim.test'], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('retry: 1 failed pair(s) re-queued');
    expect(await h.settle([{ domain: 'badbot.sim.test', code: 'echo' }])).toMatchObject({ registered: 1 });
    const result = await h.runtime.results.get('badbot.sim.test', 'echo');
    expect(result).toMatchObject({ state: 'registered', attempts: 1, lastError: null });
    expect(h.sim.portal('badbot.sim.test').apps.map((a) => a.appId)).toEqual([result?.appId]);

    const again = await run(['retry', '--all'], env);
    expectOneLineError(again, 1, 'no failed pair to retry');
  });
});

describe('retry of a needs_reauth pair', () => {
  it('says retry does not re-queue it, and names the fix: re-authorise, then import the new credentials', async () => {
    const h = await troubledRollout({ only: ['good.sim.test', 'revoked.sim.test'] });

    const parked = await run(['retry', '--portal', 'revoked.sim.test'], cliEnv(h));

    expectOneLineError(
      parked,
      1,
      'no failed pair for portal revoked.sim.test to retry; 1 pair(s) wait for re-authorisation (needs_reauth), ' +
        'which retry does not re-queue: re-authorise the application on the portal, then import its new ' +
        'credentials with `imbot-rollout rollout --portals FILE` (that resumes them)',
    );
  });
});

describe('export', () => {
  const AT = '2025-01-02T03:04:05.000Z';

  /** Three pairs with fixed times: registered, failed with a hostile message, pending with a formula-like code. */
  async function seedResults(h: Harness): Promise<void> {
    const store = createResultStore({
      redis: h.runtime.redis,
      keys: h.runtime.keys,
      now: () => Date.parse(AT),
    });
    await store.requestPresent(
      ['a.example.com|echo', 'b.example.com|echo', 'c.example.com|-sum'].map((member) => {
        const [domain = '', code = ''] = member.split('|');
        return { domain, code, defHash: 'h1', portalParked: false };
      }),
    );
    await store.markApplied('a.example.com', 'echo', {
      op: 'register',
      appId: 17,
      defHash: 'h1',
      hashUsed: '0123456789abcdef0123456789abcdef',
    });
    await store.recordFailure('b.example.com', 'echo', {
      op: 'register',
      error: { code: 'BOT_ID_ERROR', message: '=HYPERLINK("http://x"), said "no"\nline 2' },
      final: true,
    });
    await store.recordFailure('c.example.com', '-sum', {
      op: 'register',
      error: { code: 'TIMEOUT', message: '@no answer, within 2000 ms' },
      final: false,
      nextAttemptAt: Date.parse(AT) + 1_000,
    });
  }

  const EXPECTED_CSV =
    'portal,code,state,appId,attempts,lastErrorCode,lastErrorMessage,updatedAt,hash\r\n' +
    `a.example.com,echo,registered,17,1,,,${AT},0123456789abcdef0123456789abcdef\r\n` +
    // The line break in the message is folded to a space (sanitiseText): one record per line.
    `b.example.com,echo,failed,,1,BOT_ID_ERROR,"'=HYPERLINK(""http://x""), said ""no"" line 2",${AT},\r\n` +
    `c.example.com,'-sum,pending,,1,TIMEOUT,"'@no answer, within 2000 ms",${AT},\r\n`;

  const EXPECTED_ROWS = [
    {
      portal: 'a.example.com',
      code: 'echo',
      state: 'registered',
      appId: 17,
      attempts: 1,
      lastError: null,
      updatedAt: AT,
      hash: '0123456789abcdef0123456789abcdef',
    },
    {
      portal: 'b.example.com',
      code: 'echo',
      state: 'failed',
      appId: null,
      attempts: 1,
      lastError: { code: 'BOT_ID_ERROR', message: '=HYPERLINK("http://x"), said "no"\nline 2' },
      updatedAt: AT,
      hash: null,
    },
    {
      portal: 'c.example.com',
      code: '-sum',
      state: 'pending',
      appId: null,
      attempts: 1,
      lastError: { code: 'TIMEOUT', message: '@no answer, within 2000 ms' },
      updatedAt: AT,
      hash: null,
    },
  ];

  it('writes CSV with RFC 4180 quoting and neutralised formulas, and JSON equal to status --json', async () => {
    harness = await startHarness({ portals: 1 });
    await seedResults(harness);
    const env = cliEnv(harness);
    const [csv, json, status] = await Promise.all([
      run(['export', '--format', 'csv'], env),
      run(['export', '--format', 'json'], env),
      run(['status', '--json'], env),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(EXPECTED_CSV);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe(`${JSON.stringify(EXPECTED_ROWS, null, 2)}\n`);
    expect(json.stdout).toBe(status.stdout);
  });

  it('replaces an --out file atomically, leaves no temp file, and says when it cannot write', async () => {
    harness = await startHarness({ portals: 1 });
    await seedResults(harness);
    const env = cliEnv(harness);
    const dir = mkdtempSync(join(tmpdir(), 'export-'));
    const out = join(dir, 'results.csv');
    writeFileSync(out, 'old content\n');
    const [written, badDir] = await Promise.all([
      run(['export', '--format', 'csv', '--out', out], env),
      run(['export', '--format', 'json', '--out', join(dir, 'missing', 'x.json')], env),
    ]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe(`export: csv written to ${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe(EXPECTED_CSV);
    expect(readdirSync(dir)).toEqual(['results.csv']);
    expectOneLineError(badDir, 1, `cannot write ${join(dir, 'missing', 'x.json')} (ENOENT)`);
  });
});

describe('unregister', () => {
  it('unregisters an app from every portal through the workers, one call per pair, and --wait waits', async () => {
    harness = await startHarness({ portals: 3, seed: 21 });
    harness.startWorker();
    await harness.settle((await harness.rollout([jsApp('echo'), jsApp('help')])).pairs);
    const env = cliEnv(harness);
    const [unregistered, unknown] = await Promise.all([
      run(['unregister', '--code', 'echo', '--wait'], env),
      run(['unregister', '--code', 'nope'], env),
    ]);
    expect(unregistered.code, unregistered.stderr).toBe(0);
    expect(unregistered.stdout).toContain(
      'unregister: 3 pair(s) queued for imbot.app.unregister, 0 holding no APP_ID marked unregistered',
    );
    expect(unregistered.stderr).toContain('progress: done 3/3');
    expectOneLineError(unknown, 1, 'no pair with code nope is known');

    expect(harness.sim.stats().callsByMethod['imbot.app.unregister']).toBe(3);
    for (const portal of harness.portals()) {
      expect(await harness.runtime.results.get(portal.domain, 'echo')).toMatchObject({
        state: 'unregistered',
        appId: null,
        desired: 'absent',
      });
      expect(harness.sim.portal(portal.domain).apps.map((a) => a.code)).toEqual(['help']);
      expect((await harness.runtime.results.get(portal.domain, 'help'))?.state).toBe('registered');
    }
    const onePortal = await run(['unregister', '--code', 'help', '--portal', 'nowhere.sim.test'], env);
    expectOneLineError(onePortal, 1, 'no pair with code help on portal nowhere.sim.test is known');
  });
});
