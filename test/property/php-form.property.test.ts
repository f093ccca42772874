import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appDefinitionSchema } from '../../src/apps/app-definition-schema.js';
import { toRegisterParams, toUpdateFields } from '../../src/apps/to-method-params.js';
import { parsePhpForm } from '../../src/simulator/parse-php-form.js';
import { parseRequestParams } from '../../src/simulator/parse-request-params.js';
import { definitionArb } from './support/app-definition-arbitraries.js';
import { encodePhpForm, type PhpFormValue, phpUrlencode } from './support/encode-php-form.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Keys a PHP form can carry unambiguously: no brackets (they are the nesting syntax), not all digits (a map
 * with keys 0..n-1 is a list in PHP), not a prototype key (the parser drops those on purpose).
 */
const keyArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 12 })
  .filter((key) => !/[[\]]/.test(key) && !/^\d+$/.test(key) && !FORBIDDEN.has(key));

const leafArb: fc.Arbitrary<PhpFormValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.boolean(),
);

/** Nested lists and maps of scalars, never empty (http_build_query drops empty arrays: nothing to read back). */
const { value: valueArb } = fc.letrec<{ value: PhpFormValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { minLength: 1, maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { minKeys: 1, maxKeys: 4 }),
  ),
}));

const paramsArb = fc.dictionary(keyArb, valueArb, { minKeys: 1, maxKeys: 6 });

/** What PHP reads back: every scalar as a string (true -> "1", false -> "0"); the shape is kept. */
function asPhpReadsIt(value: PhpFormValue): unknown {
  if (Array.isArray(value)) return value.map(asPhpReadsIt);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asPhpReadsIt(v)]));
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

describe('PHP-style form encoding (property-based)', () => {
  it('the encoder matches http_build_query on the documented example', () => {
    // The LANG block of the spec's restCommand example, as http_build_query prints it.
    expect(
      encodePhpForm({
        BOT_ID: 62,
        CODE: 'echo',
        LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echobot BUTTON' }],
        X: null,
      }),
    ).toBe('BOT_ID=62&CODE=echo&LANG%5B0%5D%5BLANGUAGE_ID%5D=en&LANG%5B0%5D%5BTITLE%5D=Echobot+BUTTON');
    expect(phpUrlencode("a b~*'()!")).toBe('a+b%7E%2A%27%28%29%21');
  });

  it('parsePhpForm reads back exactly what a PHP-style encoder wrote, for any nested parameters', () => {
    fc.assert(
      fc.property(paramsArb, (params) => {
        expect(parsePhpForm(encodePhpForm(params))).toEqual(asPhpReadsIt(params));
      }),
      { numRuns: 1000 },
    );
  });

  it('the register and update parameters of any valid definition survive form encoding', () => {
    fc.assert(
      fc.property(definitionArb, fc.integer({ min: 1, max: 1_000_000 }), (raw, botId) => {
        const def = appDefinitionSchema.parse(raw);
        const hash = 'a'.repeat(32);
        const register = toRegisterParams(def, { botId, hash }) as Record<string, PhpFormValue>;
        const body = `${encodePhpForm({ auth: 'token', ...register })}`;
        const parsed = parseRequestParams('application/x-www-form-urlencoded', body, '');
        expect(parsed).toEqual({ ok: true, params: asPhpReadsIt({ auth: 'token', ...register }) });
        const update = { APP_ID: 7, FIELDS: toUpdateFields(def, { hash }) as PhpFormValue };
        expect(parsePhpForm(encodePhpForm(update))).toEqual(asPhpReadsIt(update));
      }),
      { numRuns: 300 },
    );
  });

  it('no key of any form pollutes Object.prototype or shows up as a parameter', () => {
    const segment = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
      keyArb,
      fc.constant(''),
    );
    const formArb = fc.array(
      fc.tuple(keyArb, fc.array(segment, { maxLength: 4 }), fc.string({ maxLength: 8 })),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(formArb, fc.constantFrom('__proto__', 'constructor', 'prototype'), (pairs, evil) => {
        const text = [
          ...pairs.map(
            ([head, rest, value]) =>
              `${phpUrlencode(`${head}${rest.map((s) => `[${s}]`).join('')}`)}=${phpUrlencode(value)}`,
          ),
          `${evil}[polluted]=1`,
          `a[${evil}][polluted]=1`,
        ].join('&');
        const parsed = parsePhpForm(text);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
        expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
        const keysDeep = (value: unknown): string[] =>
          value !== null && typeof value === 'object'
            ? Object.entries(value).flatMap(([k, v]) => [k, ...keysDeep(v)])
            : [];
        for (const key of keysDeep(parsed)) expect(FORBIDDEN.has(key), key).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
