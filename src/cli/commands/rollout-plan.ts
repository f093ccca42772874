import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { AppDefinition } from '../../apps/app-definition-schema.js';
import type { Config } from '../../config/config-schema.js';
import { CommandFailedError, EXIT_CODES, UsageError } from '../../errors/operator-error.js';
import { formatZodIssues } from '../../input/format-zod-issues.js';
import { InputError } from '../../input/input-error.js';
import { readJsonFile } from '../../input/read-json-file.js';
import { needingOperator } from '../../ops/pair-counts.js';
import { summariseByCode } from '../../ops/summarise-by-code.js';
import { checkPlanHolds } from '../../plan/check-plan-holds.js';
import { computeRolloutPlan } from '../../plan/compute-rollout-plan.js';
import { formatPlanSummary } from '../../plan/format-plan-summary.js';
import { createPlanWriter, type PlanFile, planFileSchema } from '../../plan/plan-file.js';
import { recordPlanRequest } from '../../plan/record-plan-request.js';
import type { PortalEntry } from '../../portals/portal-entry-schema.js';
import type { Runtime } from '../../runtime/create-runtime.js';
import { requireSecretKey } from '../../secrets/require-secret-key.js';
import { advanceWavePlan } from '../../waves/advance-wave-plan.js';
import { enqueuePlainRollout } from '../../waves/enqueue-plain-rollout.js';
import { parseDuration } from '../../waves/parse-wave-options.js';
import type { WaveOptions } from '../../waves/run-wave-commands.js';
import { startWaveRollout } from '../../waves/run-wave-commands.js';
import { waveDeps } from '../../waves/wave-deps.js';
import { loadRolloutFiles } from '../load-rollout-files.js';
import { openRuntime } from '../open-runtime.js';
import { waitForRollout } from '../wait-for-rollout.js';

/** The options of `rollout` for plan and apply (commander's camel-cased names). */
export interface PlanFlagOptions {
  plan?: boolean;
  json?: boolean;
  out?: string;
  apply?: string;
  maxAge?: string;
}

export const PLAN_HELP = {
  plan:
    'show what this rollout would do to every portal x app pair (register, update with the changed fields, ' +
    'recreate, unchanged, blocked, conflict), per CODE, in total and per wave; reads only stored state, calls ' +
    'no portal and queues nothing (docs/operations.md, "Plan before apply")',
  json: 'with --plan: print the whole plan as JSON, one entry per pair',
  out: 'with --plan: save the plan (with a fingerprint of the state it read) for rollout --apply',
  apply:
    'queue exactly the plan saved in this file (its waves too); refused (exit 2) when the state changed in a way ' +
    'that alters a pair of it, or when it is older than --max-age',
  maxAge: 'with --apply: the oldest plan accepted, e.g. 2h (default: plan.maxAgeMs, 24h)',
} as const;

/** Usage errors of the plan flags, named before any file is read. */
export function checkPlanFlags(options: PlanFlagOptions & { wait?: boolean }): void {
  if (options.plan && options.apply) throw new UsageError('give --plan or --apply, not both');
  if (!options.plan && (options.json || options.out))
    throw new UsageError(`${options.json ? '--json' : '--out'} goes with --plan`);
  if (!options.apply && options.maxAge) throw new UsageError('--max-age goes with --apply');
  if (options.plan && options.wait)
    throw new UsageError('--plan queues nothing, so there is nothing to --wait for');
}

function newPlanId(): string {
  return `p-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

async function rolloutNames(runtime: Runtime, ids: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(ids)) {
    if (id === '') continue;
    const raw = await runtime.redis.hgetall(runtime.keys.rollout(id));
    if (raw['id']) names.set(id, `started ${raw['startedAt'] ?? '?'}, from ${raw['source'] ?? '?'}`);
  }
  return names;
}

/** `rollout --plan`: computes the plan, prints it (text or --json) and saves it with --out. */
export async function planRollout(
  input: {
    apps: readonly AppDefinition[] | undefined;
    appsFile: string | undefined;
    portals: readonly PortalEntry[] | undefined;
    portalsFile: string | undefined;
    recreate: boolean;
    replace: boolean;
    waves: WaveOptions | undefined;
    json: boolean;
    out: string | undefined;
  },
  config: Config,
  logger: Logger,
): Promise<void> {
  const runtime = await openRuntime(config, logger, { keyCheck: 'rollout' });
  try {
    const header = {
      id: newPlanId(),
      createdAt: new Date().toISOString(),
      request: recordPlanRequest({ ...input }),
    };
    const file = input.out ? createWriteStream(input.out, { mode: 0o600 }) : undefined;
    const fileDone = file ? finished(file) : undefined;
    fileDone?.catch(() => undefined); // awaited below; an early error must not be unhandled meanwhile
    const writers = [
      ...(file ? [createPlanWriter(file, header)] : []),
      ...(input.json ? [createPlanWriter(process.stdout, header)] : []),
    ];
    const summary = await computeRolloutPlan(
      {
        apps: input.apps,
        portals: input.portals,
        recreate: input.recreate,
        replace: input.replace,
        ...(input.waves ? { waves: input.waves.percents } : {}),
      },
      runtime,
      async (entry) => {
        for (const writer of writers) await writer.write(entry);
      },
    );
    for (const writer of writers) await writer.end(summary);
    if (file) {
      file.end();
      try {
        await fileDone;
      } catch (error) {
        throw new CommandFailedError(`cannot write the plan to ${input.out}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    if (input.json) return;
    const names = await rolloutNames(
      runtime,
      summary.conflicts.map((c) => c.rolloutId),
    );
    process.stdout.write(`${formatPlanSummary(summary, names).join('\n')}\n`);
    process.stdout.write(
      input.out
        ? `plan ${header.id} saved to ${input.out}: queue it with \`imbot-rollout rollout --apply ${input.out}\`\n`
        : 'nothing was queued; save the plan with --out plan.json and queue it with rollout --apply plan.json\n',
    );
  } finally {
    await runtime.close();
  }
}

