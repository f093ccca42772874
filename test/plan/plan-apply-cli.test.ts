import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDefinition } from '../../src/apps/app-definition-schema.js';
import { OperatorError } from '../../src/errors/operator-error.js';
import { checkPlanHolds } from '../../src/plan/check-plan-holds.js';
import { computeRolloutPlan } from '../../src/plan/compute-rollout-plan.js';
import { formatPlanSummary } from '../../src/plan/format-plan-summary.js';
import { createPlanWriter, type PlanFile, planFileSchema } from '../../src/plan/plan-file.js';
import type { PlanEntry } from '../../src/plan/plan-summary.js';
import { recordPlanRequest } from '../../src/plan/record-plan-request.js';
import { StalePlanError } from '../../src/plan/stale-plan-error.js';
import { splitWaves } from '../../src/waves/split-waves.js';
import { type Harness, iframeApp, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { runCli } from '../support/run-cli.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The harness's config and input files, as an operator would have them. */
function files(h: Harness, apps: unknown[]) {
  const dir = mkdtempSync(join(tmpdir(), 'plan-cli-'));
  const config = join(dir, 'config.json');
  const appsFile = join(dir, 'apps.json');
  const portals = join(dir, 'portals.json');
  writeFileSync(config, JSON.stringify(h.config));
  writeFileSync(appsFile, JSON.stringify(apps));
  writeFileSync(portals, JSON.stringify(h.sim.portalsFile()));
  const run = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { ROLLOUT_CONFIG: config, ...env }, 40_000);
  return { dir, appsFile, portals, plan: join(dir, 'plan.json'), run };
}

describe('rollout --plan and --apply on the command line', () => {
  it('plans without calling a portal, saves a plan with no secret in it, and --apply --wait queues exactly that plan and sums it up by app', async () => {
    harness = await startHarness({ portals: 4, webhookShare: 0.5, seed: 31 });
    const h = harness;
    const f = files(h, [jsApp('echo'), iframeApp('panel')]);

    const planned = await f.run([
      'rollout',
      '--apps',
      f.appsFile,
      '--portals',
      f.portals,
      '--plan',
      '--out',
      f.plan,
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/plan: 8 pairs/);
    expect(planned.stdout).toMatch(/^total +8 +0 +0 +0 +0 +0 +0$/m);
    expect(planned.stdout).toContain(`rollout --apply ${f.plan}`);
    expect(h.sim.stats().calls).toBe(0);
    expect(await h.runtime.results.countsByState()).toMatchObject({ pending: 0, registered: 0 });

    const text = readFileSync(f.plan, 'utf8');
    const plan = planFileSchema.parse(JSON.parse(text));
    expect(plan.pairs).toHaveLength(8);
    expect(plan.pairs.every((p) => p.action === 'register' && p.adoption === true)).toBe(true);
    // No credential, webhook code or configured secret in the file.
    const secrets = [h.config.hashSecret, h.config.secrets.key, h.config.b24.clientSecret];
    for (const portal of h.sim.portalsFile() as { auth: Record<string, string> }[])
      secrets.push(...Object.values(portal.auth).filter((v) => v.length >= 16));
    for (const secret of secrets) if (secret) expect(text).not.toContain(secret);
    expect(secrets.length).toBeGreaterThan(4);

    h.startWorker();
    const applied = await f.run(['rollout', '--apply', f.plan, '--wait']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`(plan ${plan.id}): 8 pairs: 8 queued`);
    // --wait ends with the pairs by state, per app and in total.
    expect(applied.stdout).toMatch(
      /settled, by app:\n {2}echo: 4 registered\n {2}panel: 4 registered\n {2}total: 8 registered\n/,
    );
    const counts = await h.settle(plan.pairs);
    expect(counts).toMatchObject({ registered: 8 });
  }, 120_000);

  it('refuses (exit 2) a plan whose pairs settled between plan and apply, naming them and their count', async () => {
    harness = await startHarness({ portals: 3, seed: 32 });
    const h = harness;
    const f = files(h, [jsApp('echo')]);
    const queued = await h.rollout([jsApp('echo')]);
    const planned = await f.run([
      'rollout',
      '--apps',
      f.appsFile,
      '--portals',
      f.portals,
      '--plan',
      '--out',
      f.plan,
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    h.startWorker();
    await h.settle(queued.pairs);

    const applied = await f.run(['rollout', '--apply', f.plan]);
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain('3 pair(s) would now get another action');
    for (const pair of queued.pairs)
      expect(applied.stderr).toContain(`${pair.domain} echo: planned register, now unchanged`);
  }, 120_000);
});

/** A plan as `rollout --plan --out` saves it, made in this process. */
async function savePlan(
  h: Harness,
  request: { apps: AppDefinition[]; replace?: boolean },
  createdAt = new Date(),
): Promise<PlanFile> {
  const portals = h.portals();
  const full = { apps: request.apps, portals, recreate: false, replace: request.replace ?? false };
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const writer = createPlanWriter(out, {
    id: 'p-test',
    createdAt: createdAt.toISOString(),
    request: recordPlanRequest({
      ...full,
      appsFile: 'apps.json',
      portalsFile: 'portals.json',
      waves: undefined,
    }),
  });
  const summary = await computeRolloutPlan(full, h.runtime, (entry) => writer.write(entry));
  await writer.end(summary);
  return planFileSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
}

/** checkPlanHolds as `rollout --apply` runs it, with the plan's inputs read again (`apps` as they are now). */
async function applyCheck(h: Harness, plan: PlanFile, apps: AppDefinition[], maxAgeMs = 86_400_000) {
  const portals = h.portals();
  const { recreate, replace } = plan.request;
  return await checkPlanHolds(
    plan,
    {
      request: { apps, portals, recreate, replace },
      record: recordPlanRequest({
        apps,
        portals,
        recreate,
        replace,
        appsFile: 'apps.json',
        portalsFile: 'portals.json',
        waves: undefined,
      }),
    },
    h.runtime,
    { maxAgeMs },
  );
}

async function refusal(promise: Promise<unknown>): Promise<OperatorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OperatorError)) throw new Error(`expected a refusal, got ${String(error)}`);
  expect(error.exitCode).toBe(2);
  return error;
}

