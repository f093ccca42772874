import { describe, expect, it } from 'vitest';
import { scanJsonText } from '../../src/input/scan-json-text.js';

describe('scanJsonText', () => {
  it.each([
    ['{}'],
    ['[]'],
    [' \n\t\r{ "a" : [1, -2.5e+3, 0, 0.5, 1E2, true, false, null, "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"] } '],
    ['"just a string"'],
    ['-0'],
    ['{"":{"":[]}}'],
    ['"\u00e9\ud83d\ude00"'],
  ])('accepts the valid JSON %j like JSON.parse does', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(scanJsonText(text)).toEqual({ syntaxError: undefined, duplicateKeys: [] });
  });

  it.each([
    ['', 1, 1, 'the file is empty; expected a JSON value'],
    ['{"a": 1,}', 1, 9, 'a trailing comma before "}" is not allowed in JSON'],
    ['[1, 2,]', 1, 7, 'a trailing comma before "]" is not allowed in JSON'],
    [
      '{\n  "a": 1\n  "b": 2\n}',
      3,
      3,
      `unexpected character '"'; expected "," or "}" after a property value`,
    ],
    ['{"a": 01}', 1, 7, 'invalid number (no leading zeros in JSON)'],
    ['{"a": 1.}', 1, 8, 'invalid number'],
    ['{"a": tru}', 1, 7, 'invalid literal; expected true'],
    [
      "{'a': 1}",
      1,
      2,
      'single quotes are not allowed in JSON (use "); expected a property name in double quotes',
    ],
    ['{"a": 1} // note', 1, 10, 'comments are not allowed in JSON'],
    ['{"a": "x\ny"}', 1, 9, 'control character U+000A inside a string; escape it (e.g. \\n)'],
    [
      '{"a": "\\x"}',
      1,
      8,
      'invalid escape sequence in a string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
    ],
    [
      '{"a": "\\u12"}',
      1,
      8,
      'invalid escape sequence in a string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
    ],
    ['{"a": "open', 1, 7, 'unterminated string (a closing " is missing)'],
    ['{"a" 1}', 1, 6, `unexpected character '1'; expected ":" after the property name`],
    ['[1] [2]', 1, 5, 'unexpected content after the JSON value (only one top-level value is allowed)'],
    ['{"a": [1, 2', 1, 12, 'unexpected end of the file; expected "," or "]" after an array element'],
    [
      'NaN',
      1,
      1,
      `unexpected character 'N'; expected a value (object, array, string, number, true, false or null)`,
    ],
  ])('reports %j as a syntax error at line %i, column %i', (text, line, column, message) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(scanJsonText(text).syntaxError).toMatchObject({ line, column, message });
  });

  it('never quotes the text around a syntax error', () => {
    const text = '{"accessToken": "SECRET-TOKEN-VALUE" "refreshToken": "OTHER-SECRET"}';
    const error = scanJsonText(text).syntaxError;
    expect(error?.message).not.toMatch(/SECRET/);
    expect(error).toMatchObject({ line: 1, column: 38 });
  });

  it('refuses nesting deeper than 512 levels without overflowing the stack', () => {
    const text = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(scanJsonText(text).syntaxError?.message).toBe('nesting deeper than 512 levels');
  });

  it('finds duplicate keys with the path of their object and both positions', () => {
    const text =
      '[\n {"a": 1},\n {"auth": {"type": "oauth",\n  "type": "webhook"}, "x": {"b": 1, "b": 2, "b": 3}}\n]';
    expect(scanJsonText(text)).toEqual({
      syntaxError: undefined,
      duplicateKeys: [
        { path: [1, 'auth'], key: 'type', first: { line: 3, column: 12 }, again: { line: 4, column: 3 } },
        { path: [1, 'x'], key: 'b', first: { line: 4, column: 29 }, again: { line: 4, column: 37 } },
        { path: [1, 'x'], key: 'b', first: { line: 4, column: 29 }, again: { line: 4, column: 45 } },
      ],
    });
  });

  it('treats escaped and plain spellings of a key as the same key', () => {
    expect(scanJsonText('{"CODE": "a", "\\u0043ODE": "b"}').duplicateKeys).toMatchObject([
      { path: [], key: 'CODE' },
    ]);
  });

  it('does not mistake equal keys in different objects for duplicates', () => {
    expect(
      scanJsonText('[{"CODE": "a"}, {"CODE": "b", "LANG": [{"TITLE": 1}, {"TITLE": 2}]}]').duplicateKeys,
    ).toEqual([]);
  });
});
