import { describe, expect, it } from 'vitest';
import { inspectIcon } from '../../src/apps/detect-icon-format.js';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((part) => (typeof part === 'string' ? [...Buffer.from(part, 'latin1')] : part)),
  );
const u16le = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u32le = (n: number) => [...u16le(n & 0xffff), ...u16le((n >>> 16) & 0xffff)];

describe('inspectIcon reads the size from the header only', () => {
  it('reads a PNG IHDR', () => {
    const png = bytes(
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13],
      'IHDR',
      [0, 0, 0x13, 0x88],
      [0, 0, 0, 1],
    );
    expect(inspectIcon(png)).toEqual({ format: 'png', size: { width: 5000, height: 1 } });
  });

  it('reads a GIF logical screen', () => {
    expect(inspectIcon(bytes('GIF87a', u16le(640), u16le(480)))).toEqual({
      format: 'gif',
      size: { width: 640, height: 480 },
    });
  });

  it('reads a top-down BMP (negative height) and an OS/2 core header', () => {
    const info = bytes('BM', u32le(0), u32le(0), u32le(54), u32le(40), u32le(300), u32le(-200 >>> 0));
    expect(inspectIcon(info)).toEqual({ format: 'bmp', size: { width: 300, height: 200 } });
    const core = bytes('BM', u32le(0), u32le(0), u32le(26), u32le(12), u16le(16), u16le(32));
    expect(inspectIcon(core)).toEqual({ format: 'bmp', size: { width: 16, height: 32 } });
  });

  it('walks JPEG segments, skipping fill bytes, to a progressive SOF2', () => {
    const app0 = [0xff, 0xe0, 0, 4, 0, 0];
    const sof2 = [0xff, 0xff, 0xc2, 0, 11, 8, 0x17, 0x70, 0x00, 0x40, 1, 1, 0x11, 0];
    expect(inspectIcon(bytes([0xff, 0xd8], app0, sof2))).toEqual({
      format: 'jpeg',
      size: { width: 64, height: 6000 },
    });
  });

  it('gives no size for a JPEG that reaches its scan before any frame header', () => {
    expect(inspectIcon(bytes([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toEqual({ format: 'jpeg', size: undefined });
  });

  it('reads the three WEBP kinds: lossy VP8, lossless VP8L and extended VP8X', () => {
    const riff = (chunk: string, body: number[]) =>
      bytes('RIFF', u32le(0), 'WEBP', chunk, u32le(body.length), body);
    const lossy = riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...u16le(400), ...u16le(300)]);
    expect(inspectIcon(lossy)).toEqual({ format: 'webp', size: { width: 400, height: 300 } });
    const bits = (128 - 1) | ((96 - 1) << 14);
    expect(inspectIcon(riff('VP8L', [0x2f, ...u32le(bits)]))).toEqual({
      format: 'webp',
      size: { width: 128, height: 96 },
    });
    const extended = riff('VP8X', [0, 0, 0, 0, 0x87, 0x13, 0, 0x0f, 0, 0]);
    expect(inspectIcon(extended)).toEqual({ format: 'webp', size: { width: 5000, height: 16 } });
  });

  it('recognises SVG without a size, and nothing for text that merely starts with "BM" or "RIFF"', () => {
    expect(inspectIcon(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toEqual({
      format: 'svg',
      size: undefined,
    });
    expect(inspectIcon(bytes('BMX is a bike'))).toBeUndefined();
    expect(inspectIcon(bytes('RIFF', u32le(0), 'WAVE'))).toBeUndefined();
  });
});
