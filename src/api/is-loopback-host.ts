import { isIP } from 'node:net';

/**
 * True for an address only this machine can reach: `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped).
 * Everything else (0.0.0.0, ::, a LAN address, a host name) counts as reachable from outside.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}
