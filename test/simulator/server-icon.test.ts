import { describe, expect, it } from 'vitest';
import { rasterImageSize, serverIconHash } from '../../src/simulator/server-icon.js';
import { pngBase64, sha256 } from './support/sim-test-kit.js';

function gif(width: number, height: number): Buffer {
  const data = Buffer.alloc(13);
  data.write('GIF89a', 0, 'latin1');
  data.writeUInt16LE(width, 6);
  data.writeUInt16LE(height, 8);
  return data;
}

function jpeg(width: number, height: number): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46];
  const sof0 = [
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    1,
    0,
    0,
    0,
  ];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof0]);
}

function bmp(width: number, height: number): Buffer {
  const data = Buffer.alloc(30);
  data.write('BM', 0, 'latin1');
  data.writeInt32LE(width, 18);
  data.writeInt32LE(height, 22);
  return data;
}

function webp(width: number, height: number): Buffer {
  const data = Buffer.alloc(30);
  data.write('RIFF', 0, 'latin1');
  data.write('WEBPVP8X', 8, 'latin1');
  data.writeUIntLE(width - 1, 24, 3);
  data.writeUIntLE(height - 1, 27, 3);
  return data;
}

const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"/>').toString(
  'base64',
);

describe('rasterImageSize', () => {
  const cases: Array<[string, Buffer, { width: number; height: number } | null]> = [
    ['PNG', Buffer.from(pngBase64(40, 30), 'base64'), { width: 40, height: 30 }],
    ['GIF', gif(12, 7), { width: 12, height: 7 }],
    ['JPEG', jpeg(640, 480), { width: 640, height: 480 }],
    ['BMP (bottom-up, negative height)', bmp(20, -10), { width: 20, height: 10 }],
    ['WEBP (VP8X)', webp(300, 200), { width: 300, height: 200 }],
    ['SVG', Buffer.from(SVG, 'base64'), null],
    ['plain text', Buffer.from('hello world, not an image at all'), null],
    ['empty', Buffer.alloc(0), null],
  ];
  for (const [name, data, size] of cases) {
    it(`reads ${name} as ${JSON.stringify(size)}`, () => {
      expect(rasterImageSize(data)).toEqual(size);
    });
  }
});

describe('serverIconHash', () => {
  it('keeps a raster image: the sha256 of the base64 text, as a string or as [name, base64]', () => {
    const png = pngBase64();
    expect(serverIconHash(png)).toBe(sha256(png));
    expect(serverIconHash(['icon.png', png])).toBe(sha256(png));
    expect(serverIconHash({ 0: 'icon.png', 1: png })).toBe(sha256(png));
    const jpg = jpeg(64, 64).toString('base64');
    expect(serverIconHash(jpg)).toBe(sha256(jpg));
  });

  it('drops an SVG, text, an empty value and images over 5000 pixels a side', () => {
    const dropped = [
      SVG,
      ['icon.svg', SVG],
      Buffer.from('text').toString('base64'),
      '',
      ['icon.png'],
      42,
      pngBase64(5001, 10),
      pngBase64(10, 0),
    ].map((icon) => serverIconHash(icon));
    expect(dropped).toEqual([null, null, null, null, null, null, null, null]);
    expect(serverIconHash(pngBase64(5000, 5000))).toBe(sha256(pngBase64(5000, 5000)));
  });
});
