import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { InputError, type InputProblem } from '../input/input-error.js';
import { orderProblemsByEntry } from '../input/order-problems-by-entry.js';
import { readJsonFile } from '../input/read-json-file.js';
import { unwrapInputFile } from '../input/unwrap-input-file.js';
import { type AppDefinition, appsFileSchema } from './app-definition-schema.js';
import { inspectIcon } from './detect-icon-format.js';
import { iconFileSchema } from './icon-file-schema.js';

const KEPT_FORMATS = 'PNG, JPEG, GIF, BMP or WEBP';
/** Bitrix24 keeps icons up to this width and height (docs/bitrix24.md, "What the server checks on register"). */
export const ICON_MAX_PIXELS = 5000;

/**
 * Reads and validates an apps file (see app-definition-schema.ts). `ICON_FILE: {"path": ...}` is read relative
 * to the apps file's folder, checked and replaced by its base64 (spec: "This field must contain the base64 of
 * your icon"); an inline base64 icon gets the same checks: size <= maxIconBytes, and an image Bitrix24 keeps
 * (PNG, JPEG, GIF, BMP or WEBP by its first bytes, at most 5000 x 5000 pixels by its header). The server drops
 * any other icon silently (docs/bitrix24.md, "What the server checks on register"), so it is refused here.
 * Every problem (schema and icons) is reported together in one InputError, and a file with any problem is
 * refused whole. The definitions come back normalised: every field an update must be able to reset is stated,
 * defaults included (see app-definition-schema.ts).
 */
export async function loadAppsFile(
  path: string,
  opts: { maxFileBytes: number; maxIconBytes: number },
): Promise<AppDefinition[]> {
  const label = basename(path);
  const raw = unwrapInputFile(await readJsonFile(path, { maxBytes: opts.maxFileBytes, label }), 'apps');
  const problems: InputProblem[] = [];
  const parsed = appsFileSchema.safeParse(raw);
  if (!parsed.success) problems.push(...formatZodIssues(parsed.error, label));

  const icons = new Map<number, string>();
  if (Array.isArray(raw)) {
    const folder = dirname(resolve(path));
    await Promise.all(
      raw.map(async (item: unknown, index) => {
        if (typeof item !== 'object' || item === null || !('ICON_FILE' in item)) return;
        const icon = iconFileSchema.safeParse(item.ICON_FILE);
        if (!icon.success) return; // reported by the schema
        const result =
          typeof icon.data === 'string'
            ? checkInlineIcon(icon.data, opts.maxIconBytes)
            : await readIconFile(folder, icon.data.path, opts.maxIconBytes);
        if ('problem' in result)
          problems.push({ where: `${label}[${index}].${result.at}`, message: result.problem });
        else icons.set(index, result.base64);
      }),
    );
  }

  if (problems.length > 0 || !parsed.success)
    throw new InputError(label, orderProblemsByEntry(label, problems));
  return parsed.data.map((def, index) => {
    const base64 = icons.get(index);
    return base64 === undefined ? def : { ...def, ICON_FILE: base64 };
  });
}

type IconResult = { base64: string } | { at: string; problem: string };

function checkInlineIcon(base64: string, maxBytes: number): IconResult {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > maxBytes) {
    return {
      at: 'ICON_FILE',
      problem: `the decoded icon is ${bytes.length} bytes; the limit is ${maxBytes} bytes`,
    };
  }
  const problem = imageProblem(bytes);
  if (problem !== undefined) return { at: 'ICON_FILE', problem: `the decoded icon ${problem}` };
  return { base64 };
}

async function readIconFile(folder: string, relative: string, maxBytes: number): Promise<IconResult> {
  const at = 'ICON_FILE.path';
  const full = resolve(folder, relative);
  try {
    const info = await stat(full);
    if (!info.isFile()) return { at, problem: `icon ${relative} is not a file (${full})` };
    if (info.size > maxBytes) {
      return { at, problem: `icon file ${relative} is ${info.size} bytes; the limit is ${maxBytes} bytes` };
    }
    const bytes = await readFile(full);
    if (bytes.length > maxBytes) {
      return {
        at,
        problem: `icon file ${relative} is ${bytes.length} bytes; the limit is ${maxBytes} bytes`,
      };
    }
    const problem = imageProblem(bytes);
    if (problem !== undefined) return { at, problem: `icon file ${relative} ${problem}` };
    return { base64: bytes.toString('base64') };
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
    if (code === 'ENOENT') {
      return {
        at,
        problem: `icon file not found: ${relative} (looked for ${full}; paths are relative to the apps file)`,
      };
    }
    return {
      at,
      problem: `cannot read icon file ${relative} (${full})${code === undefined ? '' : `: ${code}`}`,
    };
  }
}

/** Why Bitrix24 would not keep this icon, or undefined when it would. Reads the header only. */
function imageProblem(bytes: Uint8Array): string | undefined {
  const icon = inspectIcon(bytes);
  if (icon === undefined) {
    return (
      `is not an image Bitrix24 keeps: ${KEPT_FORMATS} (checked by its first bytes); the server silently ` +
      'drops any other icon'
    );
  }
  if (icon.format === 'svg') {
    return (
      `is an SVG image: Bitrix24 keeps only raster icons (${KEPT_FORMATS}) and would silently drop it; ` +
      'convert it to PNG'
    );
  }
  const name = icon.format.toUpperCase();
  if (icon.size === undefined || icon.size.width === 0 || icon.size.height === 0) {
    return `is a ${name} whose header is cut short or damaged (its size cannot be read); export it again`;
  }
  const { width, height } = icon.size;
  if (width > ICON_MAX_PIXELS || height > ICON_MAX_PIXELS) {
    return (
      `is ${width} x ${height} pixels; Bitrix24 keeps icons up to ${ICON_MAX_PIXELS} x ${ICON_MAX_PIXELS} ` +
      'and would silently drop this one; scale it down'
    );
  }
  return undefined;
}
