import { describe, expect, it } from 'vitest';
import { findBotIds } from '../../src/pipeline/resolve-bot-id.js';

describe('findBotIds (imbot.bot.list answers, keyed by bot id)', () => {
  it.each([
    ['a number ID', { 39: { ID: 39, NAME: 'Bot', CODE: 'newbot', OPENLINE: 'N' } }, 'newbot', [39]],
    ['a string ID', { 7: { ID: '7', CODE: 'helper' }, 8: { ID: '8', CODE: 'other' } }, 'helper', [7]],
    ['no such code', { 7: { ID: 7, CODE: 'helper' } }, 'Helper', []],
    ['two bots with the code', { 1: { ID: 1, CODE: 'x' }, 2: { ID: 2, CODE: 'x' } }, 'x', [1, 2]],
    ['an empty list', [], 'x', []],
    ['not a list', 'nope', 'x', []],
    ['an invalid ID', { 1: { ID: 'abc', CODE: 'x' }, 2: { ID: -2, CODE: 'x' } }, 'x', []],
  ])('%s', (_name, answer, code, ids) => {
    expect(findBotIds(answer, code).ids).toEqual(ids);
  });

  it('lists the codes it saw (for the failure message)', () => {
    expect(findBotIds({ 1: { ID: 1, CODE: 'a' }, 2: { ID: 2, CODE: 'b' } }, 'z').codes).toEqual(['a', 'b']);
  });
});
