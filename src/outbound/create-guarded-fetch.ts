import { Agent, fetch as undiciFetch } from 'undici';
import { type AllowList, createAllowList } from './allow-list.js';
import { createGuardedLookup, type ResolveHost, resolveWithDns } from './create-guarded-lookup.js';

/** Who may be connected to: ROLLOUT_ALLOW_HOSTS, and the resolver (DNS unless a test injects one). */
export interface OutboundPolicy {
  allowHosts: readonly string[];
  resolveHost?: ResolveHost;
}

// One keep-alive pool per policy, shared by every client and refresh made with it (no agent per call).
const agents = new WeakMap<ResolveHost, Map<string, Agent>>();

function agentFor(allow: AllowList, key: string, resolve: ResolveHost): Agent {
  let byKey = agents.get(resolve);
  if (byKey === undefined) {
    byKey = new Map();
    agents.set(resolve, byKey);
  }
  let agent = byKey.get(key);
  if (agent === undefined) {
    agent = new Agent({ connect: { lookup: createGuardedLookup(allow, resolve) } });
    byKey.set(key, agent);
  }
  return agent;
}

/**
 * A `fetch` whose connections obey the outbound rule at connect time (createGuardedLookup): an undici Agent
 * with a checking `connect.lookup`, so the socket goes to the address that was checked while TLS SNI and Host
 * keep the host name. IP-literal hosts never reach a lookup: sendHttpRequest checks them before the call.
 */
export function createGuardedFetch(policy: OutboundPolicy): typeof fetch {
  const allow = createAllowList(policy.allowHosts);
  const agent = agentFor(
    allow,
    [...policy.allowHosts].sort().join(','),
    policy.resolveHost ?? resolveWithDns,
  );
  const guarded = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    });
  return guarded as unknown as typeof fetch;
}
