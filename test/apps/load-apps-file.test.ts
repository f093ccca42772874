import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAppsFile } from '../../src/apps/load-apps-file.js';
import { InputError } from '../../src/input/input-error.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const LIMITS = { maxFileBytes: 100_000, maxIconBytes: 1000 };
const LANG = [{ LANGUAGE_ID: 'en', TITLE: 'Echo' }];
const JS = { CODE: 'echo', JS_METHOD: 'SEND', JS_PARAM: '/help', LANG };
const IFRAME = { CODE: 'frame', IFRAME: 'https://apps.example.com/frame', HASH: 'auto', LANG };
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'load-apps-file-'));
  await mkdir(join(dir, 'icons'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeApps(definitions: unknown): Promise<string> {
  const path = join(dir, 'apps.json');
  await writeFile(path, JSON.stringify(definitions, null, 2));
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

function u16le(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff];
}
function u32le(n: number): number[] {
  return [...u16le(n & 0xffff), ...u16le(n >>> 16)];
}
function u32be(n: number): number[] {
  return u32le(n).reverse();
}
function padTo(head: number[], size: number): Buffer {
  return Buffer.concat([Buffer.from(head), Buffer.alloc(Math.max(0, size - head.length))]);
}

/** A PNG of `size` bytes whose IHDR says width x height. */
function png(size: number, width = 16, height = 16): Buffer {
  const ihdr = [0, 0, 0, 13, ...Buffer.from('IHDR'), ...u32be(width), ...u32be(height), 8, 6, 0, 0, 0];
  return padTo([...PNG_MAGIC, ...ihdr], size);
}
/** A baseline JPEG header: SOI, an APP0 segment, then SOF0 with the size. */
function jpeg(width: number, height: number): Buffer {
  const app0 = [0xff, 0xe0, 0, 16, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof0 = [0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  return padTo([0xff, 0xd8, ...app0, ...sof0], 64);
}
function gif(width: number, height: number): Buffer {
  return padTo([...Buffer.from('GIF89a'), ...u16le(width), ...u16le(height)], 32);
}
function bmp(width: number, height: number): Buffer {
  return padTo(
    [
      ...Buffer.from('BM'),
      ...u32le(70),
      0,
      0,
      0,
      0,
      ...u32le(54),
      ...u32le(40),
      ...u32le(width),
      ...u32le(height),
    ],
    70,
  );
}
/** A lossless WEBP (VP8L) header. */
function webp(width: number, height: number): Buffer {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  return padTo(
    [...Buffer.from('RIFF'), ...u32le(40), ...Buffer.from('WEBPVP8L'), ...u32le(20), 0x2f, ...u32le(bits)],
    48,
  );
}
const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"/>',
);

describe('loadAppsFile', () => {
  it('loads examples/apps.json cleanly, with the icon read as base64', async () => {
    const apps = await loadAppsFile(join(EXAMPLES, 'apps.json'), {
      maxFileBytes: 1_000_000,
      maxIconBytes: 65_536,
    });
    expect(apps.map((a) => a.CODE)).toEqual(['echo-help', 'echo-iframe', 'echo-support']);
    const icon = await readFile(join(EXAMPLES, 'icons/echo.png'));
    expect(apps[1]).toMatchObject({ HASH: 'auto', ICON_FILE: icon.toString('base64'), IFRAME_HEIGHT: 150 });
    expect(apps[2]).toMatchObject({
      JS_METHOD: 'SUPPORT',
      JS_PARAM: expect.stringMatching(/^[a-z0-9]{32}$/),
    });
  });

  it('returns normalised definitions: defaults applied, sizes as numbers', async () => {
    const apps = await loadAppsFile(
      await writeApps([{ ...IFRAME, IFRAME_WIDTH: '300', IFRAME_HEIGHT: '60' }]),
      LIMITS,
    );
    expect(apps).toEqual([
      {
        ...IFRAME,
        IFRAME_WIDTH: 300,
        IFRAME_HEIGHT: 60,
        CONTEXT: 'BOT',
        HIDDEN: 'N',
        EXTRANET_SUPPORT: 'N',
        LIVECHAT_SUPPORT: 'N',
        IFRAME_POPUP: 'N',
      },
    ]);
  });

  it('refuses the whole file when one entry is bad, listing every problem in entry order', async () => {
    await writeFile(join(dir, 'icons/big.png'), png(2000));
    const path = await writeApps([
      JS,
      { ...IFRAME, IFRAME: 'http://apps.example.com/frame', BOT_ID: 62 },
      { ...IFRAME, CODE: 'ok', ICON_FILE: { path: 'icons/missing.png' } },
      { ...JS, CODE: 'echo', ICON_FILE: { path: 'icons/big.png' } },
    ]);
    const error = await refusal(loadAppsFile(path, LIMITS));
    expect(error.file).toBe('apps.json');
    expect(error.problems).toEqual([
      { where: 'apps.json[1].BOT_ID', message: "BOT_ID comes from each portal's botId; remove it" },
      {
        where: 'apps.json[1].IFRAME',
        message:
          'must start with https:// (the spec requires an active HTTPS certificate); http:// URLs are refused',
      },
      {
        where: 'apps.json[2].ICON_FILE.path',
        message: `icon file not found: icons/missing.png (looked for ${join(dir, 'icons/missing.png')}; paths are relative to the apps file)`,
      },
      {
        where: 'apps.json[3].CODE',
        message: 'duplicate CODE "echo": [0] has it too; each app needs its own CODE',
      },
      {
        where: 'apps.json[3].ICON_FILE.path',
        message: 'icon file icons/big.png is 2000 bytes; the limit is 1000 bytes',
      },
    ]);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('apps.json: 5 problems, nothing was queued');
    expect(lines[1]).toBe("  - [1].BOT_ID: BOT_ID comes from each portal's botId; remove it");
    expect(lines).toHaveLength(6);
  });

  it('refuses a javascript: IFRAME', async () => {
    const error = await refusal(
      loadAppsFile(await writeApps([{ ...IFRAME, IFRAME: 'javascript:alert(1)' }]), LIMITS),
    );
    expect(error.problems).toEqual([
      {
        where: 'apps.json[0].IFRAME',
        message:
          'must start with https:// (the spec requires an active HTTPS certificate); javascript: URLs are refused',
      },
    ]);
  });

  it.each([
    ['PNG', png(100)],
    ['JPEG', jpeg(64, 48)],
    ['GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
    ['BMP', bmp(32, 32)],
    ['WEBP', webp(128, 128)],
    ['PNG of exactly 5000 x 5000', png(100, 5000, 5000)],
  ])('accepts a %s icon file and inlines it as base64', async (_kind, bytes) => {
    await writeFile(join(dir, 'icons/icon'), bytes);
    const apps = await loadAppsFile(await writeApps([{ ...JS, ICON_FILE: { path: 'icons/icon' } }]), LIMITS);
    expect(apps[0]?.ICON_FILE).toBe(bytes.toString('base64'));
  });

  it('accepts an icon of exactly maxIconBytes', async () => {
    await writeFile(join(dir, 'icons/edge.png'), png(1000));
    const apps = await loadAppsFile(
      await writeApps([{ ...JS, ICON_FILE: { path: 'icons/edge.png' } }]),
      LIMITS,
    );
    expect(typeof apps[0]?.ICON_FILE).toBe('string');
  });

  it('refuses an icon file that is not an image', async () => {
    await writeFile(join(dir, 'icons/readme.txt'), 'hello');
    const error = await refusal(
      loadAppsFile(await writeApps([{ ...JS, ICON_FILE: { path: 'icons/readme.txt' } }]), LIMITS),
    );
    expect(error.problems).toEqual([
      {
        where: 'apps.json[0].ICON_FILE.path',
        message:
          'icon file icons/readme.txt is not an image Bitrix24 keeps: PNG, JPEG, GIF, BMP or WEBP (checked by its first bytes); the server silently drops any other icon',
      },
    ]);
  });

  it('refuses an SVG icon, which Bitrix24 would silently drop', async () => {
    await writeFile(join(dir, 'icons/logo.svg'), SVG);
    const error = await refusal(
      loadAppsFile(
        await writeApps([
          { ...JS, ICON_FILE: { path: 'icons/logo.svg' } },
          { ...JS, CODE: 'inline', ICON_FILE: SVG.toString('base64') },
        ]),
        LIMITS,
      ),
    );
    const svg =
      'is an SVG image: Bitrix24 keeps only raster icons (PNG, JPEG, GIF, BMP or WEBP) and would silently drop it; convert it to PNG';
    expect(error.problems).toEqual([
      { where: 'apps.json[0].ICON_FILE.path', message: `icon file icons/logo.svg ${svg}` },
      { where: 'apps.json[1].ICON_FILE', message: `the decoded icon ${svg}` },
    ]);
  });

  it.each([
    ['PNG', png(100, 5001, 16), '5001 x 16'],
    ['JPEG', jpeg(640, 6000), '640 x 6000'],
    ['GIF', gif(8000, 8000), '8000 x 8000'],
    ['BMP', bmp(5001, 5001), '5001 x 5001'],
    ['WEBP', webp(16, 5001), '16 x 5001'],
  ])('refuses a %s icon larger than 5000 x 5000, showing its size', async (_kind, bytes, size) => {
    await writeFile(join(dir, 'icons/huge'), bytes);
    const error = await refusal(
      loadAppsFile(await writeApps([{ ...JS, ICON_FILE: { path: 'icons/huge' } }]), LIMITS),
    );
    expect(error.problems).toEqual([
      {
        where: 'apps.json[0].ICON_FILE.path',
        message: `icon file icons/huge is ${size} pixels; Bitrix24 keeps icons up to 5000 x 5000 and would silently drop this one; scale it down`,
      },
    ]);
  });

  it('refuses a raster icon whose header is cut short', async () => {
    await writeFile(join(dir, 'icons/cut.png'), Buffer.from(PNG_MAGIC));
    const error = await refusal(
      loadAppsFile(await writeApps([{ ...JS, ICON_FILE: { path: 'icons/cut.png' } }]), LIMITS),
    );
    expect(error.problems).toEqual([
      {
        where: 'apps.json[0].ICON_FILE.path',
        message:
          'icon file icons/cut.png is a PNG whose header is cut short or damaged (its size cannot be read); export it again',
      },
    ]);
  });

  it('refuses an icon path that is a folder', async () => {
    const error = await refusal(
      loadAppsFile(await writeApps([{ ...JS, ICON_FILE: { path: 'icons' } }]), LIMITS),
    );
    expect(error.problems[0]).toMatchObject({
      where: 'apps.json[0].ICON_FILE.path',
      message: /^icon icons is not a file/,
    });
  });

  it('checks an inline base64 icon: size and image type', async () => {
    const big = png(1500).toString('base64');
    const text = Buffer.from('not an image').toString('base64');
    const ok = png(50).toString('base64');
    const error = await refusal(
      loadAppsFile(
        await writeApps([
          { ...JS, ICON_FILE: big },
          { ...JS, CODE: 'b', ICON_FILE: text },
          { ...JS, CODE: 'c', ICON_FILE: ok },
        ]),
        LIMITS,
      ),
    );
    expect(error.problems).toEqual([
      { where: 'apps.json[0].ICON_FILE', message: 'the decoded icon is 1500 bytes; the limit is 1000 bytes' },
      {
        where: 'apps.json[1].ICON_FILE',
        message:
          'the decoded icon is not an image Bitrix24 keeps: PNG, JPEG, GIF, BMP or WEBP (checked by its first bytes); the server silently drops any other icon',
      },
    ]);
  });

  it('refuses duplicate JSON keys before anything else', async () => {
    const path = join(dir, 'apps.json');
    await writeFile(
      path,
      '[{"CODE": "a", "JS_METHOD": "SEND", "JS_PARAM": "/a", "JS_PARAM": "/b", "LANG": []}]',
    );
    const error = await refusal(loadAppsFile(path, LIMITS));
    expect(error.problems).toEqual([
      {
        where: 'apps.json[0].JS_PARAM',
        message: expect.stringMatching(
          /^duplicate key "JS_PARAM" \(line 1, column 37 and again at line 1, column 55\)/,
        ),
      },
    ]);
  });

  it('refuses a file over maxFileBytes', async () => {
    const path = await writeApps(Array.from({ length: 50 }, (_, i) => ({ ...JS, CODE: `c${i}` })));
    const error = await refusal(loadAppsFile(path, { ...LIMITS, maxFileBytes: 500 }));
    expect(error.problems[0]?.message).toMatch(/^file is \d+ bytes; the limit is 500 bytes$/);
  });

  it('refuses a missing apps file', async () => {
    const error = await refusal(loadAppsFile(join(dir, 'none.json'), LIMITS));
    expect(error.problems[0]?.message).toMatch(/^file not found: /);
  });
});
