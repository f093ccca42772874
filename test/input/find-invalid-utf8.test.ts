import { describe, expect, it } from 'vitest';
import { findInvalidUtf8 } from '../../src/input/find-invalid-utf8.js';

function fatalDecodes(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('findInvalidUtf8', () => {
  it.each([
    ['ASCII', [0x7b, 0x7d], undefined],
    ['2-, 3- and 4-byte characters', [...Buffer.from('é€😀')], undefined],
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong encoding of "/"', [0xc0, 0xaf], 0],
    ['a truncated sequence at the end', [0x61, 0x62, 0xe2, 0x82], 2],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 0],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a Latin-1 byte in the middle', [...Buffer.from('{"TITLE": "caf'), 0xe9, ...Buffer.from('"}')], 14],
  ])('finds the first malformed byte in %s', (_name, bytes, offset) => {
    expect(findInvalidUtf8(Uint8Array.from(bytes))).toBe(offset);
  });

  it('agrees with TextDecoder({ fatal: true }) on random byte strings', () => {
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const interesting = [
      0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
      0xf5, 0xff,
    ];
    for (let round = 0; round < 5000; round++) {
      const bytes = Uint8Array.from(
        { length: 1 + (next() % 8) },
        () => interesting[next() % interesting.length] ?? 0,
      );
      const offset = findInvalidUtf8(bytes);
      expect(offset === undefined).toBe(fatalDecodes(bytes));
      if (offset !== undefined) expect(fatalDecodes(bytes.subarray(0, offset))).toBe(true);
    }
  });
});
