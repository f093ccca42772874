import { isIP } from 'node:net';

/** An IP address as its bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

function ipv6Bytes(text: string): Uint8Array {
  let head = text;
  const tailBytes: number[] = [];
  const lastColon = head.lastIndexOf(':');
  // An embedded dotted IPv4 tail (`::ffff:127.0.0.1`) stands for the last two groups.
  if (head.slice(lastColon + 1).includes('.')) {
    tailBytes.push(...ipv4Bytes(head.slice(lastColon + 1)));
    head = `${head.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const fill = new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0);
  const all = [...leftGroups, ...fill, ...rightGroups];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  if (tailBytes.length === 4) bytes.set(tailBytes, 12);
  return bytes;
}

/**
 * The address in `text` (an IPv4 dotted quad or an IPv6 address, with or without `[...]` and a `%zone`), or
 * undefined for anything else (a host name). Only canonical spellings: give it a URL's `hostname`, which the
 * WHATWG parser has already normalised (`0x7f.1`, `2130706433` and `127.1` all become `127.0.0.1`).
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const address = bare.split('%')[0] ?? '';
  const family = isIP(address);
  if (family === 4) return { family: 4, bytes: ipv4Bytes(address) };
  if (family === 6) return { family: 6, bytes: ipv6Bytes(address.toLowerCase()) };
  return undefined;
}

/** True when the first `bits` bits of `address` equal those of `network` (same family). */
export function inPrefix(address: IpAddress, network: IpAddress, bits: number): boolean {
  if (address.family !== network.family) return false;
  for (let bit = 0; bit < bits; bit += 1) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((address.bytes[byte] ?? 0) & mask) !== ((network.bytes[byte] ?? 0) & mask)) return false;
  }
  return true;
}
