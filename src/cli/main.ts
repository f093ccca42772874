#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { InputError } from '../input/input-error.js';
import { CliError } from './cli-error.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { failedCommand } from './commands/failed.js';
import { resolveCommand } from './commands/resolve.js';
import { retryCommand } from './commands/retry.js';
import { rolloutCommand } from './commands/rollout.js';
import { rotateKeyCommand } from './commands/rotate-key.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { unregisterCommand } from './commands/unregister.js';
import { workerCommand } from './commands/worker.js';

function errorLine(error: unknown): { text: string; code: number } {
  if (error instanceof InputError || error instanceof ConfigError) return { text: error.message, code: 2 };
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
    resolveCommand(),
    serveCommand(),
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
    process.stderr.write(`imbot-rollout: ${text}\n`);
    process.exitCode = code;
  }
}

await main(process.argv);
