import { describe, expect, it } from 'vitest';
import { appsFileSchema } from '../../src/apps/app-definition-schema.js';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import { nearestKey } from '../../src/input/nearest-key.js';

function problemsOf(...definitions: unknown[]) {
  const result = appsFileSchema.safeParse(definitions);
  return result.success ? [] : formatZodIssues(result.error, 'apps.json');
}

const LANG = [{ LANGUAGE_ID: 'en', TITLE: 'Echo' }];

describe('an unknown key in an apps entry is named with the nearest known key', () => {
  it('names a misspelt JS_METHOD, which otherwise only made the entry "neither a JS command nor an IFRAME app"', () => {
    const problems = problemsOf({ CODE: 'echo', JS_METOD: 'SEND', JS_PARAM: '/echo', LANG });
    expect(problems).toContainEqual({
      where: 'apps.json[0].JS_METOD',
      message: 'unknown key "JS_METOD"; did you mean JS_METHOD?',
    });
    expect(problems.map((p) => p.where)).toContain('apps.json[0]');
  });

  it('names a misspelt key of a JS command or an IFRAME app', () => {
    expect(problemsOf({ CODE: 'echo', JS_METHOD: 'SEND', JS_PARAM: '/echo', CONTXT: 'BOT', LANG })).toEqual([
      { where: 'apps.json[0].CONTXT', message: 'unknown key "CONTXT"; did you mean CONTEXT?' },
    ]);
    const iframe = { CODE: 'p', IFRAME: 'https://example.com/i.php', HASH: 'auto', LANG, IFRAME_HIEGHT: 300 };
    expect(problemsOf(iframe)).toEqual([
      {
        where: 'apps.json[0].IFRAME_HIEGHT',
        message: 'unknown key "IFRAME_HIEGHT"; did you mean IFRAME_HEIGHT?',
      },
    ]);
  });

  it.each([
    ['JS_METOD', 'JS_METHOD'],
    ['js_method', 'JS_METHOD'],
    ['IFRAM', 'IFRAME'],
    ['LANGS', 'LANG'],
    ['COLOR', undefined],
    ['WIDTH', undefined],
  ])('%s -> %s', (key, expected) => {
    expect(nearestKey(key, ['JS_METHOD', 'JS_PARAM', 'IFRAME', 'HASH', 'LANG', 'CONTEXT'])).toBe(expected);
  });
});
