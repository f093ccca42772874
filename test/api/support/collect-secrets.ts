import type { Harness } from '../../pipeline/support/pipeline-harness.js';

/**
 * Every credential the rollout knows: the tokens and webhook codes of the simulator's portals file (as
 * imported, and as they are now after refreshes), the OAuth client secret, the hash secret and `extra`.
 */
export function collectSecrets(h: Harness, extra: readonly string[] = []): string[] {
  const secrets = new Set<string>(extra);
  for (const entry of h.sim.portalsFile()) {
    if (entry.auth.type === 'oauth') {
      secrets.add(entry.auth.accessToken);
      secrets.add(entry.auth.refreshToken);
    } else {
      secrets.add(entry.auth.url);
      // .../rest/<user id>/<webhook code>/
      const segments = new URL(entry.auth.url).pathname.split('/').filter(Boolean);
      const code = segments[segments.lastIndexOf('rest') + 2];
      if (!code) throw new Error('no webhook code in a webhook URL of the portals file');
      secrets.add(code);
    }
    const view = h.sim.portal(entry.domain);
    if (view.currentAccessToken) secrets.add(view.currentAccessToken);
    if (view.currentRefreshToken) secrets.add(view.currentRefreshToken);
  }
  if (h.config.b24.clientSecret) secrets.add(h.config.b24.clientSecret);
  if (h.config.hashSecret) secrets.add(h.config.hashSecret);
  return [...secrets].filter((s) => s.length >= 6);
}

/** The secrets found in `text` (none, hopefully). */
export function leakedSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => text.includes(secret));
}
