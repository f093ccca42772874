import { describe, expect, it } from 'vitest';
import { formatCsvRow } from '../../src/ops/format-csv-row.js';
import { formatTable } from '../../src/ops/format-table.js';
import { createProgressReporter } from '../../src/ops/progress-reporter.js';
import { sanitiseJson, sanitiseText } from '../../src/ops/sanitise-text.js';
import { statusTableCells, toStatusRow } from '../../src/ops/status-row.js';
import type { PairResult } from '../../src/store/pair-result.js';

/** Anything a terminal would act on: C0 controls but LF, DEL, C1 controls, bidi overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** An `error_description` as a hostile portal could send it: retitle, recolour, bell, forged line, RTL override. */
const HOSTILE =
  '\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\r\nimbot-rollout: all pairs registered\u009b2J\u202eevil\ttab';

describe('sanitiseText', () => {
  it.each([
    ['plain text', 'BOT_ID_ERROR: bot not found', 'BOT_ID_ERROR: bot not found'],
    ['non-Latin and emoji kept', 'Ошибка: бот не найден 🤖', 'Ошибка: бот не найден 🤖'],
    ['ESC (ANSI colour)', 'a\u001b[31mred', 'a\\x1b[31mred'],
    ['OSC title with BEL', '\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['NUL and DEL', 'a\u0000b\u007fc', 'a\\x00b\\x7fc'],
    ['C1 CSI (U+009B)', 'x\u009b2J', 'x\\x9b2J'],
    ['CRLF folds to a space', 'line 1\r\nline 2', 'line 1 line 2'],
    ['lone CR (overwrites the line) folds', 'ok\rFAKE', 'ok FAKE'],
    ['LF, VT, FF, NEL, LS, PS fold', 'a\nb\u000bc\u000cd\u0085e\u2028f\u2029g', 'a b c d e f g'],
    ['TAB becomes a space', 'a\tb', 'a b'],
    ['bidi override and isolate escaped', 'abc\u202edef\u2066x\u2069', 'abc\\u202edef\\u2066x\\u2069'],
    ['backslashes kept as they are', 'C:\\path\\x1b', 'C:\\path\\x1b'],
    ['empty', '', ''],
  ])('%s', (_name, input, expected) => {
    expect(sanitiseText(input)).toBe(expected);
    expect(sanitiseText(expected)).toBe(expected); // idempotent
  });

  it('keeps line breaks as \\n with multiline, and still escapes everything else', () => {
    expect(sanitiseText('invalid configuration:\r\n  - a\n  - b\u001b[2K\u2028c', { multiline: true })).toBe(
      'invalid configuration:\n  - a\n  - b\\x1b[2K\nc',
    );
  });

  it('leaves no raw control character in a hostile error_description', () => {
    const safe = sanitiseText(HOSTILE);
    expect(safe).not.toMatch(RAW_CONTROL);
    expect(safe).not.toContain('\n');
    expect(safe).toContain('\\x1b]0;pwned\\x07');
  });
});

describe('sanitiseJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { message: HOSTILE, ok: 'Ошибка 🤖' };
    const json = JSON.stringify(value, null, 2);
    expect(json).toMatch(RAW_CONTROL); // U+009B and U+202E pass JSON.stringify raw
    const safe = sanitiseJson(json);
    expect(safe).not.toMatch(RAW_CONTROL);
    expect(safe).toContain('\\u009b2J\\u202eevil');
    expect(JSON.parse(safe)).toEqual(value);
  });
});

describe('the outputs built on it', () => {
  const result: PairResult = {
    portal: 'evil.example.com',
    code: 'echo',
    state: 'failed',
    appId: null,
    attempts: 3,
    lastError: { code: 'PARAMS_ERROR', message: HOSTILE },
    updatedAt: Date.parse('2025-01-02T03:04:05.000Z'),
  } as unknown as PairResult;

  it('status/failed table: one line per row, no raw control character', () => {
    const table = formatTable(['PORTAL', 'LAST ERROR'], [['a\u001b[2Jb', `x\r\ny`]]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).not.toMatch(RAW_CONTROL);
    expect(table).toContain('a\\x1b[2Jb');
    const cells = statusTableCells(toStatusRow(result));
    expect(cells.join(' ')).not.toMatch(RAW_CONTROL);
    expect(cells.at(-1)).toMatch(/^PARAMS_ERROR: \\x1b\]0;pwned\\x07\\x1b\[31mred/);
  });

  it.each([
    [['=SUM(A1)'], "'=SUM(A1)\r\n"],
    [['\t=cmd|x'], "' =cmd|x\r\n"],
    [['\r=cmd'], "' =cmd\r\n"],
    [['@x', '+1', '-1'], "'@x,'+1,'-1\r\n"],
    [['said "no"\nline 2'], '"said ""no"" line 2"\r\n'],
    [['\u001b[31mred\u0007'], '\\x1b[31mred\\x07\r\n'],
    [['a,b', 7, null], '"a,b",7,\r\n'],
  ] as [(string | number | null)[], string][])(
    'CSV %j -> formula-safe, one line, printable',
    (cells, expected) => {
      const row = formatCsvRow(cells);
      expect(row).toBe(expected);
      expect(row.slice(0, -2)).not.toMatch(RAW_CONTROL);
      expect(row.slice(0, -2)).not.toContain('\n');
    },
  );

  it('progress notices are printable and end the bar line on a TTY', () => {
    const chunks: string[] = [];
    const reporter = createProgressReporter({
      stream: { isTTY: true, write: (c: string) => chunks.push(c) > 0 },
    });
    reporter.notice(`note: ${HOSTILE}`);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.startsWith('\r\u001b[2K')).toBe(true); // our own erase-line, then the text
    expect(chunks[0]?.slice(5, -1)).not.toMatch(RAW_CONTROL);
    expect(chunks[0]?.endsWith('\n')).toBe(true);
  });
});
