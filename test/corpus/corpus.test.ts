import { copyFile, mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAppsFile } from '../../src/apps/load-apps-file.js';
import { loadConfig } from '../../src/config/load-config.js';
import { InputError } from '../../src/input/input-error.js';
import { loadPortalsFile } from '../../src/portals/load-portals-file.js';
import { APPS_CASES, type CorpusCase, PORTALS_CASES } from './corpus-cases.js';

const CORPUS = import.meta.dirname;
/** The shipped defaults (config/default.json): what an operator's rollout runs with. */
const LIMITS = loadConfig({}).input;
/** What a message must never repeat from a file: tokens, webhook codes, passwords, injection payloads. */
const NEVER_ECHOED = /SECRET|hunter2|DROP TABLE|<img|<script|\$\(curl|alert\(|rm -rf/;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const LANG = [{ LANGUAGE_ID: 'en', TITLE: 'Echo' }];
const JS = { CODE: 'echo', JS_METHOD: 'SEND', JS_PARAM: '/help', LANG };
const PORTAL = {
  domain: 'p0.example.com',
  botId: 62,
  auth: {
    type: 'oauth',
    accessToken: 'SECRET-a',
    refreshToken: 'SECRET-r',
    expiresAt: '2030-01-01T00:00:00Z',
  },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const loaders = {
  apps: (path: string) => loadAppsFile(path, LIMITS),
  portals: (path: string) => loadPortalsFile(path, { allowHttp: false, maxFileBytes: LIMITS.maxFileBytes }),
};
type Kind = keyof typeof loaders;

async function refusal(kind: Kind, path: string): Promise<InputError> {
  const outcome = await loaders[kind](path).then(
    (loaded) => ({ loaded }),
    (error: unknown) => ({ error }),
  );
  // Refused whole: nothing of the file comes back, not even its good entries.
  expect(outcome, `${kind} file was accepted`).not.toHaveProperty('loaded');
  const { error } = outcome as { error: unknown };
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

function expectRefusal(error: InputError, kind: Kind, expected: Omit<CorpusCase, 'file'>): void {
  expect(error.problems.map((p) => p.where)).toEqual(expected.where);
  expect(error.problems.map((p) => p.message).join('\n')).toMatch(expected.says);
  expect(error.message).toMatch(new RegExp(`^${kind}\\.json: \\d+ problems?, nothing was queued\\n`));
  for (const problem of error.problems) expect(problem.message).not.toMatch(NEVER_ECHOED);
}

/** Writes `bytes` as the file an operator would pass (`apps.json` / `portals.json`). */
async function inputFile(kind: Kind, bytes: string | Uint8Array): Promise<string> {
  const path = join(dir, `${kind}.json`);
  await writeFile(path, bytes);
  return path;
}

describe.each([
  ['apps', APPS_CASES],
  ['portals', PORTALS_CASES],
] as const)('the %s corpus', (kind, cases) => {
  it('lists every corpus file, and every listed file exists', async () => {
    const files = (await readdir(join(CORPUS, kind))).sort();
    expect(files).toEqual(cases.map((c) => c.file).sort());
  });

  it.each(cases)('refuses $file whole, naming $where', async (corpusCase) => {
    const path = join(dir, `${kind}.json`);
    await copyFile(join(CORPUS, kind, corpusCase.file), path);
    expectRefusal(await refusal(kind, path), kind, corpusCase);
  });
});

describe('generated bad input (too big to commit)', () => {
  it.each(['apps', 'portals'] as const)(
    'refuses a %s file over the size limit before reading it',
    async (kind) => {
      const path = await inputFile(kind, '[');
      const handle = await open(path, 'r+');
      await handle.truncate(LIMITS.maxFileBytes + 1); // sparse: no MBs written
      await handle.close();
      expectRefusal(await refusal(kind, path), kind, {
        where: [`${kind}.json`],
        says: new RegExp(
          `file is ${LIMITS.maxFileBytes + 1} bytes; the limit is ${LIMITS.maxFileBytes} bytes`,
        ),
      });
    },
  );

  it('refuses a 4 MB TITLE inside the file limit, naming the field without echoing the value', async () => {
    const title = `<script>${'A'.repeat(4_000_000)}`;
    const path = await inputFile(
      'apps',
      JSON.stringify([JS, { ...JS, CODE: 'big', LANG: [{ LANGUAGE_ID: 'en', TITLE: title }] }]),
    );
    const error = await refusal('apps', path);
    expectRefusal(error, 'apps', { where: ['apps.json[1].LANG[0].TITLE'], says: /at most 255 characters/ });
    expect(error.message.length).toBeLessThan(500);
  });

  it('refuses a 100 kB access token, naming the field without echoing it', async () => {
    const token = `SECRET${'x'.repeat(100_000)}`;
    const path = await inputFile(
      'portals',
      JSON.stringify([{ ...PORTAL, auth: { ...PORTAL.auth, accessToken: token } }]),
    );
    const error = await refusal('portals', path);
    expectRefusal(error, 'portals', {
      where: ['portals.json[0].auth.accessToken'],
      says: /at most 4096 characters/,
    });
    expect(error.message.length).toBeLessThan(500);
  });

  it('refuses an inline ICON_FILE over the icon limit', async () => {
    const png = Buffer.concat([
      Buffer.from(PNG_MAGIC),
      Buffer.alloc(LIMITS.maxIconBytes + 1 - PNG_MAGIC.length),
    ]);
    const path = await inputFile(
      'apps',
      JSON.stringify([JS, { ...JS, CODE: 'iconic', ICON_FILE: png.toString('base64') }]),
    );
    expectRefusal(await refusal('apps', path), 'apps', {
      where: ['apps.json[1].ICON_FILE'],
      says: new RegExp(
        `decoded icon is ${LIMITS.maxIconBytes + 1} bytes; the limit is ${LIMITS.maxIconBytes} bytes`,
      ),
    });
  });

  it('refuses an ICON_FILE path to a file over the icon limit', async () => {
    await mkdir(join(dir, 'icons'));
    const big = await open(join(dir, 'icons/big.png'), 'w');
    await big.write(Buffer.from(PNG_MAGIC));
    await big.truncate(LIMITS.maxIconBytes + 1);
    await big.close();
    const path = await inputFile('apps', JSON.stringify([{ ...JS, ICON_FILE: { path: 'icons/big.png' } }]));
    expectRefusal(await refusal('apps', path), 'apps', {
      where: ['apps.json[0].ICON_FILE.path'],
      says: new RegExp(
        `icon file icons/big.png is ${LIMITS.maxIconBytes + 1} bytes; the limit is ${LIMITS.maxIconBytes}`,
      ),
    });
  });

  it('refuses nesting 200 000 levels deep without overflowing the stack', async () => {
    const path = await inputFile('apps', `${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    expectRefusal(await refusal('apps', path), 'apps', {
      where: ['apps.json'],
      says: /nesting deeper than 512 levels/,
    });
  });

  it('refuses 20 000 good definitions whole for one bad one at the end, naming its index', async () => {
    const entries: unknown[] = Array.from({ length: 20_000 }, (_, i) => ({ ...JS, CODE: `app-${i}` }));
    entries.push({ ...JS, CODE: 'x; DROP TABLE apps' });
    const path = await inputFile('apps', JSON.stringify(entries));
    expectRefusal(await refusal('apps', path), 'apps', {
      where: ['apps.json[20000].CODE'],
      says: /may only contain/,
    });
  });

  it.each([
    { name: 'an overlong "/" (C0 AF)', bad: [0xc0, 0xaf], atEnd: false },
    { name: 'a UTF-16 surrogate encoded as UTF-8 (ED A0 80)', bad: [0xed, 0xa0, 0x80], atEnd: false },
    { name: 'a lone continuation byte (80)', bad: [0x80], atEnd: false },
    { name: 'a sequence cut off by the end of the file (E2 82)', bad: [0xe2, 0x82], atEnd: true },
  ])('refuses a file that is not UTF-8 ($name), giving the byte offset', async ({ bad, atEnd }) => {
    const head = Buffer.from(
      '[{"CODE": "echo", "JS_METHOD": "SEND", "JS_PARAM": "/help", "LANG": [{"LANGUAGE_ID": "en", "TITLE": "',
    );
    const tail = atEnd ? Buffer.alloc(0) : Buffer.from('"}]}]');
    const path = await inputFile('apps', Buffer.concat([head, Buffer.from(bad), tail]));
    expectRefusal(await refusal('apps', path), 'apps', {
      where: ['apps.json'],
      says: new RegExp(`not valid UTF-8: malformed byte sequence at byte offset ${head.length};`),
    });
  });
});
