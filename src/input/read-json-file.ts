import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { findInvalidUtf8 } from './find-invalid-utf8.js';
import { formatPath } from './format-path.js';
import { InputError, type InputProblem } from './input-error.js';
import { scanJsonText } from './scan-json-text.js';

/**
 * Reads a JSON input file, refusing (InputError) a missing file, a file over `maxBytes`, bytes that are not
 * UTF-8, invalid JSON and objects with duplicate keys. `label` names the file in messages (default: its base
 * name). A UTF-8 byte order mark is accepted and skipped.
 */
export async function readJsonFile(
  path: string,
  opts: { maxBytes: number; label?: string },
): Promise<unknown> {
  const label = opts.label ?? basename(path);
  const fail = (message: string, cause?: unknown): InputError =>
    new InputError(label, [{ where: label, message }], cause === undefined ? undefined : { cause });

  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw fail(`${resolve(path)} is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw fail(fileErrorMessage(error, path), error);
  }
  if (size > opts.maxBytes) throw fail(tooBig(size, opts.maxBytes));

  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw fail(fileErrorMessage(error, path), error);
  }
  // The file may have grown between stat and read.
  if (bytes.length > opts.maxBytes) throw fail(tooBig(bytes.length, opts.maxBytes));

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = findInvalidUtf8(bytes) ?? 0;
    throw fail(
      `is not valid UTF-8: malformed byte sequence at byte offset ${offset}; save the file as UTF-8`,
    );
  }
  return parseJsonText(text, label);
}

/**
 * Parses JSON text like readJsonFile does after decoding: syntax errors with line:column, duplicate keys with
 * the path of their object. Error messages never quote the text.
 */
export function parseJsonText(text: string, label: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const scan = scanJsonText(body);
  if (scan.syntaxError !== undefined) {
    const { line, column, message } = scan.syntaxError;
    throw new InputError(label, [
      { where: label, message: `invalid JSON at line ${line}, column ${column}: ${message}` },
    ]);
  }
  if (scan.duplicateKeys.length > 0) {
    const problems: InputProblem[] = scan.duplicateKeys.map((d) => ({
      where: `${label}${formatPath([...d.path, d.key])}`,
      message:
        `duplicate key "${d.key}" (line ${d.first.line}, column ${d.first.column} and again at line ` +
        `${d.again.line}, column ${d.again.column}); JSON keeps only one of them, so remove the other`,
    }));
    throw new InputError(label, problems);
  }
  // The scanner accepted the text, so JSON.parse cannot fail here.
  return JSON.parse(body) as unknown;
}

function tooBig(size: number, limit: number): string {
  return `file is ${size} bytes; the limit is ${limit} bytes`;
}

function fileErrorMessage(error: unknown, path: string): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  const full = resolve(path);
  if (code === 'ENOENT') return `file not found: ${full}`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${full}: permission denied`;
  if (code === 'EISDIR') return `${full} is a directory, not a file`;
  return `cannot read ${full}${code === undefined ? '' : ` (${code})`}`;
}
