/**
 * Image formats an icon file can be recognised as. Bitrix24 keeps only raster images (PNG, JPEG, GIF, BMP,
 * WEBP) up to 5000 x 5000 and silently drops anything else, SVG included (docs/bitrix24.md, "What the server
 * checks on register"); `svg` is recognised only to say so.
 */
export type IconFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp' | 'svg';

/** What a recognised icon is: its format and, when its header tells, its size in pixels. */
export interface IconInfo {
  format: IconFormat;
  /** Undefined for SVG, and for a raster image whose header is cut short or damaged. */
  size: { width: number; height: number } | undefined;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = [0x47, 0x49, 0x46, 0x38, 0x37, 0x61];
const GIF89 = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61];
const BMP = [0x42, 0x4d]; // "BM"
const RIFF = [0x52, 0x49, 0x46, 0x46]; // "RIFF"
const WEBP = [0x57, 0x45, 0x42, 0x50]; // "WEBP" at offset 8

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  return bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
}

/** The image format by its first bytes (magic numbers; for SVG an XML text with an `<svg` element), or undefined. */
export function detectIconFormat(bytes: Uint8Array): IconFormat | undefined {
  if (startsWith(bytes, PNG)) return 'png';
  if (startsWith(bytes, JPEG)) return 'jpeg';
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return 'gif';
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'webp';
  // "BM" alone is too weak (any text starting with "BM"): the header must declare a known DIB header size.
  if (
    startsWith(bytes, BMP) &&
    bytes.length >= 18 &&
    [12, 40, 52, 56, 64, 108, 124].includes(u32le(bytes, 14))
  )
    return 'bmp';
  const head = new TextDecoder('utf-8')
    .decode(bytes.subarray(0, 4096))
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('<') && /<svg[\s>]/i.test(head)) return 'svg';
  return undefined;
}

/**
 * The format and pixel size of an icon, read from its header only (nothing is decoded), or undefined when it
 * is not an image detectIconFormat knows.
 */
export function inspectIcon(bytes: Uint8Array): IconInfo | undefined {
  const format = detectIconFormat(bytes);
  if (format === undefined) return undefined;
  return { format, size: sizeOf(bytes, format) };
}

type Size = { width: number; height: number } | undefined;

function sizeOf(bytes: Uint8Array, format: IconFormat): Size {
  switch (format) {
    case 'png':
      // IHDR is the first chunk: length (4), "IHDR" (4), width and height as big-endian 32-bit.
      return bytes.length >= 24 && ascii(bytes, 12, 4) === 'IHDR'
        ? { width: u32be(bytes, 16), height: u32be(bytes, 20) }
        : undefined;
    case 'gif':
      // Logical screen descriptor right after the signature: width, height as little-endian 16-bit.
      return bytes.length >= 10 ? { width: u16le(bytes, 6), height: u16le(bytes, 8) } : undefined;
    case 'bmp':
      return bmpSize(bytes);
    case 'jpeg':
      return jpegSize(bytes);
    case 'webp':
      return webpSize(bytes);
    case 'svg':
      return undefined;
  }
}

function bmpSize(bytes: Uint8Array): Size {
  const header = u32le(bytes, 14);
  if (header === 12) {
    // BITMAPCOREHEADER: 16-bit width and height.
    return bytes.length >= 22 ? { width: u16le(bytes, 18), height: u16le(bytes, 20) } : undefined;
  }
  if (bytes.length < 26) return undefined;
  // BITMAPINFOHEADER and later: signed 32-bit; a negative height means rows stored top-down.
  return { width: Math.abs(i32le(bytes, 18)), height: Math.abs(i32le(bytes, 22)) };
}

/** Walks the JPEG segments up to the first start-of-frame marker, which holds the size. */
function jpegSize(bytes: Uint8Array): Size {
  let at = 2;
  while (at + 3 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = u16be(bytes, at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      return at + 9 <= bytes.length
        ? { width: u16be(bytes, at + 7), height: u16be(bytes, at + 5) }
        : undefined;
    }
    if (marker === 0xd9 || marker === 0xda || length < 2) return undefined; // end of image / scan before a frame
    at += 2 + length;
  }
  return undefined;
}

function webpSize(bytes: Uint8Array): Size {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8X' && bytes.length >= 30) {
    // Extended format: canvas width and height minus one, 24-bit little-endian.
    return { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 };
  }
  if (chunk === 'VP8L' && bytes.length >= 25 && bytes[20] === 0x2f) {
    // Lossless: 14 bits width minus one, 14 bits height minus one.
    const bits = u32le(bytes, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && bytes.length >= 30 && startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) {
    // Lossy: a key frame's start code, then 14-bit width and height.
    return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
  }
  return undefined;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
function byteAt(bytes: Uint8Array, at: number): number {
  return bytes[at] ?? 0;
}
function u16le(bytes: Uint8Array, at: number): number {
  return byteAt(bytes, at) | (byteAt(bytes, at + 1) << 8);
}
function u16be(bytes: Uint8Array, at: number): number {
  return (byteAt(bytes, at) << 8) | byteAt(bytes, at + 1);
}
function u24le(bytes: Uint8Array, at: number): number {
  return u16le(bytes, at) | (byteAt(bytes, at + 2) << 16);
}
function u32le(bytes: Uint8Array, at: number): number {
  return (u24le(bytes, at) | (byteAt(bytes, at + 3) << 24)) >>> 0;
}
function i32le(bytes: Uint8Array, at: number): number {
  return u24le(bytes, at) | (byteAt(bytes, at + 3) << 24);
}
function u32be(bytes: Uint8Array, at: number): number {
  return ((byteAt(bytes, at) << 24) | (byteAt(bytes, at + 1) << 16) | u16be(bytes, at + 2)) >>> 0;
}
