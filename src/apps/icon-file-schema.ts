import { z } from 'zod';
import { strictObject } from '../input/strict-object.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const ICON_RULE =
  'must be the icon as a base64 string (spec: "This field must contain the base64 of your icon") or ' +
  '{"path": "icons/x.png"} naming a PNG, JPEG, GIF, BMP or WEBP file relative to the apps file (Bitrix24 ' +
  'silently drops SVG and other formats)';

/**
 * ICON_FILE as written in an apps file: the spec's base64 string, or `{"path": ...}` that loadAppsFile reads
 * and turns into base64. Size and image type are checked by loadAppsFile (the limit is one of its options).
 */
export const iconFileSchema = z.union(
  [
    z.string().superRefine((value, ctx) => {
      const problem = base64Problem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    strictObject({
      path: z
        .string({ error: 'is required: the icon file, relative to the apps file (e.g. "icons/echo.png")' })
        .min(1, {
          error: 'must not be empty: the icon file, relative to the apps file (e.g. "icons/echo.png")',
        }),
    }),
  ],
  { error: ICON_RULE },
);

export type IconFile = z.infer<typeof iconFileSchema>;

function base64Problem(value: string): string | undefined {
  if (value === '') {
    return (
      'must not be empty; leave ICON_FILE out for no icon (spec: without it the app is listed in the system ' +
      'dialog "Chat Applications")'
    );
  }
  if (/^data:/i.test(value)) return 'must be the bare base64 text, without a "data:...;base64," prefix';
  if (/\s/.test(value)) return 'must be base64 without spaces or line breaks';
  if (!BASE64.test(value) || value.length % 4 !== 0) {
    return 'is not valid base64 (characters A-Z a-z 0-9 + / with "=" padding to a multiple of 4)';
  }
  return undefined;
}
