import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appDefinitionSchema } from '../../src/apps/app-definition-schema.js';
import { toRegisterParams, toUpdateFields } from '../../src/apps/to-method-params.js';
import { encodePhpQuery, type PhpQueryEncoding } from '../../src/bitrix/encode-php-query.js';
import { parsePhpForm } from '../../src/bitrix/parse-php-form.js';
import { parseRequestParams } from '../../src/simulator/parse-request-params.js';
import { definitionArb } from './support/app-definition-arbitraries.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const ENCODINGS: readonly PhpQueryEncoding[] = ['RFC3986', 'RFC1738'];

/** What PHP's `http_build_query` takes: scalars, lists and maps, nested. */
type PhpValue = string | number | boolean | null | undefined | PhpValue[] | { [key: string]: PhpValue };

/**
 * Keys a PHP form can carry unambiguously: no brackets (they are the nesting syntax), not all digits (a map
 * with keys 0..n-1 is a list in PHP), not a prototype key (the parser drops those on purpose).
 */
const keyArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 12 })
  .filter((key) => !/[[\]]/.test(key) && !/^\d+$/.test(key) && !FORBIDDEN.has(key));

const leafArb: fc.Arbitrary<PhpValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom(null, undefined),
);

/** Nested lists and maps of scalars, empty ones and nulls included (http_build_query leaves them out). */
const { value: valueArb } = fc.letrec<{ value: PhpValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 4 }),
  ),
}));

const paramsArb = fc.dictionary(keyArb, valueArb, { minKeys: 1, maxKeys: 6 });

/**
 * What PHP reads back: every scalar as a string (true -> "1", false -> "0"); null, undefined and empty lists or
 * maps are gone (undefined here); a list keeps the indices of the items left, so it stays a list only when they
 * are still 0..n-1.
 */
function asPhpReadsIt(value: PhpValue): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  const entries = (
    Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value)
  )
    .map(([key, item]) => [key, asPhpReadsIt(item)] as const)
    .filter(([, item]) => item !== undefined);
  if (entries.length === 0) return undefined;
  if (entries.every(([key], i) => key === String(i))) return entries.map(([, item]) => item);
  return Object.fromEntries(entries);
}

function readBack(params: Record<string, PhpValue>): unknown {
  return asPhpReadsIt(params) ?? {};
}

describe('encodePhpQuery read back by the simulator (property-based)', () => {
  it.each(ENCODINGS)(
    'parsePhpForm reads back exactly what encodePhpQuery (%s) wrote, for any nested parameters',
    (encoding) => {
      fc.assert(
        fc.property(paramsArb, (params) => {
          expect(parsePhpForm(encodePhpQuery(params, { encoding }))).toEqual(readBack(params));
        }),
        { numRuns: 1000 },
      );
    },
  );

  it('both encodings differ only in how a space and a tilde are written', () => {
    fc.assert(
      fc.property(paramsArb, (params) => {
        const rfc3986 = encodePhpQuery(params);
        const rfc1738 = encodePhpQuery(params, { encoding: 'RFC1738' });
        expect(rfc1738).toBe(rfc3986.replace(/%20/g, '+').replace(/~/g, '%7E'));
      }),
      { numRuns: 500 },
    );
  });

  it('the register and update parameters of any valid definition survive form encoding', () => {
    fc.assert(
      fc.property(definitionArb, fc.integer({ min: 1, max: 1_000_000 }), (raw, botId) => {
        const def = appDefinitionSchema.parse(raw);
        const hash = 'a'.repeat(32);
        const register = toRegisterParams(def, { botId, hash }) as Record<string, PhpValue>;
        const body = encodePhpQuery({ auth: 'token', ...register });
        const parsed = parseRequestParams('application/x-www-form-urlencoded', body, '');
        expect(parsed).toEqual({ ok: true, params: readBack({ auth: 'token', ...register }) });
        const update = { APP_ID: 7, FIELDS: toUpdateFields(def, { hash }) as PhpValue };
        expect(parsePhpForm(encodePhpQuery(update))).toEqual(readBack(update));
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
        // A raw key with bracket syntax in it, encoded whole: the parser splits it into the nesting.
        const text = [
          ...pairs.map(([head, rest, value]) =>
            encodePhpQuery({ [`${head}${rest.map((s) => `[${s}]`).join('')}`]: value }),
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
