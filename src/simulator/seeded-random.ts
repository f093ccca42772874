/**
 * A small deterministic PRNG (mulberry32): the same seed gives the same sequence, so simulator runs (tokens,
 * generated portals, fault draws) are reproducible. Not for security.
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` lowercase hex characters drawn from `random`. */
export function randomHex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length) {
    out += Math.floor(random() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  }
  return out.slice(0, length);
}
