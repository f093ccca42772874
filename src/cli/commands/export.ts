import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { CommandFailedError } from '../../errors/operator-error.js';
import { EXPORT_FORMATS, type ExportFormat, exportChunks } from '../../ops/export-chunks.js';
import { writeChunks } from '../../ops/write-chunks.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'Export the result of every pair: CSV (RFC 4180; portal, code, state, appId, attempts, ' +
        "lastErrorCode, lastErrorMessage, updatedAt; cells starting with = + - @ get a leading ') or JSON " +
        '(the rows of `status --json`). Streams in chunks; a file is written atomically (temp file + rename).',
    )
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--out <file>', 'write to this file instead of stdout (replaced atomically)')
    .action(async (options: { format: ExportFormat; out?: string }) => {
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const chunks = exportChunks(runtime.results, options.format);
        if (!options.out) {
          await writeChunks(chunks, { stream: process.stdout });
          return;
        }
        const file = resolve(options.out);
        try {
          await writeChunks(chunks, { file });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (typeof code === 'string') throw new CommandFailedError(`cannot write ${file} (${code})`);
          throw error;
        }
        process.stdout.write(`export: ${options.format} written to ${file}\n`);
      } finally {
        await runtime.close();
      }
    });
}
