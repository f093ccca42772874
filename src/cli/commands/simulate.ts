import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { z } from 'zod';
import { formatZodIssues } from '../../input/format-zod-issues.js';
import type { ApplicationBackendOptions } from '../../simulator/application-backend-options.js';
import { DEFAULT_WEBHOOK_CLIENT_ID } from '../../simulator/simulator-core.js';
import type { SimFaults, SimulatorHandle, SimulatorOptions } from '../../simulator/simulator-types.js';
import { startSimulator } from '../../simulator/start-simulator.js';
import { listenForStopSignals } from '../stop-signals.js';

/** Each option's flag, for one-line errors that name it. */
const FLAGS = {
  portals: '--portals',
  port: '--port',
  host: '--host',
  out: '--out',
  latency: '--latency',
  webhookShare: '--webhook-share',
  expiredShare: '--expired-share',
  fault500: '--fault-500',
  faultDrop: '--fault-drop',
  faultSlow: '--fault-slow',
  slowMs: '--slow-ms',
  burst: '--burst',
  drain: '--drain',
  seed: '--seed',
  backend: '--backend',
  backendInterval: '--backend-interval',
  backendUrl: '--backend-url',
} as const;

const number = () =>
  z.coerce.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a number');
const int = () => number().refine(Number.isInteger, 'must be a whole number');
const share = () => number().refine((v) => v >= 0 && v <= 1, 'must be between 0 and 1');

const simulateOptionsSchema = z.object({
  portals: int().refine((v) => v >= 1 && v <= 1_000_000, 'must be between 1 and 1000000'),
  port: int().refine((v) => v >= 0 && v <= 65535, 'must be between 0 and 65535 (0 = any free port)'),
  host: z.string().trim().min(1, 'must not be empty'),
  out: z.string().trim().min(1, 'must be a file path').optional(),
  latency: int().refine((v) => v >= 0 && v <= 600_000, 'must be between 0 and 600000 ms'),
  webhookShare: share(),
  expiredShare: share(),
  fault500: share(),
  faultDrop: share(),
  faultSlow: share(),
  slowMs: int().refine((v) => v >= 0 && v <= 600_000, 'must be between 0 and 600000 ms'),
  burst: int().refine((v) => v >= 1, 'must be at least 1'),
  drain: number().refine((v) => v > 0, 'must be greater than 0'),
  seed: int(),
  backend: z
    .enum(['source', 'borrow', 'independent'], { error: 'must be source, borrow or independent' })
    .optional(),
  backendInterval: int().refine((v) => v >= 0 && v <= 3_600_000, 'must be between 0 and 3600000 ms'),
  backendUrl: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).optional(),
});

type SimulateOptions = z.infer<typeof simulateOptionsSchema>;

/**
 * The application backend's options (docs/tokens.md, "Who owns the tokens"). Its secret comes from the variable
 * imbot-rollout itself reads for the same contract: ROLLOUT_TOKEN_SOURCE_SECRET (source; a random one when unset,
 * printed) or ROLLOUT_TOKEN_HANDOUT_SECRET (borrow, required).
 */
function toBackendOptions(
  options: SimulateOptions,
  env: NodeJS.ProcessEnv,
): { backend: ApplicationBackendOptions; generatedSecret: string | null } | string | null {
  if (options.backend === undefined) {
    return options.backendUrl === undefined ? null : "option '--backend-url' needs '--backend borrow'";
  }
  const common = { callIntervalMs: options.backendInterval };
  if (options.backend === 'independent')
    return { backend: { mode: 'independent', ...common }, generatedSecret: null };
  if (options.backend === 'source') {
    const given = env['ROLLOUT_TOKEN_SOURCE_SECRET'];
    const secret = given === undefined || given === '' ? randomBytes(24).toString('hex') : given;
    return {
      backend: { mode: 'source', secret, ...common },
      generatedSecret: secret === given ? null : secret,
    };
  }
  const secret = env['ROLLOUT_TOKEN_HANDOUT_SECRET'];
  if (options.backendUrl === undefined)
    return "option '--backend borrow' needs '--backend-url' (imbot-rollout's handout, e.g. http://127.0.0.1:3000/api/tokens)";
  if (secret === undefined || secret === '')
    return "option '--backend borrow' needs ROLLOUT_TOKEN_HANDOUT_SECRET (the secret of imbot-rollout's handout)";
  return { backend: { mode: 'borrow', url: options.backendUrl, secret, ...common }, generatedSecret: null };
}

