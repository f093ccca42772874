#!/usr/bin/env node
import { Command } from 'commander';
import { sanitiseText } from '../ops/sanitise-text.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { failedCommand } from './commands/failed.js';
import { queueCommand } from './commands/queue.js';
import { removePortalCommand } from './commands/remove-portal.js';
import { retryCommand } from './commands/retry.js';
import { rolloutCommand } from './commands/rollout.js';
import { rotateKeyCommand } from './commands/rotate-key.js';
import { schemaCommand } from './commands/schema.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { unregisterCommand } from './commands/unregister.js';
import { workerCommand } from './commands/worker.js';
import { describeFailure } from './describe-failure.js';

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
    removePortalCommand(),
    schemaCommand(),
  ]) {
    program.addCommand(command.exitOverride());
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    // The one mapping from an error to its exit code and line (describe-failure.ts; docs/operations.md, "Exit
    // codes").
    const { line, exitCode } = describeFailure(error);
    // Messages may quote untrusted text (portal answers, file contents): never raw control characters.
    if (line !== undefined)
      process.stderr.write(`imbot-rollout: ${sanitiseText(line, { multiline: true })}\n`);
    process.exitCode = exitCode;
  }
}

await main(process.argv);
