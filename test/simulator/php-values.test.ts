import { describe, expect, it } from 'vitest';
import { isPhpEmpty, phpCut, phpIntval, phpLength, phpString } from '../../src/simulator/php-values.js';
import { phpVarExport } from '../../src/simulator/php-var-export.js';

describe('PHP value semantics the server decides with', () => {
  it('isPhpEmpty is true exactly for PHP empty() values', () => {
    const values: unknown[] = [
      undefined,
      null,
      false,
      '',
      '0',
      0,
      [],
      {},
      ' ',
      '00',
      'N',
      1,
      true,
      [0],
      { a: 1 },
    ];
    expect(values.map(isPhpEmpty)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('phpIntval reads the leading integer', () => {
    const values: unknown[] = ['350', ' 42px', '-7', 'abc', '', 12.9, -3.5, true, null, undefined, ['x'], []];
    expect(values.map(phpIntval)).toEqual([350, 42, -7, 0, 0, 12, -3, 1, 0, 0, 1, 0]);
  });

  it('phpString casts like PHP', () => {
    expect([
      phpString('a'),
      phpString(5),
      phpString(true),
      phpString(false),
      phpString(null),
      phpString([]),
    ]).toEqual(['a', '5', '1', '', '', 'Array']);
  });

  it('phpLength and phpCut count characters, not UTF-16 units', () => {
    expect(phpLength('héllo😀')).toBe(6);
    expect(phpCut('😀😀😀', 2)).toBe('😀😀');
  });
});

describe('phpVarExport', () => {
  it('dumps nested arrays like var_export($value, true)', () => {
    const dump = phpVarExport({
      APP_ID: "custom'x",
      BOT_ID: 62,
      HIDDEN: 'N',
      ICON: null,
      LANG: [{ LANGUAGE_ID: 'en', TITLE: 'T\\itle' }],
    });
    expect(dump).toBe(
      [
        'array (',
        "  'APP_ID' => 'custom\\'x',",
        "  'BOT_ID' => 62,",
        "  'HIDDEN' => 'N',",
        "  'ICON' => NULL,",
        "  'LANG' => ",
        '  array (',
        '    0 => ',
        '    array (',
        "      'LANGUAGE_ID' => 'en',",
        "      'TITLE' => 'T\\\\itle',",
        '    ),',
        '  ),',
        ')',
      ].join('\n'),
    );
  });
});
