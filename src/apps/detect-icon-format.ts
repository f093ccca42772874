export type IconFormat = 'png' | 'jpeg' | 'gif' | 'svg';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = [0x47, 0x49, 0x46, 0x38, 0x37, 0x61];
const GIF89 = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61];

/** The image format by its first bytes (magic numbers; for SVG an XML text with an `<svg` element), or undefined. */
export function detectIconFormat(bytes: Uint8Array): IconFormat | undefined {
  const startsWith = (magic: readonly number[]): boolean =>
    bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (startsWith(PNG)) return 'png';
  if (startsWith(JPEG)) return 'jpeg';
  if (startsWith(GIF87) || startsWith(GIF89)) return 'gif';
  const head = new TextDecoder('utf-8')
    .decode(bytes.subarray(0, 4096))
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('<') && /<svg[\s>]/i.test(head)) return 'svg';
  return undefined;
}
