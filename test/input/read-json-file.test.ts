import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/input-error.js';
import { parseJsonText, readJsonFile } from '../../src/input/read-json-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'read-json-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

function parseRefusal(text: string, label = 'x.json'): InputError {
  try {
    parseJsonText(text, label);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected parseJsonText to refuse the text');
}

describe('readJsonFile', () => {
  it('reads a JSON file', async () => {
    const path = join(dir, 'apps.json');
    await writeFile(path, '[{"CODE": "echo"}]');
    expect(await readJsonFile(path, { maxBytes: 1000 })).toEqual([{ CODE: 'echo' }]);
  });

  it('skips a UTF-8 byte order mark and keeps non-ASCII text', async () => {
    const path = join(dir, 'apps.json');
    await writeFile(
      path,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"TITLE": "Grüße €"}')]),
    );
    expect(await readJsonFile(path, { maxBytes: 1000 })).toEqual({ TITLE: 'Grüße €' });
  });

  it('refuses a missing file, naming its full path', async () => {
    const error = await refusal(readJsonFile(join(dir, 'nope.json'), { maxBytes: 1000 }));
    expect(error.file).toBe('nope.json');
    expect(error.problems).toEqual([
      { where: 'nope.json', message: `file not found: ${join(dir, 'nope.json')}` },
    ]);
    expect(error.message).toBe(
      `nope.json: 1 problem, nothing was queued\n  - file not found: ${join(dir, 'nope.json')}`,
    );
  });

  it('refuses a directory', async () => {
    await mkdir(join(dir, 'apps.json'));
    const error = await refusal(readJsonFile(join(dir, 'apps.json'), { maxBytes: 1000 }));
    expect(error.problems[0]?.message).toMatch(/is not a regular file$/);
  });

  it('refuses a file over maxBytes, saying its size and the limit', async () => {
    const path = join(dir, 'huge.json');
    await writeFile(path, `[${'1,'.repeat(600)}1]`);
    const error = await refusal(readJsonFile(path, { maxBytes: 1000 }));
    expect(error.problems).toEqual([
      { where: 'huge.json', message: 'file is 1203 bytes; the limit is 1000 bytes' },
    ]);
  });

  it('accepts a file of exactly maxBytes', async () => {
    const path = join(dir, 'exact.json');
    await writeFile(path, '[1]');
    expect(await readJsonFile(path, { maxBytes: 3 })).toEqual([1]);
  });

  it('refuses bytes that are not UTF-8, saying the byte offset', async () => {
    const path = join(dir, 'latin1.json');
    await writeFile(
      path,
      Buffer.concat([Buffer.from('{"TITLE": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    );
    const error = await refusal(readJsonFile(path, { maxBytes: 1000 }));
    expect(error.problems).toEqual([
      {
        where: 'latin1.json',
        message: 'is not valid UTF-8: malformed byte sequence at byte offset 14; save the file as UTF-8',
      },
    ]);
  });

  it('refuses invalid JSON with line and column', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '[\n  {"CODE": "echo",}\n]');
    const error = await refusal(readJsonFile(path, { maxBytes: 1000, label: 'apps file' }));
    expect(error.problems).toEqual([
      {
        where: 'apps file',
        message: 'invalid JSON at line 2, column 19: a trailing comma before "}" is not allowed in JSON',
      },
    ]);
  });

  it('refuses an empty file', async () => {
    const path = join(dir, 'empty.json');
    await writeFile(path, '  \n');
    const error = await refusal(readJsonFile(path, { maxBytes: 1000 }));
    expect(error.problems[0]?.message).toBe(
      'invalid JSON at line 2, column 1: the file is empty; expected a JSON value',
    );
  });
});

describe('parseJsonText', () => {
  it('refuses duplicate keys, naming the path, the key and both positions', () => {
    const error = parseRefusal(
      '[{"CODE": "a", "LANG": [{"TITLE": "x",\n "TITLE": "y"}], "CODE": "b"}]',
      'apps.json',
    );
    expect(error.problems).toEqual([
      {
        where: 'apps.json[0].LANG[0].TITLE',
        message:
          'duplicate key "TITLE" (line 1, column 26 and again at line 2, column 2); JSON keeps only one of them, so remove the other',
      },
      {
        where: 'apps.json[0].CODE',
        message:
          'duplicate key "CODE" (line 1, column 3 and again at line 2, column 18); JSON keeps only one of them, so remove the other',
      },
    ]);
    expect(error.message.split('\n')[0]).toBe('apps.json: 2 problems, nothing was queued');
  });

  it('names an odd key with bracket notation', () => {
    const error = parseRefusal('{"a b": 1, "a b": 2}', 'f.json');
    expect(error.problems[0]?.where).toBe('f.json["a b"]');
  });

  it('never quotes the file text in a syntax error', () => {
    const error = parseRefusal('[{"accessToken": "SECRET-1234" "refreshToken": "SECRET-5678"}]');
    expect(error.message).not.toMatch(/SECRET/);
    expect(error.cause).toBeUndefined();
  });
});
