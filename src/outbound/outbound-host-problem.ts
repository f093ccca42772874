import type { AllowList } from './allow-list.js';
import { parseIpAddress } from './parse-ip-address.js';
import { reservedAddressKind } from './reserved-address-kind.js';

/** How to lift the rule, for every refusal. */
export const ALLOW_HOSTS_HINT =
  'list the host in ROLLOUT_ALLOW_HOSTS only for a local simulator or test server';

/**
 * The input-time outbound rule for a URL's host (docs/security.md, "Where credentials are sent: the outbound
 * rule"): a host listed in `allow` passes; an IP literal of a reserved range (loopback, private, link-local,
 * CGNAT, unique-local, multicast, …, including the IPv4-mapped IPv6 forms) is refused. Host names pass here:
 * what they resolve to is checked at connect time (createGuardedLookup). `url.hostname` is already normalised
 * by the WHATWG parser (`0x7f.1` -> `127.0.0.1`). Returns the problem (without the URL: the caller names it),
 * or undefined.
 */
export function outboundHostProblem(url: URL, allow: AllowList): string | undefined {
  const host = url.hostname;
  if (allow.allowsHost(host)) return undefined;
  // A fully qualified name may end in dots (`localhost.`): the same name to the resolver (issue 19).
  const name = host.replace(/\.+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return `its host ${host} is a loopback name; ${ALLOW_HOSTS_HINT}`;
  }
  if (parseIpAddress(host) === undefined) return undefined;
  const kind = reservedAddressKind(host);
  return kind === undefined ? undefined : `its host ${host} is a ${kind} address; ${ALLOW_HOSTS_HINT}`;
}
