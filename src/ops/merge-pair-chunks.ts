/** A portal x app pair by name. */
export interface PairName {
  domain: string;
  code: string;
}

const memberOf = (pair: PairName) => `${pair.domain}|${pair.code}`;

/**
 * Merges streams of pairs that are each in pair order (domain, then code: the order of the pair index) into
 * one stream in that order, holding one chunk per stream. Domains and codes are ASCII, so string order is the
 * index's byte order. A pair in two streams comes out once.
 */
export async function* mergePairChunks(
  streams: readonly AsyncIterable<PairName[]>[],
): AsyncGenerator<PairName> {
  if (streams.length === 1 && streams[0]) {
    for await (const chunk of streams[0]) yield* chunk;
    return;
  }
  const cursors = streams.map((stream) => ({
    iterator: stream[Symbol.asyncIterator](),
    chunk: [] as PairName[],
    index: 0,
    done: false,
  }));
  type Cursor = (typeof cursors)[number];
  const head = async (cursor: Cursor): Promise<PairName | undefined> => {
    while (!cursor.done && cursor.index >= cursor.chunk.length) {
      const next = await cursor.iterator.next();
      if (next.done) cursor.done = true;
      else {
        cursor.chunk = next.value;
        cursor.index = 0;
      }
    }
    return cursor.done ? undefined : cursor.chunk[cursor.index];
  };
  let last: string | undefined;
  for (;;) {
    let best: { cursor: Cursor; pair: PairName; member: string } | undefined;
    for (const cursor of cursors) {
      const pair = await head(cursor);
      if (!pair) continue;
      const member = memberOf(pair);
      if (!best || member < best.member) best = { cursor, pair, member };
    }
    if (!best) return;
    best.cursor.index++;
    if (best.member === last) continue;
    last = best.member;
    yield best.pair;
  }
}
