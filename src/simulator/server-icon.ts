import { createHash } from 'node:crypto';

/** The largest side the server keeps (im source, `appRegister`: `Image::getInfo`, width and height <= 5000). */
const MAX_SIDE = 5000;

type Size = { width: number; height: number };

function pngSize(data: Buffer): Size | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (data.length < 24 || !signature.every((byte, i) => data[i] === byte)) return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

function gifSize(data: Buffer): Size | null {
  const head = data.subarray(0, 6).toString('latin1');
  if (data.length < 10 || (head !== 'GIF87a' && head !== 'GIF89a')) return null;
  return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
}

function bmpSize(data: Buffer): Size | null {
  if (data.length < 26 || data[0] !== 0x42 || data[1] !== 0x4d) return null;
  return { width: Math.abs(data.readInt32LE(18)), height: Math.abs(data.readInt32LE(22)) };
}

/** Walks the JPEG segments to the first start-of-frame marker (SOF0..SOF15 but DHT, JPG, DAC). */
function jpegSize(data: Buffer): Size | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8 || data[2] !== 0xff) return null;
  let at = 2;
  while (at + 9 <= data.length) {
    if (data[at] !== 0xff) return null;
    const marker = data[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { width: data.readUInt16BE(at + 7), height: data.readUInt16BE(at + 5) };
    at += 2 + data.readUInt16BE(at + 2);
  }
  return null;
}

function webpSize(data: Buffer): Size | null {
  if (data.length < 30) return null;
  if (
    data.subarray(0, 4).toString('latin1') !== 'RIFF' ||
    data.subarray(8, 12).toString('latin1') !== 'WEBP'
  ) {
    return null;
  }
  const chunk = data.subarray(12, 16).toString('latin1');
  if (chunk === 'VP8 ')
    return { width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = data.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: data.readUIntLE(24, 3) + 1, height: data.readUIntLE(27, 3) + 1 };
  return null;
}

/** The size of a raster image the server recognises (PNG, GIF, JPEG, BMP, WEBP), or null (SVG, text, ...). */
export function rasterImageSize(data: Buffer): Size | null {
  return pngSize(data) ?? gifSize(data) ?? jpegSize(data) ?? bmpSize(data) ?? webpSize(data);
}

/** The base64 text of ICON_FILE: a string, or the second element of `[name, base64]`. */
function base64Of(iconFile: unknown): string | null {
  if (typeof iconFile === 'string') return iconFile;
  if (Array.isArray(iconFile)) return typeof iconFile[1] === 'string' ? iconFile[1] : null;
  if (typeof iconFile === 'object' && iconFile !== null) {
    const second = (iconFile as Record<string, unknown>)['1'];
    return typeof second === 'string' ? second : null;
  }
  return null;
}

/**
 * What the server keeps of ICON_FILE on register (docs/bitrix24.md, "What the server checks on register"; im
 * source, `appRegister`): a raster image with both sides 1..5000 is kept, anything else (SVG included) is dropped
 * silently. Returns the sha256 hex of the base64 text kept, or null when nothing is kept.
 */
export function serverIconHash(iconFile: unknown): string | null {
  const text = base64Of(iconFile);
  if (text === null || text === '') return null;
  const size = rasterImageSize(Buffer.from(text, 'base64'));
  if (size === null) return null;
  const fits = (side: number): boolean => side > 0 && side <= MAX_SIDE;
  if (!fits(size.width) || !fits(size.height)) return null;
  return createHash('sha256').update(text).digest('hex');
}
