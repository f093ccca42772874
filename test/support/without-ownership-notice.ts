/**
 * A rollout that imports OAuth refresh tokens says once, on stderr, that imbot-rollout now owns them
 * (src/portals/token-ownership-notice.ts). Tests that expect nothing else on stderr read it without that line.
 */
export function withoutOwnershipNotice(stderr: string): string {
  return stderr
    .split('\n')
    .filter(
      (line) => !line.startsWith('rollout: imbot-rollout now owns and refreshes the OAuth refresh tokens'),
    )
    .join('\n');
}
