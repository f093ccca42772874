import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { exportChunks } from '../../src/ops/export-chunks.js';
import { formatCsvRow, neutraliseFormula } from '../../src/ops/format-csv-row.js';
import { toStatusRow } from '../../src/ops/status-row.js';
import { writeChunks } from '../../src/ops/write-chunks.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore, type ResultStore } from '../../src/store/result-store.js';
import { newRedis, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

const redis = newRedis();
afterAll(async () => {
  await redis.quit();
});

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

async function storeWith(pairs: number): Promise<ResultStore> {
  const store = createResultStore({
    redis,
    keys: createRedisKeys(uniquePrefix('export')),
    now: () => 1_700_000_000_000,
  });
  const all = Array.from({ length: pairs }, (_, i) => ({
    domain: `p${String(i).padStart(5, '0')}.example.com`,
    code: 'echo',
    defHash: 'h',
    portalParked: false,
  }));
  for (let i = 0; i < all.length; i += 1_000) await store.requestPresent(all.slice(i, i + 1_000));
  return store;
}

describe('formatCsvRow', () => {
  it('quotes commas and double quotes as RFC 4180 says, folds line breaks, and ends the record with CRLF', () => {
    // Line breaks become spaces (sanitiseText): a record is one line, so no text can forge one in a terminal.
    expect(formatCsvRow(['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', 7, null])).toBe(
      'plain,"a,b","say ""hi""",two lines,cr here,7,\r\n',
    );
  });

  it('neutralises cells that a spreadsheet would run as a formula', () => {
    expect(['=1+2', '+1', '-1', '@SUM(A1)', '\tx', '\rx', 'a=b', "'quoted"].map(neutraliseFormula)).toEqual([
      "'=1+2",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      "'\rx",
      'a=b',
      "'quoted",
    ]);
    expect(formatCsvRow(['=cmd|" /C calc"!A0', -1])).toBe(`"'=cmd|"" /C calc""!A0",-1\r\n`);
  });
});

describe('exportChunks', () => {
  it('streams many pairs in chunks, CSV header first, every pair once in index order', async () => {
    const store = await storeWith(2_500);
    const chunks = await collect(exportChunks(store, 'csv', { chunkSize: 1_000 }));
    expect(chunks).toHaveLength(4); // header + 3 chunks
    const lines = chunks.join('').split('\r\n');
    expect(lines[0]).toBe('portal,code,state,appId,attempts,lastErrorCode,lastErrorMessage,updatedAt,hash');
    expect(lines).toHaveLength(2_502); // header, 2500 records, '' after the last CRLF
    expect(lines[1]).toBe('p00000.example.com,echo,pending,,0,,,2023-11-14T22:13:20.000Z,');
    expect(lines[2_500]).toMatch(/^p02499\.example\.com,/);
  });

  it('streams JSON that parses to exactly the status rows, formatted like status --json', async () => {
    const store = await storeWith(2_100);
    const chunks = await collect(exportChunks(store, 'json', { chunkSize: 1_000 }));
    expect(chunks.length).toBe(4); // 3 chunks + closing bracket
    const rows = (await store.getMany(await store.listPairs())).flatMap((r) => (r ? [toStatusRow(r)] : []));
    expect(chunks.join('')).toBe(`${JSON.stringify(rows, null, 2)}\n`);
  });

  it('exports an empty store as a header only, or as []', async () => {
    const store = await storeWith(0);
    expect((await collect(exportChunks(store, 'csv'))).join('')).toBe(
      'portal,code,state,appId,attempts,lastErrorCode,lastErrorMessage,updatedAt,hash\r\n',
    );
    expect((await collect(exportChunks(store, 'json'))).join('')).toBe('[]\n');
  });
});

describe('writeChunks', () => {
  async function* parts(fail = false): AsyncGenerator<string> {
    yield 'one,';
    if (fail) throw new Error('redis went away');
    yield 'two\n';
  }

  it('writes a file through a temp file and renames it into place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'write-chunks-'));
    const file = join(dir, 'out.csv');
    await writeChunks(parts(), { file });
    expect(readFileSync(file, 'utf8')).toBe('one,two\n');
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('leaves the old file untouched and no temp file when the export fails half way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'write-chunks-'));
    const file = join(dir, 'out.csv');
    writeFileSync(file, 'previous export\n');
    await expect(writeChunks(parts(true), { file })).rejects.toThrow('redis went away');
    expect(readFileSync(file, 'utf8')).toBe('previous export\n');
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  /** A stream whose reader went away after the first chunk, as stdout under `export | head -1`. */
  function closedPipe(): { stream: Writable; written: string[] } {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (written.length > 0) {
          done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
          return;
        }
        written.push(chunk.toString());
        done();
      },
    });
    return { stream, written };
  }

  it('stops quietly when the reader closed the pipe (EPIPE), as `export | head` does', async () => {
    const { stream, written } = closedPipe();
    async function* many(): AsyncGenerator<string> {
      for (let i = 0; i < 50; i++) yield `row ${i}\n`;
    }

    await expect(writeChunks(many(), { stream })).resolves.toBeUndefined();

    expect(written).toEqual(['row 0\n']);
    // Writes already handed over fail later with the same EPIPE: still listened to, so nothing crashes.
    expect(stream.listenerCount('error')).toBeGreaterThan(0);
  });

  it('fails with any other write error', async () => {
    const stream = new Writable({
      write(_chunk: Buffer, _encoding, done) {
        done(Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }));
      },
    });
    async function* many(): AsyncGenerator<string> {
      for (let i = 0; i < 50; i++) yield `row ${i}\n`;
    }

    await expect(writeChunks(many(), { stream })).rejects.toThrow('ENOSPC');
  });

  it('waits for a full stream to drain before writing more', async () => {
    const stream = new PassThrough({ highWaterMark: 4 });
    let finished = false;
    const writing = writeChunks(parts(), { stream }).then(() => {
      finished = true;
    });
    // 'one,' filled the buffer (nobody has read it yet) and writeChunks is waiting for it to drain.
    await waitFor(() => stream.writableNeedDrain && stream.listenerCount('drain') > 0, {
      message: 'writeChunks to wait for the full stream to drain',
    });
    expect(finished).toBe(false);
    let received = '';
    stream.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    await writing;
    expect(received).toBe('one,two\n');
  });
});
