import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appsFileSchema } from '../../src/apps/app-definition-schema.js';
import { inputFileJsonSchema } from '../../src/cli/input-file-json-schema.js';
import { unwrapInputFile } from '../../src/input/unwrap-input-file.js';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { APPS_CASES, PORTALS_CASES } from '../corpus/corpus-cases.js';
import { checkJsonSchema } from '../support/check-json-schema.js';
import { runCli } from '../support/run-cli.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string): unknown => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

/**
 * Corpus entries the zod schema refuses by a check JSON Schema cannot state (the file is not JSON at all, a
 * duplicate key, a CODE's or domain's charset and injections, an https:// URL, a JS_PARAM the server would cut,
 * duplicate CODEs or domains across entries, an icon's bytes, a webhook on another host): the loader has the last
 * word there, the schema is for editors.
 */
const NOT_EXPRESSIBLE = {
  apps: [
    // not JSON, or JSON with what only the reader refuses (duplicate keys, __proto__ / constructor keys)
    'comment.bad',
    'constructor-key.bad',
    'duplicate-key-nested.bad',
    'not-utf8-utf16.bad',
    'proto-key.bad',
    'trailing-comma.bad',
    'truncated-json.bad',
    // a CODE's charset, titles that are markup, control characters or blank (refinements in code)
    'code-backtick-injection.bad',
    'code-html-injection.bad',
    'code-proto.bad',
    'code-shell-injection.bad',
    'code-sql-injection.bad',
    'description-script-injection.bad',
    'title-blank.bad',
    'title-control-characters.bad',
    'title-html-injection.bad',
    // across entries or languages: duplicate CODEs, duplicate LANGUAGE_IDs
    'duplicate-code-case-insensitive.bad',
    'duplicate-language.bad',
    // URLs, icons and JS_PARAM parsed in code (https only, no credentials, length with the server's suffix)
    'icon-data-url.bad',
    'icon-not-base64.bad',
    'iframe-credentials.bad',
    'iframe-data-url.bad',
    'iframe-http.bad',
    'iframe-javascript.bad',
    'iframe-protocol-relative.bad',
    'iframe-too-long.bad',
    'js-param-cut-by-server.bad',
    'js-param-shell-injection.bad',
  ].sort(),
  portals: [
    'proto-key.bad',
    'truncated-json.bad',
    // a domain's form, duplicate domains across entries
    'domain-duplicate-case-insensitive.bad',
    'domain-html-injection.bad',
    'domain-proto.bad',
    'domain-shell-injection.bad',
    'domain-with-scheme.bad',
    // URLs parsed in code (https only, no credentials, the webhook's path and host)
    'rest-url-credentials.bad',
    'rest-url-http.bad',
    'rest-url-javascript.bad',
    'webhook-http.bad',
    'webhook-malformed-path.bad',
    'webhook-other-host.bad',
  ].sort(),
};

describe('the JSON Schema of the input files (imbot-rollout schema apps|portals)', () => {
  it.each(['apps', 'portals'] as const)(
    'is the one committed in examples/ for %s (generated, never edited)',
    (kind) => {
      expect(read(`examples/${kind}.schema.json`)).toEqual(inputFileJsonSchema(kind));
    },
  );

  it.each(['apps', 'portals'] as const)('accepts examples/%s.json, which names it with $schema', (kind) => {
    const example = read(`examples/${kind}.json`) as Record<string, unknown>;
    expect(example['$schema']).toBe(`./${kind}.schema.json`);
    expect(checkJsonSchema(inputFileJsonSchema(kind), example)).toEqual([]);
    // The plain array of the same entries, as files were before $schema, is accepted as well.
    expect(checkJsonSchema(inputFileJsonSchema(kind), example[kind])).toEqual([]);
  });

  it.each([
    ['apps', APPS_CASES],
    ['portals', PORTALS_CASES],
  ] as const)(
    'refuses every %s corpus entry the zod schema refuses, as far as JSON Schema can state it',
    (kind, cases) => {
      const schema = inputFileJsonSchema(kind);
      const zod = kind === 'apps' ? appsFileSchema : portalsFileSchema({ allowHttp: false, allowHosts: [] });
      const accepted: string[] = [];
      for (const { file } of cases) {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(join(ROOT, 'test/corpus', kind, file), 'utf8'));
        } catch {
          accepted.push(file); // not JSON: no schema applies
          continue;
        }
        if (zod.safeParse(unwrapInputFile(raw, kind)).success) continue; // refused only by the loader's file checks
        if (checkJsonSchema(schema, raw).length === 0) accepted.push(file);
      }
      expect(accepted.sort()).toEqual(NOT_EXPRESSIBLE[kind]);
    },
  );

  it('is printed by `imbot-rollout schema apps`; an unknown kind is a usage error', async () => {
    const printed = await runCli(['schema', 'apps']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(inputFileJsonSchema('apps'));
    const wrong = await runCli(['schema', 'app']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('"app" is not a file kind; give apps or portals');
  }, 60_000);
});
