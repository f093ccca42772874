import type { SourceToken } from './token-source-client.js';

/** The stored portal's identity a source's answer is checked against. */
export interface PortalIdentity {
  domain: string;
  /** The stored REST base (`https://<domain>/rest/`, or the portals file's restUrl). */
  restUrl: string;
  memberId: string | undefined;
}

function sameEndpoint(answered: string, restUrl: string): boolean {
  if (!URL.canParse(answered) || !URL.canParse(restUrl)) return false;
  const withSlash = (url: URL) =>
    `${url.origin}${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}`;
  return withSlash(new URL(answered)) === withSlash(new URL(restUrl));
}

/**
 * Why a source's answer is another portal's, or undefined when it agrees with the stored portal: a `member_id`
 * it sends must be the stored one (when one is stored), a `client_endpoint` it sends must be the portal's REST
 * base, as an install's answer is checked (docs/tokens.md, "The token contract"). Such a token is never used.
 * The message names values that are not secrets (member_id, REST base) and the fix.
 */
export function sourceTokenMismatch(
  token: Pick<SourceToken, 'memberId' | 'clientEndpoint'>,
  portal: PortalIdentity,
): string | undefined {
  if (token.memberId !== undefined && portal.memberId !== undefined && token.memberId !== portal.memberId) {
    return `the source answered member_id ${token.memberId}, but ${portal.domain} is stored with member_id ${portal.memberId}: the token is another portal's; fix the source's mapping (or re-import the portal if it was re-created)`;
  }
  if (token.clientEndpoint !== undefined && !sameEndpoint(token.clientEndpoint, portal.restUrl)) {
    const host = URL.canParse(token.clientEndpoint)
      ? new URL(token.clientEndpoint).host
      : 'an unreadable URL';
    return `the source answered client_endpoint on ${host}, but ${portal.domain}'s REST address is ${portal.restUrl}: the token is another portal's; fix the source's mapping`;
  }
  return undefined;
}
