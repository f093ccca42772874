import { z } from 'zod';
import { simFaultsSchema, toSimFaults } from './sim-faults-schema.js';
import type { SimulatorControl } from './simulator-types.js';

const domain = z.string().min(1);
/** `null` or missing = all portals / global. */
const optionalDomain = domain.nullish().transform((value) => value ?? null);

/** The body of `POST /_sim/control`: `{"action": <control method name>, ...its arguments}`. */
export const simControlActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('deletePortal'), domain }).strict(),
  z
    .object({
      action: z.literal('setState'),
      domain,
      state: z.enum(['active', 'deleted', 'overloaded', 'access_denied']),
    })
    .strict(),
  z.object({ action: z.literal('revokeRefreshToken'), domain }).strict(),
  z.object({ action: z.literal('expireAccessToken'), domain }).strict(),
  z.object({ action: z.literal('reauthorize'), domain }).strict(),
  z
    .object({
      action: z.literal('setTokenTtl'),
      domain: optionalDomain,
      seconds: z.number().int().positive(),
    })
    .strict(),
  z.object({ action: z.literal('setFaults'), domain: optionalDomain, faults: simFaultsSchema }).strict(),
  z.object({ action: z.literal('setLatency'), ms: z.number().int().min(0).max(600_000) }).strict(),
  z
    .object({
      action: z.literal('setOperationTimeLimit'),
      domain,
      method: z.string().min(1),
      resetAt: z.number(),
    })
    .strict(),
  z.object({ action: z.literal('resetStats') }).strict(),
]);

export type SimControlAction = z.infer<typeof simControlActionSchema>;

/** Runs one parsed action against the control API (throws UnknownPortalError for an unknown domain). */
export function applyControlAction(control: SimulatorControl, action: SimControlAction): void {
  switch (action.action) {
    case 'deletePortal':
      control.deletePortal(action.domain);
      return;
    case 'setState':
      control.setState(action.domain, action.state);
      return;
    case 'revokeRefreshToken':
      control.revokeRefreshToken(action.domain);
      return;
    case 'expireAccessToken':
      control.expireAccessToken(action.domain);
      return;
    case 'reauthorize':
      control.reauthorize(action.domain);
      return;
    case 'setTokenTtl':
      control.setTokenTtl(action.domain, action.seconds);
      return;
    case 'setFaults':
      control.setFaults(action.domain, toSimFaults(action.faults));
      return;
    case 'setLatency':
      control.setLatency(action.ms);
      return;
    case 'setOperationTimeLimit':
      control.setOperationTimeLimit(action.domain, action.method, action.resetAt);
      return;
    case 'resetStats':
      control.resetStats();
      return;
  }
}
