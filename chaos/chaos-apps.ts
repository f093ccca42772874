import { type AppDefinition, appDefinitionSchema } from '../src/apps/app-definition-schema.js';

/** The raw JSON of a chat app as an operator writes it in the apps file: a JS command, or an IFRAME app. */
export function chaosAppJson(code: string, kind: 'js' | 'iframe' = 'js'): Record<string, unknown> {
  if (kind === 'iframe') {
    return {
      CODE: code,
      IFRAME: 'https://apps.example.com/iframe/chaos.html',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 150,
      HASH: 'auto',
      LANG: [{ LANGUAGE_ID: 'en', TITLE: `Chaos ${code}`, DESCRIPTION: 'Chaos test app' }],
    };
  }
  return {
    CODE: code,
    JS_METHOD: 'SEND',
    JS_PARAM: `/${code}`,
    CONTEXT: 'BOT',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: `Chaos ${code}`, DESCRIPTION: 'Chaos test command' }],
  };
}

/** The same app validated, as the producer gets it from loadAppsFile. */
export function chaosApp(code: string, kind: 'js' | 'iframe' = 'js'): AppDefinition {
  return appDefinitionSchema.parse(chaosAppJson(code, kind));
}

/** The two apps every portal of a chaos run gets: one JS command and one IFRAME app ("HASH": "auto"). */
export const BASE_APP_CODES = [
  { code: 'chaos-cmd', kind: 'js' },
  { code: 'chaos-panel', kind: 'iframe' },
] as const;

export function baseApps(): AppDefinition[] {
  return BASE_APP_CODES.map((a) => chaosApp(a.code, a.kind));
}
