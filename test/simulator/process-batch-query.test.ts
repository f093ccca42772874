import { describe, expect, it } from 'vitest';
import { type BatchState, parseBatchQuery, phpArrayOf } from '../../src/simulator/process-batch-query.js';

/** The batch state after `reg` answered 17, `user` answered a row and `bad` failed (rest source, methodsBatch). */
function state(): BatchState {
  return new Map<string, Map<string, unknown>>([
    [
      'result',
      new Map<string, unknown>([
        ['reg', 17],
        ['user', { ID: '5', NAME: 'Ann', DEPT: [3, 4], NONE: null }],
        ['word', 'abc'],
        ['yes', true],
      ]),
    ],
    ['next', new Map()],
    ['total', new Map()],
    ['time', new Map([['reg', { start: 1.5 }]])],
    ['error', new Map([['bad', { error: 'BOT_ID_ERROR', error_description: 'Bot not found' }]])],
    ['error_description', new Map([['bad', 'Bot not found']])],
  ]);
}

const WHOLE_RESULT = phpArrayOf(state().get('result') ?? new Map());

describe('parseBatchQuery (CRestUtil::ParseBatchQuery / processBatchElement)', () => {
  it.each([
    ['an exact reference becomes the value itself', 'APP_ID=$result[reg]', { APP_ID: 17 }],
    ['field steps walk into the result', 'ID=$result[user][ID]&D=$result[user][DEPT][1]', { ID: '5', D: 4 }],
    ['a row as a whole', 'U=$result[user]', { U: { ID: '5', NAME: 'Ann', DEPT: [3, 4], NONE: null } }],
    ['a failed command: the WHOLE result map', 'APP_ID=$result[bad]', { APP_ID: WHOLE_RESULT }],
    ['an unknown command: the WHOLE result map', 'APP_ID=$result[nope]', { APP_ID: WHOLE_RESULT }],
    [
      'a missing field: stops at the row',
      'ID=$result[user][MISSING]',
      { ID: state().get('result')?.get('user') },
    ],
    [
      'a null field does not pass isset: stops at the row',
      'X=$result[user][NONE]',
      { X: state().get('result')?.get('user') },
    ],
    ['a scalar has no fields: stays the scalar', 'X=$result[reg][ID]', { X: 17 }],
    ['a string offset is one byte', 'X=$result[word][1]&Y=$result[word][-1]', { X: 'b', Y: 'c' }],
    ['inside a text a number is substituted', 'T=id-$result[reg]', { T: 'id-17' }],
    ['the reference eats the text up to the next space', 'T=$result[reg]px wide', { T: '17 wide' }],
    ['inside a text an array leaves the text unchanged', 'T=see $result[user]', { T: 'see $result[user]' }],
    ['inside a text true leaves it unchanged', 'T=x $result[yes]', { T: 'x $result[yes]' }],
    ['two references in one text', 'T=$result[reg] and $result[user][NAME]', { T: '17 and Ann' }],
    [
      'other state maps are references too',
      'E=$error[bad][error]&S=$time[reg][start]',
      { E: 'BOT_ID_ERROR', S: 1.5 },
    ],
    [
      'the names are tried in order, so $error_description[k] is read as $error + "_description[k]"',
      'D=$error_description[bad]',
      { D: { error: 'BOT_ID_ERROR', error_description: 'Bot not found' } },
    ],
    ['the pattern ignores case, the lookup does not: null', 'A=$RESULT[reg]', { A: null }],
    ['no step, no substitution', 'A=$result&B=$result_x', { A: '$result', B: '$result_x' }],
    [
      'nested parameters are processed too',
      'FIELDS[A]=$result[reg]&L[0][T]=$result[user][NAME]',
      { FIELDS: { A: 17 }, L: [{ T: 'Ann' }] },
    ],
    [
      'ordinary values stay strings',
      'BOT_ID=62&LANG[0][TITLE]=Echo+bot',
      { BOT_ID: '62', LANG: [{ TITLE: 'Echo bot' }] },
    ],
  ])('%s', (_name, query, expected) => {
    expect(parseBatchQuery(query, state())).toEqual(expected);
  });

  it('gives nothing for no query, an empty one, or "0" (PHP: if ($query))', () => {
    expect(parseBatchQuery(undefined, state())).toEqual({});
    expect(parseBatchQuery('', state())).toEqual({});
    expect(parseBatchQuery('0', state())).toEqual({});
  });

  it('an empty result map resolves to an empty list, as PHP prints []', () => {
    const empty: BatchState = new Map([['result', new Map()]]);
    expect(parseBatchQuery('APP_ID=$result[bad]', empty)).toEqual({ APP_ID: [] });
  });

  it('phpArrayOf prints keys 0..n-1 as a list and anything else as an object', () => {
    expect(
      phpArrayOf(
        new Map([
          ['0', 'a'],
          ['1', 'b'],
        ]),
      ),
    ).toEqual(['a', 'b']);
    expect(phpArrayOf(new Map([['1', 'b']]))).toEqual({ 1: 'b' });
    expect(phpArrayOf(new Map())).toEqual([]);
  });
});
