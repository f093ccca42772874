import { readFileSync } from 'node:fs';
import { type AppDefinition, appDefinitionSchema } from '../src/apps/app-definition-schema.js';

/** The IFRAME app's icon: a 16x16 PNG (a raster image the server keeps), as the base64 text ICON_FILE carries. */
export const CHAOS_ICON = readFileSync(new URL('../examples/icons/echo.png', import.meta.url)).toString(
  'base64',
);

/**
 * The raw JSON of a chat app as an operator writes it in the apps file: a JS command, or an IFRAME app with an
 * icon and "HASH": "auto". Several fields differ from the server's defaults (CONTEXT, EXTRANET_SUPPORT, sizes,
 * IFRAME_POPUP, two languages with COPYRIGHT), so the end-of-run check of what each portal holds
 * (check-rollout.ts) really tells a field that was applied from one left at its default.
 */
export function chaosAppJson(code: string, kind: 'js' | 'iframe' = 'js'): Record<string, unknown> {
  if (kind === 'iframe') {
    return {
      CODE: code,
      IFRAME: 'https://apps.example.com/iframe/chaos.html',
      IFRAME_WIDTH: 400,
      IFRAME_HEIGHT: 150,
      IFRAME_POPUP: 'Y',
      HASH: 'auto',
      ICON_FILE: CHAOS_ICON,
      CONTEXT: 'CHAT',
      LANG: [
        { LANGUAGE_ID: 'en', TITLE: `Chaos ${code}`, DESCRIPTION: 'Chaos test app', COPYRIGHT: 'Chaos Ltd' },
        { LANGUAGE_ID: 'de', TITLE: `Chaos ${code} (de)` },
      ],
    };
  }
  return {
    CODE: code,
    JS_METHOD: 'SEND',
    JS_PARAM: `/${code}`,
    CONTEXT: 'BOT',
    EXTRANET_SUPPORT: 'Y',
    LANG: [
      { LANGUAGE_ID: 'en', TITLE: `Chaos ${code}`, DESCRIPTION: 'Chaos test command' },
      { LANGUAGE_ID: 'de', TITLE: `Chaos ${code} (de)`, COPYRIGHT: 'Chaos GmbH' },
    ],
  };
}

/** The same app validated, as the producer gets it from loadAppsFile. */
export function chaosApp(code: string, kind: 'js' | 'iframe' = 'js'): AppDefinition {
  return appDefinitionSchema.parse(chaosAppJson(code, kind));
}

/** The two apps every portal of a chaos run gets: one JS command and one IFRAME app (icon, "HASH": "auto"). */
export const BASE_APP_CODES = [
  { code: 'chaos-cmd', kind: 'js' },
  { code: 'chaos-panel', kind: 'iframe' },
] as const;

export function baseApps(): AppDefinition[] {
  return BASE_APP_CODES.map((a) => chaosApp(a.code, a.kind));
}
