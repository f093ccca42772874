import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/create-logger.js';

export interface CliContext {
  config: Config;
  logger: Logger;
}

/** Resolves config (exits with a message naming the bad key) and the logger; `overrides` win over everything. */
export function cliContext(overrides: Record<string, unknown> = {}): CliContext {
  const config = loadConfig(process.env, overrides);
  return { config, logger: createLogger({ level: config.logLevel }) };
}
