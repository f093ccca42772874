import { z } from 'zod';
import type { ApplicationBackend } from './application-backend.js';
import {
  type ApplicationBackendOptions,
  applicationBackendOptionsSchema,
} from './application-backend-options.js';

/** The `POST /_sim/control` actions that drive the application backend (application-backend.ts). */
export const BACKEND_ACTIONS = [
  'startBackend',
  'stopBackend',
  'pauseBackend',
  'resumeBackend',
  'resetBackendStats',
] as const;

/** `{"action": "startBackend", "backend": {<options>}}`, or one of the other actions without arguments. */
export const backendControlActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('startBackend'), backend: applicationBackendOptionsSchema }).strict(),
  z.object({ action: z.literal('stopBackend') }).strict(),
  z.object({ action: z.literal('pauseBackend') }).strict(),
  z.object({ action: z.literal('resumeBackend') }).strict(),
  z.object({ action: z.literal('resetBackendStats') }).strict(),
]);

export type BackendControlAction = z.infer<typeof backendControlActionSchema>;

export function isBackendAction(body: unknown): boolean {
  const action = (body as { action?: unknown } | null)?.action;
  return typeof action === 'string' && (BACKEND_ACTIONS as readonly string[]).includes(action);
}

/** Thrown for an action that needs a running backend when none runs, or a start while one runs. */
export class BackendStateError extends Error {
  override readonly name = 'BackendStateError';
}

export interface BackendHost {
  startBackend(options: ApplicationBackendOptions): Promise<ApplicationBackend>;
  backend(): ApplicationBackend | null;
  stopBackend(): Promise<void>;
}

/** Runs one parsed backend action; answers what `/_sim/control` returns besides `ok`. */
export async function applyBackendControlAction(
  host: BackendHost,
  action: BackendControlAction,
): Promise<Record<string, unknown>> {
  if (action.action === 'startBackend') {
    const backend = await host.startBackend(action.backend);
    return { sourceUrl: backend.sourceUrl };
  }
  if (action.action === 'stopBackend') {
    await host.stopBackend();
    return {};
  }
  const backend = host.backend();
  if (backend === null) throw new BackendStateError('no application backend runs (startBackend first)');
  if (action.action === 'pauseBackend') backend.pause();
  else if (action.action === 'resumeBackend') backend.resume();
  else backend.resetStats();
  return {};
}
