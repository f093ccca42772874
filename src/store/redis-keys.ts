/**
 * Every Redis key the project writes (besides BullMQ's own), in one place. With Redis Cluster, give the
 * prefix a hash tag (e.g. `{imbot-rollout}`) so multi-key scripts stay in one slot.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** Set of all known portal domains. */
  readonly portals: string;
  /** Hash: one portal's settings and credentials. */
  portal(domain: string): string;
  /** Lock held by the one worker refreshing this portal's token. */
  refreshLock(domain: string): string;
  /** Immutable JSON of a definition, addressed by its hash. */
  definition(defHash: string): string;
  /** Sorted set (all scores 0, ordered by member) of `domain|code` pairs: paging and per-portal ranges. */
  readonly pairs: string;
  /** Hash: one pair's durable result. */
  result(domain: string, code: string): string;
  /** List: one pair's attempt history (newest first, capped). */
  attempts(domain: string, code: string): string;
  /** Hash: number of pairs per state. */
  readonly stateCounts: string;
  /**
   * Set: key ids of the keys stored secrets are sealed with (added whenever a secret is sealed, brought up to
   * date by `rotate-key`); `worker`, `rollout` and `serve` check it at start (secrets/check-stored-key-ids.ts).
   */
  readonly keyIds: string;
  /** Hash: one rollout's id, start time, source and pair count (for naming it in a conflict). */
  rollout(id: string): string;
  /** Sorted set: one portal's pairs that want a call, by app CODE, scored with the time they are due (ms). */
  due(domain: string): string;
}

export function createRedisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    portals: `${prefix}:portals`,
    portal: (domain) => `${prefix}:portal:${domain}`,
    refreshLock: (domain) => `${prefix}:lock:refresh:${domain}`,
    definition: (defHash) => `${prefix}:def:${defHash}`,
    pairs: `${prefix}:pairs`,
    result: (domain, code) => `${prefix}:result:${domain}|${code}`,
    attempts: (domain, code) => `${prefix}:attempts:${domain}|${code}`,
    stateCounts: `${prefix}:state-counts`,
    keyIds: `${prefix}:key-ids`,
    rollout: (id) => `${prefix}:rollout:${id}`,
    due: (domain) => `${prefix}:due:${domain}`,
  };
}

export function pairMember(domain: string, code: string): string {
  return `${domain}|${code}`;
}

export function parsePairMember(member: string): { domain: string; code: string } {
  const at = member.indexOf('|');
  return { domain: member.slice(0, at), code: member.slice(at + 1) };
}
