import { userInfo } from 'node:os';
import { Command } from 'commander';
import { domainSchema } from '../../api/request-schemas.js';
import { NothingMatchedError, UsageError } from '../../errors/operator-error.js';
import { removePortals } from '../../ops/remove-portals.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

/** Who removed: the CLI and the OS user running it (stored with the removal). */
function cliActor(): string {
  try {
    return `cli (${userInfo().username})`;
  } catch {
    return 'cli';
  }
}

export function removePortalCommand(): Command {
  return new Command('remove-portal')
    .description(
      'Remove portals: their waiting and delayed jobs are dropped, their pending and failed pairs are parked ' +
        '(needs_reauth, PORTAL_REMOVED), their results stay for `export`, and nothing calls them again (rollouts, ' +
        'retry, keep-alive and running jobs skip them). Importing a portal again (rollout --portals or POST ' +
        '/api/portals) brings it back. Exit 1 when a domain is not a stored portal.',
    )
    .argument('<domain...>', 'the portals to remove (host names, e.g. example.bitrix24.com)')
    .action(async (given: string[]) => {
      const domains: string[] = [];
      const bad: string[] = [];
      for (const value of given) {
        const parsed = domainSchema.safeParse(value);
        if (parsed.success) domains.push(parsed.data);
        else bad.push(`${JSON.stringify(value)}: ${parsed.error.issues[0]?.message ?? 'not a host name'}`);
      }
      if (bad.length > 0) throw new UsageError(`remove-portal: not a portal host name: ${bad.join('; ')}`);
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const summary = await removePortals(domains, cliActor(), runtime);
        for (const { domain, jobsRemoved, parked } of summary.removed) {
          process.stdout.write(
            `remove-portal: ${domain} removed: ${jobsRemoved} queued job(s) dropped, ${parked} unsettled pair(s) parked; its results are kept\n`,
          );
        }
        if (summary.unknown.length > 0) {
          throw new NothingMatchedError(
            `remove-portal: no stored portal ${summary.unknown.join(', ')}` +
              (summary.removed.length > 0 ? ` (the other ${summary.removed.length} were removed)` : '') +
              '; `imbot-rollout status` lists the stored portals',
          );
        }
      } finally {
        await runtime.close();
      }
    });
}
