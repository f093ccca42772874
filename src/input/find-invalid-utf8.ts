/**
 * Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms, surrogates
 * and code points above U+10FFFF count as malformed, as for `TextDecoder` with `fatal: true`), or undefined.
 */
export function findInvalidUtf8(bytes: Uint8Array): number | undefined {
  const n = bytes.length;
  const at = (i: number): number => bytes[i] ?? -1;
  const cont = (b: number, lo = 0x80, hi = 0xbf): boolean => b >= lo && b <= hi;
  let i = 0;
  while (i < n) {
    const b = at(i);
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (!cont(at(i + 1), lo, hi)) return i;
    for (let k = 2; k <= need; k++) if (!cont(at(i + k))) return i;
    i += need + 1;
  }
  return undefined;
}
