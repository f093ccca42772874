import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import type { AllowList } from './allow-list.js';
import { ALLOW_HOSTS_HINT } from './outbound-host-problem.js';
import { OutboundRefusedError } from './outbound-refused-error.js';
import { reservedAddressKind } from './reserved-address-kind.js';

/** Resolves a host name to all its addresses, like `dns.lookup(host, {all: true})`. Injected in tests. */
export type ResolveHost = (host: string) => Promise<readonly LookupAddress[]>;

export const resolveWithDns: ResolveHost = (host) => dnsLookup(host, { all: true, verbatim: true });

/** The `lookup` option of `net.connect` / `tls.connect` (and so of an undici Agent's `connect`). */
export type GuardedLookup = LookupFunction;

function familyOf(family: number | string | undefined): 4 | 6 | undefined {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return undefined;
}

/**
 * The connect-time half of the outbound rule (docs/security.md, "Where credentials are sent: the outbound
 * rule"; DNS rebinding): resolves the host once with `resolve`, refuses with OutboundRefusedError when ANY
 * address is reserved (reservedAddressKind) and not in `allow`, and hands the socket exactly the addresses it
 * checked, so the connection goes where the check said. A host listed in `allow` by name is resolved and
 * passed whatever its addresses. TLS SNI and the Host header still use the host name (the caller connects by
 * name; only the address lookup is replaced).
 */
export function createGuardedLookup(allow: AllowList, resolve: ResolveHost = resolveWithDns): GuardedLookup {
  return (hostname, options, callback) => {
    const host = hostname.toLowerCase();
    resolve(host).then(
      (found) => {
        const wanted = familyOf(options.family);
        const addresses = found
          .filter((entry) => wanted === undefined || entry.family === wanted)
          .map((entry) => ({ address: entry.address, family: entry.family }));
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        if (!allow.allowsHost(host)) {
          for (const { address } of addresses) {
            const kind = reservedAddressKind(address);
            if (kind !== undefined && !allow.allowsAddress(address)) {
              callback(
                new OutboundRefusedError(
                  `${host} resolves to ${address}, a ${kind} address; ${ALLOW_HOSTS_HINT}`,
                ),
                '',
              );
              return;
            }
          }
        }
        const first = addresses[0] as LookupAddress;
        if (options.all === true) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
