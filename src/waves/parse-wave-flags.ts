import { UsageError } from '../errors/operator-error.js';
import type { PlanControlCommand } from './control-wave-plan.js';
import { parseDuration, parseHaltThreshold, parseWavePercents } from './parse-wave-options.js';
import type { WaveOptions } from './run-wave-commands.js';

/** Defaults of the wave thresholds (docs/waves.md). */
export const WAVE_DEFAULTS = { haltFailures: '5%', haltNeedsReauth: '20%', pauseBetween: '0' } as const;

export const WAVE_HELP = {
  waves:
    'roll out in waves: cumulative percentages of the portals, e.g. 1%,10%,100% (stable order by a hash of the ' +
    'domain); a wave starts once the one before has settled under the thresholds (docs/waves.md)',
  haltFailures: `with --waves: halt when a settled wave has more failed pairs than this (default ${WAVE_DEFAULTS.haltFailures})`,
  haltNeedsReauth: `with --waves: halt when a settled wave has more pairs needing re-authorisation than this (default ${WAVE_DEFAULTS.haltNeedsReauth})`,
  pauseBetween: 'with --waves: wait this long between a passed wave and the next, e.g. 10m (default 0)',
  resume: 'continue a halted wave plan: the halted wave is accepted as it is, later waves are still checked',
  abort:
    'stop a wave plan: no further wave starts; the queued (waiting/delayed) jobs of its waves are removed and ' +
    'their pairs marked failed (ROLLOUT_ABORTED); running jobs finish',
  skipWave:
    "start a wave plan's next wave now: ends a pause or a halt, or stops waiting for the current wave (whose " +
    'pairs go on, unchecked)',
  promote:
    "make a finished plan's (or plain rollout's) definitions the stable ones: what a portal that installs the " +
    'application gets (a plan that ends done is made stable by itself; docs/waves.md)',
  after:
    '\nWaves: `rollout --apps a.json --portals p.json --waves 1%,10%,100% --halt-failures 5% --wait`; plans and ' +
    'their waves are shown by `status`; workers advance them. See docs/waves.md.',
} as const;

export interface WaveFlags {
  waves?: WaveOptions;
  control?: { id: string; command: PlanControlCommand };
}

/** The options of `rollout` that wave flags read (commander's camel-cased names). */
export interface WaveFlagOptions {
  apps?: string;
  portals?: string;
  waves?: string;
  haltFailures?: string;
  haltNeedsReauth?: string;
  pauseBetween?: string;
  resume?: string;
  abort?: string;
  skipWave?: string;
  promote?: string;
}

/** Reads the wave flags of `rollout`: a plan to make, or a command on one; usage errors name the flag. */
export function parseWaveFlags(options: WaveFlagOptions): WaveFlags {
  const commands = (
    [
      ['resume', options.resume],
      ['abort', options.abort],
      ['skip-wave', options.skipWave],
      ['promote', options.promote],
    ] as const
  ).filter(([, id]) => id !== undefined);
  if (commands.length > 1) {
    throw new UsageError(
      `give one of --resume, --abort, --skip-wave and --promote, not ${commands.map(([c]) => `--${c}`).join(' and ')}`,
    );
  }
  const [command] = commands;
  if (command) {
    const [name, id] = command;
    const other = (
      ['apps', 'portals', 'waves', 'haltFailures', 'haltNeedsReauth', 'pauseBetween'] as const
    ).find((key) => options[key] !== undefined);
    if (other) {
      throw new UsageError(
        `--${name} acts on a stored plan: drop --${other.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} (a plan keeps its files and thresholds)`,
      );
    }
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(id ?? '')) {
      throw new UsageError(
        `--${name}: "${id}" is not a plan id (as \`imbot-rollout status\` shows it, e.g. w-lx2k9a-1f2e3d)`,
      );
    }
    return { control: { id: id ?? '', command: name } };
  }
  if (options.waves === undefined) {
    const stray = (['haltFailures', 'haltNeedsReauth', 'pauseBetween'] as const).find(
      (key) => options[key] !== undefined,
    );
    if (stray) {
      const flag = `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UsageError(`${flag} applies to a rollout in waves: add --waves (e.g. --waves 1%,10%,100%)`);
    }
    return {};
  }
  if (!options.apps || !options.portals) {
    throw new UsageError(
      '--waves needs both --apps and --portals (the plan splits that portal list into waves)',
    );
  }
  return {
    waves: {
      percents: parseWavePercents(options.waves),
      haltFailures: parseHaltThreshold(options.haltFailures ?? WAVE_DEFAULTS.haltFailures, '--halt-failures'),
      haltNeedsReauth: parseHaltThreshold(
        options.haltNeedsReauth ?? WAVE_DEFAULTS.haltNeedsReauth,
        '--halt-needs-reauth',
      ),
      pauseMs: parseDuration(options.pauseBetween ?? WAVE_DEFAULTS.pauseBetween, '--pause-between'),
    },
  };
}
