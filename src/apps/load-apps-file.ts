import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { InputError, type InputProblem } from '../input/input-error.js';
import { orderProblemsByEntry } from '../input/order-problems-by-entry.js';
import { readJsonFile } from '../input/read-json-file.js';
import { type AppDefinition, appsFileSchema } from './app-definition-schema.js';
import { detectIconFormat } from './detect-icon-format.js';
import { iconFileSchema } from './icon-file-schema.js';

const FORMATS = 'a PNG, JPEG, GIF or SVG image';

/**
 * Reads and validates an apps file (see app-definition-schema.ts). `ICON_FILE: {"path": ...}` is read relative
 * to the apps file's folder, checked (size <= maxIconBytes, PNG/JPEG/GIF/SVG by its first bytes) and replaced by
 * its base64 (spec: "This field must contain the base64 of your icon"); an inline base64 icon gets the same
 * checks. Every problem (schema and icons) is reported together in one InputError, and a file with any problem
 * is refused whole. The definitions come back normalised: sizes as numbers, CONTEXT "BOT" and flags "N" when
 * not given.
 */
export async function loadAppsFile(
  path: string,
  opts: { maxFileBytes: number; maxIconBytes: number },
): Promise<AppDefinition[]> {
  const label = basename(path);
  const raw = await readJsonFile(path, { maxBytes: opts.maxFileBytes, label });
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
  if (detectIconFormat(bytes) === undefined) {
    return { at: 'ICON_FILE', problem: `the decoded icon is not ${FORMATS} (checked by its first bytes)` };
  }
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
    if (detectIconFormat(bytes) === undefined) {
      return { at, problem: `icon file ${relative} is not ${FORMATS} (checked by its first bytes)` };
    }
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
