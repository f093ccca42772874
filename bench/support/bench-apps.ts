import { type AppDefinition, appDefinitionSchema } from '../../src/apps/app-definition-schema.js';

/** `count` JS-command chat apps with codes `${prefix}0`, `${prefix}1`, ... (valid definitions, parsed as a user's file). */
export function benchApps(count: number, prefix = 'cmd'): AppDefinition[] {
  return Array.from({ length: count }, (_, i) =>
    appDefinitionSchema.parse({
      CODE: `${prefix}${i}`,
      JS_METHOD: 'SEND',
      JS_PARAM: `/${prefix}${i}`,
      CONTEXT: 'BOT',
      LANG: [{ LANGUAGE_ID: 'en', TITLE: `Command ${i}`, DESCRIPTION: 'Benchmark command' }],
    }),
  );
}
