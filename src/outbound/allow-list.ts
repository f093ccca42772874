import { type IpAddress, inPrefix, parseIpAddress } from './parse-ip-address.js';

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * ROLLOUT_ALLOW_HOSTS (config `allowHosts`): hosts and address ranges exempt from the outbound rule
 * (docs/security.md, "Where credentials are sent: the outbound rule"). A listed host may be any address and
 * need not be the portal's domain.
 */
export interface AllowList {
  /** True when `host` (a URL hostname, IPv6 in brackets or not) is listed, by name or as an address in a range. */
  allowsHost(host: string): boolean;
  /** True when the address (an IP literal) is in a listed address or range. */
  allowsAddress(address: string): boolean;
}

interface Network {
  network: IpAddress;
  bits: number;
}

function parseNetwork(item: string): Network | undefined {
  const [address = '', bits, ...rest] = item.split('/');
  if (rest.length > 0) return undefined;
  const network = parseIpAddress(address);
  if (network === undefined) return undefined;
  const max = network.family === 4 ? 32 : 128;
  if (bits === undefined) return { network, bits: max };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { network, bits: Number(bits) };
}

/** The items of a comma-separated list (or an array of them), trimmed, empty ones dropped. */
export function splitAllowHosts(value: string | readonly string[]): string[] {
  const items = typeof value === 'string' ? value.split(',') : value.flatMap((item) => item.split(','));
  return items.map((item) => item.trim().toLowerCase()).filter((item) => item !== '');
}

/** What is wrong with one allow-list item (a host name, an IP address or a CIDR range), or undefined. */
export function allowHostProblem(item: string): string | undefined {
  if (parseNetwork(item) !== undefined) return undefined;
  if (item.includes('/') || item.includes(':')) {
    return `"${item}" is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, ::1)`;
  }
  if (!HOST_NAME.test(item)) return `"${item}" is not a host name, IP address or CIDR range`;
  return undefined;
}

/** The allow list of `items` (see splitAllowHosts); items that are not valid are ignored (config refuses them). */
export function createAllowList(items: readonly string[]): AllowList {
  const names = new Set<string>();
  const networks: Network[] = [];
  for (const item of splitAllowHosts(items)) {
    const network = parseNetwork(item);
    if (network !== undefined) networks.push(network);
    else names.add(item.replace(/\.$/, ''));
  }
  const allowsAddress = (address: string): boolean => {
    const parsed = parseIpAddress(address);
    return parsed !== undefined && networks.some((entry) => inPrefix(parsed, entry.network, entry.bits));
  };
  return {
    allowsHost: (host) => {
      const name = host.toLowerCase().replace(/\.$/, '');
      return names.has(name) || allowsAddress(name);
    },
    allowsAddress,
  };
}
