import { describe, expect, it } from 'vitest';
import { encodePhpQuery } from '../../src/bitrix/encode-php-query.js';

describe('encodePhpQuery (PHP http_build_query)', () => {
  it.each([
    [
      'the LANG block of the spec example, brackets encoded as PHP does',
      { BOT_ID: 62, CODE: 'echo', LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echobot BUTTON' }] },
      'BOT_ID=62&CODE=echo&LANG%5B0%5D%5BLANGUAGE_ID%5D=en&LANG%5B0%5D%5BTITLE%5D=Echobot%20BUTTON',
    ],
    ['true and false as 1 and 0', { A: true, B: false }, 'A=1&B=0'],
    ['null and undefined left out', { A: null, B: undefined, C: 'x' }, 'C=x'],
    ['empty lists and maps left out', { A: [], B: {}, C: { D: [] }, E: '' }, 'E='],
    ['a list with a hole keeps the indices', { A: [null, 'x'] }, 'A%5B1%5D=x'],
    [
      'nested maps',
      { FIELDS: { LANG: [{ TITLE: 'a&b=c' }] } },
      'FIELDS%5BLANG%5D%5B0%5D%5BTITLE%5D=a%26b%3Dc',
    ],
    ['integers, negative and big', { A: -5, B: 2 ** 53 - 1, C: 10n }, 'A=-5&B=9007199254740991&C=10'],
    ['non-integers with PHP exponents', { A: 1.5, B: 1e21, C: 1.5e-7 }, 'A=1.5&B=1.0E%2B21&C=1.5E-7'],
    [
      'rawurlencode: unreserved kept, the rest percent-encoded (UTF-8)',
      { 'k y': "a b~*'()!+-_.", U: 'Über/€?' },
      'k%20y=a%20b~%2A%27%28%29%21%2B-_.&U=%C3%9Cber%2F%E2%82%AC%3F',
    ],
    ['a batch reference is sent as text', { APP_ID: '$result[reg]' }, 'APP_ID=%24result%5Breg%5D'],
    ['a lone surrogate becomes U+FFFD', { A: 'x\uD800y' }, 'A=x%EF%BF%BDy'],
  ])('%s', (_name, params, expected) => {
    expect(encodePhpQuery(params)).toBe(expected);
  });

  it('RFC1738 (PHP urlencode, the default of http_build_query) writes a space as + and ~ as %7E', () => {
    expect(encodePhpQuery({ 'k y': 'a b~' }, { encoding: 'RFC1738' })).toBe('k+y=a+b%7E');
  });

  it('returns an empty string when nothing is left to send', () => {
    expect(encodePhpQuery({})).toBe('');
    expect(encodePhpQuery({ A: null, B: [] })).toBe('');
  });

  it.each([
    ['NaN', { A: Number.NaN }, /A: NaN/],
    ['Infinity', { A: { B: Number.POSITIVE_INFINITY } }, /A\.B: Infinity/],
    ['a function', { A: () => 1 }, /A: a function/],
    ['a symbol', { A: Symbol('x') }, /A: a symbol/],
    ['a class instance', { A: new Date(0) }, /A: a Date/],
    ['a Map', { A: new Map() }, /A: a Map/],
  ])('refuses %s with a TypeError naming the field', (_name, params, message) => {
    expect(() => encodePhpQuery(params)).toThrow(TypeError);
    expect(() => encodePhpQuery(params)).toThrow(message);
  });

  it('refuses a cycle instead of looping', () => {
    const looped: Record<string, unknown> = {};
    looped['self'] = looped;
    expect(() => encodePhpQuery({ A: looped })).toThrow(/nested deeper than 32 levels/);
  });

  it('accepts an object without prototype', () => {
    const bare: Record<string, unknown> = Object.create(null);
    bare['X'] = 'y';
    expect(encodePhpQuery({ A: bare })).toBe('A%5BX%5D=y');
  });
});
