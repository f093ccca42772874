import { Command } from 'commander';
import { z } from 'zod';
import { ExtraAppError } from '../../ops/extra-app-error.js';
import { resolveAmbiguousPair } from '../../ops/resolve-ambiguous-pair.js';
import { ResolveRefusedError } from '../../ops/resolve-refused-error.js';
import { createRuntime } from '../../runtime/create-runtime.js';
import { requireSecretKey } from '../../secrets/require-secret-key.js';
import { cliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

const optionsSchema = z.object({
  portal: z.string().min(1),
  code: z.string().min(1),
  extraAppId: z
    .array(
      z
        .string()
        .regex(/^[1-9]\d{0,14}$/, 'must be a positive integer')
        .transform(Number),
    )
    .default([]),
  accept: z.boolean().optional(),
  note: z.string().max(500, 'must be at most 500 characters').optional(),
  force: z.boolean().optional(),
});

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function resolveCommand(): Command {
  return new Command('resolve')
    .description(
      'Resolve a pair that may hold a duplicate app (a register call got no answer, so a second app with the ' +
        'same CODE may exist; the chat-app API cannot list apps, so look in the portal). --extra-app-id N calls ' +
        'imbot.app.unregister with APP_ID N on the portal now (never the APP_ID the pair keeps); --accept records ' +
        'that there is no duplicate. Either way the flag is cleared and the note kept in the history.',
    )
    .requiredOption('--portal <domain>', 'the portal')
    .requiredOption('--code <code>', 'the app CODE')
    .option('--extra-app-id <id>', 'APP_ID of the extra app to unregister (repeat for several)', collect)
    .option('--accept', 'no duplicate exists (checked in the portal): only clear the flag')
    .option('--note <text>', 'why, or who checked: kept in the attempt history')
    .option('--force', 'act even when the pair is not flagged or is still pending')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where =
          issue?.path[0] === 'extraAppId' ? '--extra-app-id' : `--${String(issue?.path[0] ?? '')}`;
        throw new CliError(`${where}: ${issue?.message ?? 'invalid'}`);
      }
      const options = parsed.data;
      if (options.extraAppId.length > 0 === Boolean(options.accept)) {
        throw new CliError('give either --extra-app-id N (repeatable) or --accept');
      }
      const { config, logger } = cliContext();
      requireSecretKey(config, 'resolve');
      const runtime = createRuntime({ config, logger });
      const domain = options.portal.toLowerCase();
      try {
        const outcome = await resolveAmbiguousPair(runtime, {
          domain,
          code: options.code,
          action: options.accept
            ? { kind: 'accept' }
            : { kind: 'unregister_extra', appIds: options.extraAppId },
          ...(options.note === undefined ? {} : { note: options.note }),
          ...(options.force ? { force: true } : {}),
        });
        process.stdout.write(`resolve: ${domain} ${options.code}: ${outcome.note}; flag cleared\n`);
      } catch (error) {
        if (error instanceof ResolveRefusedError || error instanceof ExtraAppError)
          throw new CliError(error.message, 1);
        throw error;
      } finally {
        await runtime.close();
      }
    });
}
