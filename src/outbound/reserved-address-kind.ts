import { type IpAddress, inPrefix, parseIpAddress } from './parse-ip-address.js';

interface Range {
  network: IpAddress;
  bits: number;
  kind: string;
}

function range(cidr: string, kind: string): Range {
  const [address = '', bits = ''] = cidr.split('/');
  const network = parseIpAddress(address);
  if (network === undefined) throw new Error(`bad range ${cidr}`);
  return { network, bits: Number(bits), kind };
}

/** IPv4 ranges that are not the public internet (IANA special-purpose registry). */
const IPV4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', '"this network" (0/8)'),
  range('10.0.0.0/8', 'private (10/8)'),
  range('100.64.0.0/10', 'carrier-grade NAT (100.64/10)'),
  range('127.0.0.0/8', 'loopback (127/8)'),
  range('169.254.0.0/16', 'link-local (169.254/16, cloud metadata)'),
  range('172.16.0.0/12', 'private (172.16/12)'),
  range('192.0.0.0/24', 'IETF protocol assignments (192.0.0/24)'),
  range('192.0.2.0/24', 'documentation (192.0.2/24)'),
  range('192.88.99.0/24', '6to4 relay anycast (192.88.99/24)'),
  range('192.168.0.0/16', 'private (192.168/16)'),
  range('198.18.0.0/15', 'benchmarking (198.18/15)'),
  range('198.51.100.0/24', 'documentation (198.51.100/24)'),
  range('203.0.113.0/24', 'documentation (203.0.113/24)'),
  range('224.0.0.0/4', 'multicast (224/4)'),
  range('255.255.255.255/32', 'broadcast (255.255.255.255)'),
  range('240.0.0.0/4', 'reserved (240/4)'),
];

/** IPv6 ranges checked before the "global unicast only" rule. */
const IPV6_RANGES: readonly Range[] = [
  range('::/128', 'unspecified (::)'),
  range('::1/128', 'loopback (::1)'),
  range('fe80::/10', 'link-local (fe80::/10)'),
  range('fc00::/7', 'unique-local (fc00::/7)'),
  range('ff00::/8', 'multicast (ff00::/8)'),
  range('2001::/23', 'IETF protocol assignments (2001::/23, Teredo)'),
  range('2001:db8::/32', 'documentation (2001:db8::/32)'),
];
const GLOBAL_UNICAST = range('2000::/3', '');
const IPV4_MAPPED = range('::ffff:0:0/96', '');
const NAT64 = range('64:ff9b::/96', '');
const SIX_TO_FOUR = range('2002::/16', '');

function kindOfIpv4(address: IpAddress): string | undefined {
  return IPV4_RANGES.find((entry) => inPrefix(address, entry.network, entry.bits))?.kind;
}

function embeddedIpv4(address: IpAddress, offset: number): IpAddress {
  return { family: 4, bytes: address.bytes.slice(offset, offset + 4) };
}

/**
 * Why `address` (an IP literal, see parseIpAddress) is not a public internet address — "loopback (127/8)",
 * "private (10/8)", … — or undefined for a public one. IPv6 forms that carry an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that IPv4 address; any other IPv6
 * address outside global unicast (2000::/3) is reserved. A string that is not an IP literal is reported too.
 */
export function reservedAddressKind(text: string): string | undefined {
  const address = parseIpAddress(text);
  if (address === undefined) return 'not an IP address';
  if (address.family === 4) return kindOfIpv4(address);
  for (const [prefix, offset, label] of [
    [IPV4_MAPPED, 12, 'IPv4-mapped'],
    [NAT64, 12, 'NAT64'],
    [SIX_TO_FOUR, 2, '6to4'],
  ] as const) {
    if (inPrefix(address, prefix.network, prefix.bits)) {
      const inner = kindOfIpv4(embeddedIpv4(address, offset));
      return inner === undefined ? undefined : `${label} ${inner}`;
    }
  }
  const listed = IPV6_RANGES.find((entry) => inPrefix(address, entry.network, entry.bits))?.kind;
  if (listed !== undefined) return listed;
  return inPrefix(address, GLOBAL_UNICAST.network, GLOBAL_UNICAST.bits) ? undefined : 'reserved IPv6';
}