async function readPlanFile(path: string, config: Config): Promise<PlanFile> {
  const label = basename(path);
  const raw = await readJsonFile(path, { maxBytes: config.input.maxFileBytes, label });
  const parsed = planFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(label, [
      { where: label, message: 'is not a plan saved by `rollout --plan --out` (or it was edited):' },
      ...formatZodIssues(parsed.error, label).slice(0, 10),
    ]);
  }
  return parsed.data;
}

/**
 * `rollout --apply plan.json`: reads the plan and its files again (from the paths it records, or `--apps` /
 * `--portals`), checks it still holds (checkPlanHolds) and queues it, as its waves if it has them.
 */
export async function applyRolloutPlan(
  options: PlanFlagOptions & { apply: string; apps?: string; portals?: string; wait?: boolean },
  config: Config,
  logger: Logger,
): Promise<void> {
  const plan = await readPlanFile(options.apply, config);
  const maxAgeMs = options.maxAge ? parseDuration(options.maxAge, '--max-age') : config.plan.maxAgeMs;
  const appsFile = options.apps ?? plan.request.apps?.file;
  const portalsFile = options.portals ?? plan.request.portals?.file;
  if (options.apps && !plan.request.apps)
    throw new UsageError('--apps: this plan was made without an apps file');
  if (options.portals && !plan.request.portals)
    throw new UsageError('--portals: this plan was made without a portals file');
  const { apps, portals } = await loadRolloutFiles({ apps: appsFile, portals: portalsFile }, config);
  const { recreate, replace } = plan.request;
  const waves = plan.request.waves ?? undefined;
  requireSecretKey(config, 'rollout');
  const runtime = await openRuntime(config, logger, { keyCheck: 'rollout' });
  try {
    await checkPlanHolds(
      plan,
      {
        request: { apps, portals, recreate, replace, ...(waves ? { waves: waves.percents } : {}) },
        record: recordPlanRequest({ appsFile, apps, portalsFile, portals, recreate, replace, waves }),
      },
      runtime,
      { maxAgeMs },
    );
    const source = basename(appsFile ?? 'stored definitions');
    if (waves && apps && portals) {
      await startWaveRollout(runtime, {
        apps,
        portals,
        waves,
        recreate,
        replace,
        source,
        wait: options.wait ?? false,
      });
      return;
    }
    // Recorded as a one-wave plan under its rollout id, as a plain rollout is (docs/waves.md, "Plain rollouts").
    const deps = waveDeps(runtime);
    const summary = await enqueuePlainRollout(
      { apps, portals, recreate, replace, ...(appsFile ? { source } : {}) },
      deps,
    );
    const { counts } = summary;
    process.stdout.write(
      `rollout ${summary.rolloutId} (plan ${plan.id}): ${summary.pairs.length} pairs: ${counts.queued} queued, ` +
        `${counts.already_pending} already pending, ${counts.unchanged} already registered, ${counts.parked} parked\n`,
    );
    if (!options.wait) return;
    const final = await waitForRollout(runtime.results, summary.pairs, {
      stream: process.stderr,
      isPaused: () => runtime.queue.isPaused(),
      rolloutId: summary.rolloutId,
      unchanged: summary.counts.unchanged,
    });
    if (summary.plan) await advanceWavePlan(deps, summary.plan.id);
    process.stdout.write(
      `rollout ${summary.rolloutId} settled, by app:\n${(await summariseByCode(runtime.results, summary.pairs)).join('\n')}\n`,
    );
    if (needingOperator(final) > 0) {
      process.exitCode = EXIT_CODES.failed;
      process.stdout.write(
        `rollout: ${final.failed} failed, ${final.needs_reauth} need re-authorisation: see \`imbot-rollout status\`\n`,
      );
    }
  } finally {
    await runtime.close();
  }
}
