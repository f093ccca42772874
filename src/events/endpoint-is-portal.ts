import { createAllowList } from '../outbound/allow-list.js';

/**
 * Whether a verifier's `client_endpoint` (the OAuth refresh answer's, or the token source's) is the event's
 * portal: its host is the domain. A host exempt from the outbound rule (ROLLOUT_ALLOW_HOSTS: a simulator, a proxy
 * in front of an on-premise portal) is not the domain: there the answer must name the very REST address the event
 * named (docs/install-events.md, "Authentication").
 */
export function endpointIsPortal(
  answered: string,
  claims: { domain: string; restUrl: string },
  allowHosts: readonly string[],
): boolean {
  if (!URL.canParse(answered)) return false;
  const url = new URL(answered);
  if (url.hostname.toLowerCase() === claims.domain.toLowerCase()) return true;
  return createAllowList(allowHosts).allowsHost(url.hostname) && url.href === new URL(claims.restUrl).href;
}
