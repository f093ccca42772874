import { pino } from 'pino';
import { definitionHash } from '../src/apps/definition-hash.js';
import { computeRolloutPlan } from '../src/plan/compute-rollout-plan.js';
import { portalsFileSchema } from '../src/portals/portal-entry-schema.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';

const APPS = 4;
/** Portals of the two sizes compared (x APPS pairs): 10,000 and 100,000 pairs by default. */
const SIZES = [2_500, 25_000] as const;
const MIB = 1024 * 1024;

/** Valid webhook portals (no OAuth server needed: nothing is called). */
function portals(count: number, offset: number) {
  return portalsFileSchema({ allowHttp: true, allowHosts: ['127.0.0.1'] }).parse(
    Array.from({ length: count }, (_, i) => {
      const domain = `p${String(offset + i).padStart(6, '0')}.plan.test`;
      return {
        domain,
        botId: 1,
        auth: {
          type: 'webhook',
          url: `https://${domain}/rest/1/${'k'.repeat(16)}${i}/`,
          clientId: 'app.bench',
        },
      };
    }),
  );
}

/**
 * `npm run bench -- plan-100k`: the time and memory of `rollout --plan` at two sizes. Each size stores its portals
 * and marks every pair registered with version 1 of the apps (through the result store's own scripts), then
 * plans version 2 (two of the four apps changed) from the stored portals: 1/2 of the pairs update, 1/2 unchanged.
 * The heap is sampled while planning; the plan's entries are counted and dropped, as `--out` streams them. For the
 * retained heap (not garbage yet to be collected): `node --expose-gc --import tsx bench/run-all.ts plan-100k`.
 */
export async function runPlan100k(ctx: BenchContext): Promise<BenchResult> {
  const rows: string[][] = [];
  const data: Record<string, unknown> = {};
  let offset = 0;
  for (const size of SIZES) {
    const config = benchConfig(ctx.redisUrl, 'http://127.0.0.1:9/oauth/token/');
    const runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
    try {
      const v1 = benchApps(APPS);
      const v2 = v1.map((app, i) =>
        i % 2 === 0 ? { ...app, LANG: [{ LANGUAGE_ID: 'en', TITLE: `Command ${i}, v2` }] } : app,
      );
      const entries = portals(size, offset);
      offset += size;
      ctx.log(`  plan-100k: seeding ${size} portals x ${APPS} apps`);
      await runtime.portals.importPortals(entries);
      for (const app of v1) await runtime.definitions.save(definitionHash(app), app);
      for (let i = 0; i < entries.length; i += 500) {
        const pairs = entries
          .slice(i, i + 500)
          .flatMap((p) =>
            v1.map((app) => ({ domain: p.domain, code: app.CODE, defHash: definitionHash(app) })),
          );
        await runtime.results.requestPresent(pairs.map((p) => ({ ...p, portalParked: false })));
        await Promise.all(
          pairs.map((p) =>
            runtime.results.markApplied(p.domain, p.code, {
              op: 'update',
              appId: 1,
              defHash: p.defHash,
              hashUsed: undefined,
            }),
          ),
        );
      }
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      let seen = 0;
      const started = performance.now();
      const summary = await computeRolloutPlan(
        { apps: v2, portals: undefined, recreate: false, replace: false },
        runtime,
        () => {
          seen++;
          if (seen % 5_000 !== 0) return;
          global.gc?.(); // with node --expose-gc: what is retained, not garbage not yet collected
          heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const pairs = summary.pairs;
      rows.push([
        String(size),
        String(pairs),
        seconds.toFixed(1),
        String(Math.round(pairs / seconds)),
        ((heapPeak - heapBefore) / MIB).toFixed(1),
        `${summary.totals.update} / ${summary.totals.unchanged}`,
      ]);
      data[String(pairs)] = {
        portals: size,
        pairs,
        seconds,
        heapGrowthBytes: heapPeak - heapBefore,
        totals: summary.totals,
      };
      ctx.log(`  plan-100k: ${pairs} pairs planned in ${seconds.toFixed(1)} s`);
    } finally {
      await runtime.close();
    }
  }
  return {
    id: 'plan-100k',
    title: 'Planning a rollout (rollout --plan) from stored state',
    headers: ['portals', 'pairs', 'seconds', 'pairs/s', 'heap growth MiB', 'update / unchanged'],
    rows,
    targets: [],
    notes: [
      'reads in pages of producer.chunkSize pairs; the heap holds one page, the counts and the list of domains',
      global.gc
        ? 'heap growth: the highest heapUsed sampled (after a forced GC) every 5,000 pairs while planning, minus heapUsed before'
        : 'heap growth: as sampled without a forced GC (garbage included); run with node --expose-gc for what is retained',
    ],
    data,
  };
}
