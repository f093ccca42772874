import { UsageError } from '../errors/operator-error.js';
import type { PlanControlCommand } from './control-wave-plan.js';
import { parseDuration, parseHaltThreshold, parseWavePercents } from './parse-wave-options.js';
import type { WaveOptions } from './run-wave-commands.js';

/** Defaults of the wave thresholds (docs/waves.md). */
export const WAVE_DEFAULTS = { haltFailures: '5%', haltNeedsReauth: '20%', pauseBetween: '0' } as const;

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