function toSimulatorOptions(options: SimulateOptions): SimulatorOptions {
  const faults: SimFaults = {};
  if (options.fault500 > 0) faults.http500Rate = options.fault500;
  if (options.faultDrop > 0) faults.dropAfterWorkRate = options.faultDrop;
  if (options.faultSlow > 0) faults.slowRate = options.faultSlow;
  faults.slowMs = options.slowMs;
  return {
    host: options.host,
    port: options.port,
    portals: options.portals,
    webhookShare: options.webhookShare,
    expiredShare: options.expiredShare,
    latencyMs: options.latency,
    bucket: { burst: options.burst, drainPerSecond: options.drain },
    faults,
    seed: options.seed,
  };
}

function describeBackend(sim: SimulatorHandle, generatedSecret: string | null): string[] {
  const backend = sim.backend();
  if (backend === null) return [];
  const lines = [`Application backend: ${backend.mode} (its counters: GET ${sim.url}/_sim/backend)`];
  if (backend.sourceUrl !== null) {
    lines.push(`  token source: ROLLOUT_TOKEN_SOURCE_URL=${backend.sourceUrl}`);
    if (generatedSecret !== null) lines.push(`  ROLLOUT_TOKEN_SOURCE_SECRET=${generatedSecret}`);
  }
  return lines;
}

function describeStart(
  sim: SimulatorHandle,
  options: SimulateOptions,
  outFile: string | null,
  generatedSecret: string | null,
): string {
  const entries = sim.portalsFile();
  const webhooks = entries.filter((entry) => entry.auth.type === 'webhook').length;
  const lines = [
    `Bitrix24 portal simulator listening on ${sim.url} (${entries.length} portals, ${webhooks} with webhooks, seed ${options.seed})`,
    `OAuth token endpoint: ${sim.oauthUrl}`,
    outFile === null ? 'Portals file: not written (use --out FILE)' : `Portals file: ${outFile}`,
    ...(webhooks > 0
      ? [
          `Webhook portals: chat-app calls must send CLIENT_ID=${DEFAULT_WEBHOOK_CLIENT_ID} (auth.clientId in the portals file)`,
        ]
      : []),
    'Environment for the rollout:',
    '  B24_CLIENT_ID=sim-client-id',
    '  B24_CLIENT_SECRET=sim-client-secret',
    `  B24_OAUTH_URL=${sim.oauthUrl}`,
    '  ROLLOUT_ALLOW_HTTP=1',
    `  ROLLOUT_ALLOW_HOSTS=${new URL(sim.url).hostname}`,
    // Generated for this run (rollout, worker and serve refuse to start without them: docs/security.md): the
    // simulated tokens are sealed like real ones. Never reuse them for real portals.
    `  ROLLOUT_SECRET_KEY=${randomBytes(32).toString('base64')}`,
    `  ROLLOUT_HASH_SECRET=sim-hash-secret-${randomBytes(8).toString('hex')}`,
    ...describeBackend(sim, generatedSecret),
    `Inspect: GET ${sim.url}/_sim/stats, GET ${sim.url}/_sim/portals/<domain>, POST ${sim.url}/_sim/control`,
    'Press Ctrl+C to stop.',
  ];
  return `${lines.join('\n')}\n`;
}

