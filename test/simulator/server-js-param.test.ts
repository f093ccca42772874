import { describe, expect, it } from 'vitest';
import {
  isServerJsMethod,
  type ServerJsMethod,
  serverJsColumn,
  serverJsParam,
} from '../../src/simulator/server-js-param.js';

const HEX = '0123456789abcdef0123456789abcdef';

describe('serverJsParam keeps the first match of the server pattern', () => {
  const cases: Array<[ServerJsMethod, string, string | null]> = [
    ['SEND', '/help', '/help'],
    ['SEND', '/help me', '/help me'],
    ['SEND', '/help  me', '/help'],
    ['SEND', '/HELP Me', '/HELP Me'],
    ['SEND', 'say /hello world!', '/hello world'],
    ['SEND', '/a+b-c_d', '/a+b-c_d'],
    ['SEND', '/ab', '/ab'],
    ['SEND', '/a', null],
    ['SEND', 'help', null],
    ['SEND', '/пример', null],
    ['PUT', '/start', '/start'],
    ['PUT', '/start\tnow', '/start\tnow'],
    ['CALL', '+1 555 0100', '+1 555 0100'],
    ['CALL', '+1.555.0100', '0100'],
    ['CALL', '+7 (495) 123-45-67', '+7 (495) 123-45-67'],
    ['CALL', '12#3', '12#3'],
    ['CALL', 'call me', null],
    ['SUPPORT', HEX, HEX],
    ['SUPPORT', HEX.toUpperCase(), HEX.toUpperCase()],
    ['SUPPORT', `line ${HEX}`, HEX],
    ['SUPPORT', `${HEX}0`, `${HEX.slice(1)}0`],
    ['SUPPORT', HEX.slice(1), null],
    ['SUPPORT', `${HEX} `, null],
  ];
  for (const [method, param, kept] of cases) {
    it(`${method} ${JSON.stringify(param)} -> ${JSON.stringify(kept)}`, () => {
      expect(serverJsParam(method, param)).toBe(kept);
    });
  }
});

describe('isServerJsMethod', () => {
  it('accepts exactly PUT, SEND, CALL and SUPPORT, case-sensitive', () => {
    const accepted = ['PUT', 'SEND', 'CALL', 'SUPPORT', 'send', 'Put', 'JUMP', '', 1, null].filter((value) =>
      isServerJsMethod(value),
    );
    expect(accepted).toEqual(['PUT', 'SEND', 'CALL', 'SUPPORT']);
  });
});

describe('serverJsColumn', () => {
  it('wraps the kept param in the JS call the server stores', () => {
    expect(serverJsColumn('SEND', '/help')).toBe("BXIM.sendMessage('/help');");
    expect(serverJsColumn('PUT', '/start')).toBe("BXIM.putMessage('/start');");
    expect(serverJsColumn('CALL', '+1 555')).toBe("BXIM.phoneTo('+1 555');");
    expect(serverJsColumn('SUPPORT', HEX)).toBe(`BXIM.openMessenger('networkLines${HEX}');`);
  });
});
