import { z } from 'zod';

/**
 * The application events `serve` handles (docs/bitrix24.md, "Application events"). Bitrix24's own docs print
 * the uninstall event once as `ONAPPSUNINSTALL`: accepted as the same event.
 */
export const APP_EVENT_NAMES = {
  ONAPPINSTALL: 'install',
  ONAPPUPDATE: 'update',
  ONAPPUNINSTALL: 'uninstall',
  ONAPPSUNINSTALL: 'uninstall',
} as const;

export type AppEventKind = (typeof APP_EVENT_NAMES)[keyof typeof APP_EVENT_NAMES];

const secret = (what: string) =>
  z
    .string({ error: `must be a string: ${what}` })
    .min(1, { error: `must not be empty: ${what}` })
    .max(512, { error: 'must be at most 512 characters' });

/**
 * The `auth` part of an application event: form fields `auth[domain]`, `auth[member_id]`, ... Unknown fields
 * (user_id, ...) are ignored. Token fields are only required by the install handler.
 */
const authSchema = z.looseObject({
  domain: z
    .string({ error: "is required: the portal's host name" })
    .trim()
    .toLowerCase()
    .min(1, { error: 'must not be empty' })
    .max(253, { error: 'must be at most 253 characters' }),
  member_id: z
    .string({ error: "is required: the portal's member_id" })
    .regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'must be 1-128 letters, digits, "_" or "-"' }),
  application_token: secret('the application_token of the install'),
  client_endpoint: z.string().max(2048).optional(),
  server_endpoint: z.string().max(2048).optional(),
  access_token: secret('the OAuth access token').optional(),
  refresh_token: secret('the OAuth refresh token').optional(),
  expires_in: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int()
    .positive()
    .max(366 * 86_400)
    .optional(),
  scope: z.string().max(2048).optional(),
  status: z.string().max(8).optional(),
});

/** One event as parsed from its form body (parsePhpForm): `event`, `data[...]`, `ts`, `auth[...]`. */
export const appEventSchema = z.looseObject({
  event: z
    .string({ error: 'is required: the event code, e.g. ONAPPINSTALL' })
    .transform((value) => value.trim().toUpperCase())
    .pipe(
      z.enum(Object.keys(APP_EVENT_NAMES) as [keyof typeof APP_EVENT_NAMES], {
        error: 'is not handled here: only ONAPPINSTALL, ONAPPUPDATE and ONAPPUNINSTALL',
      }),
    ),
  ts: z.string().max(32).optional(),
  data: z.unknown().optional(),
  auth: authSchema,
});

export type AppEvent = z.infer<typeof appEventSchema>;