describe('a saved plan that no longer holds', () => {
  it('is refused when a portal was parked in between, naming its pairs', async () => {
    harness = await startHarness({ portals: 3, seed: 33 });
    const h = harness;
    const apps = [jsApp('echo'), jsApp('help')];
    await h.runtime.portals.importPortals(h.portals()); // stored as the file has them: the apply imports nothing new
    const plan = await savePlan(h, { apps });
    await expect(applyCheck(h, plan, apps)).resolves.toMatchObject({ pairs: 6 });

    const parked = h.portals()[1]?.domain ?? '';
    await h.runtime.portals.markNeedsReauth(parked, 'test: refresh token revoked');
    const error = await refusal(applyCheck(h, plan, apps));
    expect(error).toBeInstanceOf(StalePlanError);
    expect(error.message).toContain('2 pair(s) would now get another action');
    expect(error.message).toContain(`${parked} echo: planned register, now blocked (needs_reauth)`);
    expect(error.message).toContain(`${parked} help: planned register, now blocked (needs_reauth)`);
  });

  it('is refused when older than the allowed age', async () => {
    harness = await startHarness({ portals: 1, seed: 35 });
    const apps = [jsApp('echo')];
    const plan = await savePlan(harness, { apps }, new Date(Date.now() - 25 * 3_600_000));
    const error = await refusal(applyCheck(harness, plan, apps));
    expect(error.message).toMatch(
      /was made 25 h ago .*more than the 24 h allowed \(--max-age, or plan\.maxAgeMs/,
    );
  });

  it('is refused when a definition changed since, and when its rollout would be refused whole (conflict)', async () => {
    harness = await startHarness({ portals: 2, seed: 34 });
    const h = harness;
    await h.rollout([jsApp('echo', '/other')]); // in flight, no worker: another definition of echo
    const apps = [jsApp('echo', '/help')];
    const conflicting = await savePlan(h, { apps });
    expect(conflicting.summary.totals.conflict).toBe(2);
    expect(formatPlanSummary(conflicting.summary).join('\n')).toContain(
      'this rollout would be refused whole',
    );
    const error = await refusal(applyCheck(h, conflicting, apps));
    expect(error.message).toContain('describes a rollout that is refused whole');

    const replacing = await savePlan(h, { apps, replace: true });
    await expect(applyCheck(h, replacing, apps)).resolves.toMatchObject({ pairs: 2 });
    const changed = await refusal(applyCheck(h, replacing, [jsApp('echo', '/changed')]));
    expect(changed.message).toMatch(/the definitions in \S*apps\.json changed since the plan \(echo\)/);
  });
});

describe('a plan in waves', () => {
  it('breaks the counts down per wave, the waves the rollout will use (same split as rollout --waves)', async () => {
    harness = await startHarness({ portals: 10, seed: 36 });
    const h = harness;
    const portals = h.portals();
    const apps = [jsApp('echo'), jsApp('help')];
    const entries: PlanEntry[] = [];
    const summary = await computeRolloutPlan(
      { apps, portals, recreate: false, replace: false, waves: [20, 100] },
      h.runtime,
      (entry) => {
        entries.push(entry);
      },
    );
    const waves = splitWaves(
      portals.map((p) => p.domain),
      [20, 100],
    );
    expect(summary.byWave.map((w) => w.register)).toEqual(waves.map((w) => w.length * 2));
    for (const entry of entries) expect(waves[(entry.wave ?? 0) - 1]).toContain(entry.domain);
    expect(formatPlanSummary(summary).filter((line) => line.startsWith('wave '))).toEqual([
      `wave 1: ${(waves[0]?.length ?? 0) * 2} register`,
      `wave 2: ${(waves[1]?.length ?? 0) * 2} register`,
    ]);
  });
});
