import { Command } from 'commander';
import { EXIT_CODES, UsageError } from '../../errors/operator-error.js';
import { sanitiseText } from '../../ops/sanitise-text.js';
import { connectRedis } from '../../redis/connect-redis.js';
import { requireRedis } from '../../redis/require-redis.js';
import { keyringCodecFromConfig } from '../../secrets/secret-codec-from-config.js';
import { createRedisKeys } from '../../store/redis-keys.js';
import { rotatePortalSecrets } from '../../store/rotate-portal-secrets.js';
import { syncStoredKeyIds } from '../../store/stored-key-ids.js';
import { cliContext } from '../cli-context.js';

const SHOWN_FAILURES = 20;

export function rotateKeyCommand(): Command {
  return new Command('rotate-key')
    .description(
      "Re-seal every portal's stored tokens and webhook URLs with ROLLOUT_SECRET_KEY. Values sealed with a key in " +
        'ROLLOUT_SECRET_KEY_PREVIOUS, and plaintext values from before encryption, are opened and written back ' +
        'sealed with the current key, atomically per portal. Idempotent: run it again and nothing changes. Workers ' +
        'may keep running (give them both variables during the rotation).',
    )
    .option('--dry-run', 'only count what would be re-sealed', false)
    .option(
      '--drop-unreadable',
      'when a key is lost: empty the credentials that no key given can open and park their portals as ' +
        'needs_reauth (import new credentials with `rollout --portals`)',
      false,
    )
    .action(async (options: { dryRun: boolean; dropUnreadable: boolean }) => {
      const { config, logger } = cliContext();
      const codec = keyringCodecFromConfig(config.secrets);
      if (codec === undefined) {
        throw new UsageError(
          'rotate-key needs ROLLOUT_SECRET_KEY (the key to seal with) and, for values sealed with an older key, ' +
            'ROLLOUT_SECRET_KEY_PREVIOUS (the old key)',
        );
      }
      await requireRedis(config);
      const redis = connectRedis(config, logger, 'imbot-rollout-rotate-key');
      try {
        const keys = createRedisKeys(config.prefix);
        const summary = await rotatePortalSecrets({
          redis,
          keys,
          codec,
          dryRun: options.dryRun,
          dropUnreadable: options.dropUnreadable,
        });
        // The key ids still in use after the rotation: what worker/rollout/serve check at start.
        if (!options.dryRun) await syncStoredKeyIds(redis, keys);
        const verb = options.dryRun ? 'would re-seal' : 're-sealed';
        process.stdout.write(
          `rotate-key: ${summary.portals} portals: ${verb} ${summary.resealed} (${summary.values} values) with key ` +
            `${codec.currentKid}, ${summary.alreadyCurrent} already current, ${summary.failed.length} failed\n`,
        );
        for (const failure of summary.failed.slice(0, SHOWN_FAILURES)) {
          process.stdout.write(`rotate-key: ${sanitiseText(`${failure.domain}: ${failure.reason}`)}\n`);
        }
        if (summary.failed.length > SHOWN_FAILURES) {
          process.stdout.write(`rotate-key: ... and ${summary.failed.length - SHOWN_FAILURES} more\n`);
        }
        if (options.dropUnreadable) {
          process.stdout.write(
            `rotate-key: ${options.dryRun ? 'would drop' : 'dropped'} the unreadable credentials of ` +
              `${summary.dropped.length} portal(s) (needs_reauth until new credentials are imported with ` +
              '`imbot-rollout rollout --portals FILE`)\n',
          );
          for (const dropped of summary.dropped.slice(0, SHOWN_FAILURES)) {
            process.stdout.write(`rotate-key: ${sanitiseText(`${dropped.domain}: ${dropped.reason}`)}\n`);
          }
          if (summary.dropped.length > SHOWN_FAILURES) {
            process.stdout.write(`rotate-key: ... and ${summary.dropped.length - SHOWN_FAILURES} more\n`);
          }
        }
        if (summary.failed.length > 0) process.exitCode = EXIT_CODES.failed;
      } finally {
        await redis.quit().catch(() => redis.disconnect());
      }
    });
}
