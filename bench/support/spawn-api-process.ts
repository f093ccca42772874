import type { Config } from '../../src/config/config-schema.js';
import { type CliProcess, spawnCliProcess } from './spawn-cli-process.js';

const LISTENING = /api: listening on (http:\/\/[^\s]+) /;

export interface ApiProcess extends CliProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
}

/**
 * Runs `imbot-rollout serve --host 127.0.0.1 --port 0` as its own OS process with the benchmark's config (as an
 * operator runs the dashboard next to the workers) and resolves once it listens. No token: loopback only.
 * `entry`: a compiled dist/cli/main.js; by default the sources through tsx.
 */
export async function spawnApiProcess(config: Config, entry?: string): Promise<ApiProcess> {
  const api = await spawnCliProcess(
    config,
    ['serve', '--host', '127.0.0.1', '--port', '0'],
    (output) => LISTENING.exec(output)?.[1],
    entry,
  );
  return { pid: api.pid, url: api.ready, output: api.output, stop: api.stop };
}
