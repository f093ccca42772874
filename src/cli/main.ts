#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { InputError } from '../input/input-error.js';
import { sanitiseText } from '../ops/sanitise-text.js';
import { RedisUnavailableError } from '../redis/redis-unavailable-error.js';
import { UnknownKeyIdsError } from '../secrets/unknown-key-ids-error.js';
import { CliError } from './cli-error.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { failedCommand } from './commands/failed.js';
import { queueCommand } from './commands/queue.js';
import { retryCommand } from './commands/retry.js';
import { rolloutCommand } from './commands/rollout.js';
import { rotateKeyCommand } from './commands/rotate-key.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { unregisterCommand } from './commands/unregister.js';
import { workerCommand } from './commands/worker.js';

/**
 * The one place errors become exit codes (README, "Exit codes"): 2 wrong usage, configuration or input
 * (including a ROLLOUT_SECRET_KEY that does not open what is stored), 3 Redis cannot be reached, 1 anything else.
 */
function errorLine(error: unknown): { text: string; code: number } {
  if (error instanceof InputError || error instanceof ConfigError) return { text: error.message, code: 2 };
  if (error instanceof UnknownKeyIdsError) return { text: error.message, code: 2 };
  if (error instanceof RedisUnavailableError) return { text: error.message, code: 3 };
  if (error instanceof CliError) return { text: error.message, code: error.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  return { text: message.split('\n')[0] ?? message, code: 1 };
}

export function buildProgram(): Command {
  const program = new Command('imbot-rollout')
    .description('Roll out Bitrix24 chat apps (imbot.app.register) to many portals, reliably.')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [
    rolloutCommand(),
    workerCommand(),
    statusCommand(),
    demoCommand(),
    simulateCommand(),
    rotateKeyCommand(),
    failedCommand(),
    retryCommand(),
    exportCommand(),
    unregisterCommand(),
    serveCommand(),
    queueCommand(),
  ]) {
    program.addCommand(command.exitOverride());
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const { text, code } = errorLine(error);
    // Messages may quote untrusted text (portal answers, file contents): never raw control characters.
    process.stderr.write(`imbot-rollout: ${sanitiseText(text, { multiline: true })}\n`);
    process.exitCode = code;
  }
}

await main(process.argv);