/** `imbot-rollout simulate`: runs the portal simulator until SIGINT/SIGTERM (demo, manual and chaos tests). */
export function simulateCommand(): Command {
  const command: Command = new Command('simulate');
  command
    .description(
      'Run a local Bitrix24 simulator (many cloud portals + their OAuth server) over plain HTTP, for demos and tests',
    )
    .option('--portals <n>', 'number of generated portals (portal-00001.sim.test ...)', '100')
    .option('--port <port>', 'TCP port to listen on (0 = any free port)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--out <file>', 'write the portals file (JSON, with the current tokens) to this path')
    .option('--latency <ms>', 'extra latency added to every REST answer, in ms', '0')
    .option(
      '--webhook-share <share>',
      'share of portals that use an inbound webhook instead of OAuth (0..1)',
      '0',
    )
    .option('--expired-share <share>', 'share of OAuth portals whose access token starts expired (0..1)', '0')
    .option(
      '--fault-500 <rate>',
      'rate of REST calls answered 500 INTERNAL_SERVER_ERROR without work (0..1)',
      '0',
    )
    .option(
      '--fault-drop <rate>',
      'rate of REST calls whose connection is dropped after the work is done (0..1)',
      '0',
    )
    .option('--fault-slow <rate>', 'rate of REST calls answered late, after --slow-ms (0..1)', '0')
    .option('--slow-ms <ms>', 'extra delay of a slow answer, in ms', '3000')
    .option('--burst <n>', 'leaky bucket size per portal (cloud: 50, Enterprise: 250)', '50')
    .option('--drain <perSecond>', 'leaky bucket drain per second per portal (cloud: 2, Enterprise: 5)', '2')
    .option('--seed <n>', 'random seed: tokens, webhook/expired portals and faults are reproducible', '1')
    .option(
      '--backend <mode>',
      "start the application's own backend beside the portals: source (owns the tokens, serves them), borrow (takes them from imbot-rollout's /api/tokens) or independent (refreshes by itself)",
    )
    .option('--backend-interval <ms>', 'the backend calls each portal this often, in ms (0 = never)', '500')
    .option(
      '--backend-url <url>',
      "--backend borrow: imbot-rollout's handout URL, e.g. http://127.0.0.1:3000/api/tokens",
    )
    .action(async (rawOptions: Record<string, unknown>) => {
      const parsed = simulateOptionsSchema.safeParse(rawOptions);
      if (!parsed.success) {
        const [problem] = formatZodIssues(parsed.error, '', { path: 'dotted' });
        const key = (problem?.where.split('.')[0] ?? '') as keyof typeof FLAGS;
        const flag = FLAGS[key] ?? 'option';
        command.error(`error: option '${flag}' ${problem?.message ?? 'is invalid'}`, {
          exitCode: 2,
          code: 'simulate.invalidOption',
        });
      }
      const options = parsed.data;
      const backend = toBackendOptions(options, process.env);
      if (typeof backend === 'string') {
        command.error(`error: ${backend}`, { exitCode: 2, code: 'simulate.invalidOption' });
      }
      let sim: SimulatorHandle;
      try {
        sim = await startSimulator({
          ...toSimulatorOptions(options),
          ...(backend === null ? {} : { backend: backend.backend }),
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        command.error(`error: could not start the simulator on ${options.host}:${options.port}: ${reason}`, {
          exitCode: 1,
          code: 'simulate.startFailed',
        });
      }
      let outFile: string | null = null;
      if (options.out !== undefined) {
        outFile = resolve(options.out);
        // The file holds access and refresh tokens: readable by the owner only.
        await writeFile(outFile, `${JSON.stringify(sim.portalsFile(), null, 2)}\n`, { mode: 0o600 });
      }
      process.stdout.write(
        describeStart(sim, options, outFile, backend === null ? null : backend.generatedSecret),
      );
      const signals = listenForStopSignals(pino({ level: 'silent' }), 'simulator');
      const signal = await signals.received;
      await sim.stop();
      signals.dispose();
      process.stdout.write(`Received ${signal}, simulator stopped.\n`);
    });
  return command;
}
