/** Where a JSON text stops being valid; the message never quotes the text (it could hold a token). */
export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: string;
}

/** An object key given twice: `JSON.parse` would silently keep only the last value. */
export interface JsonDuplicateKey {
  /** Path of the object holding the key. */
  path: (string | number)[];
  key: string;
  first: { line: number; column: number };
  again: { line: number; column: number };
}

export interface JsonScan {
  syntaxError: JsonSyntaxError | undefined;
  duplicateKeys: JsonDuplicateKey[];
}

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/**
 * One tokenizer pass over a JSON text (RFC 8259, no extensions): finds the first syntax error with its
 * line:column, and every duplicate object key with the path of its object. Runs before `JSON.parse`, whose own
 * error messages quote parts of the text and so are never shown.
 */
export function scanJsonText(text: string): JsonScan {
  const duplicateKeys: JsonDuplicateKey[] = [];
  const path: (string | number)[] = [];
  const n = text.length;
  let pos = 0;

  const where = (offset: number): { line: number; column: number } => lineColumn(text, offset);

  const skipWhitespace = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const unexpected = (expected: string): Stop => {
    if (pos >= n) return new Stop(pos, `unexpected end of the file; expected ${expected}`);
    const c = text.charAt(pos);
    if (c === '/' && (text.charAt(pos + 1) === '/' || text.charAt(pos + 1) === '*')) {
      return new Stop(pos, 'comments are not allowed in JSON');
    }
    if (c === "'")
      return new Stop(pos, `single quotes are not allowed in JSON (use "); expected ${expected}`);
    return new Stop(pos, `unexpected ${describeChar(c)}; expected ${expected}`);
  };

  const readString = (): void => {
    const start = pos;
    pos++; // opening quote
    for (;;) {
      if (pos >= n) throw new Stop(start, 'unterminated string (a closing " is missing)');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        return;
      }
      if (c === 0x5c) {
        const e = text.charAt(pos + 1);
        if ('"\\/bfnrt'.includes(e) && e !== '') pos += 2;
        else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(pos + 2, pos + 6))) pos += 6;
        else
          throw new Stop(
            pos,
            'invalid escape sequence in a string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
          );
        continue;
      }
      if (c < 0x20) {
        const code = c.toString(16).toUpperCase().padStart(4, '0');
        throw new Stop(pos, `control character U+${code} inside a string; escape it (e.g. \\n)`);
      }
      pos++;
    }
  };

  const readValue = (depth: number): void => {
    skipWhitespace();
    const c = text.charAt(pos);
    if (c === '{') readObject(depth + 1);
    else if (c === '[') readArray(depth + 1);
    else if (c === '"') readString();
    else if (c === '-' || (c >= '0' && c <= '9')) readNumber();
    else if (c === 't') readLiteral('true');
    else if (c === 'f') readLiteral('false');
    else if (c === 'n') readLiteral('null');
    else throw unexpected('a value (object, array, string, number, true, false or null)');
  };

  const readNumber = (): void => {
    NUMBER.lastIndex = pos;
    if (!NUMBER.test(text)) throw new Stop(pos, 'invalid number');
    const end = NUMBER.lastIndex;
    const next = text.charAt(end);
    if (next >= '0' && next <= '9') throw new Stop(pos, 'invalid number (no leading zeros in JSON)');
    if (next === '.' || next === 'e' || next === 'E') throw new Stop(end, 'invalid number');
    pos = end;
  };

  const readLiteral = (word: string): void => {
    if (!text.startsWith(word, pos)) throw new Stop(pos, `invalid literal; expected ${word}`);
    pos += word.length;
  };

  const readObject = (depth: number): void => {
    if (depth > MAX_DEPTH) throw new Stop(pos, `nesting deeper than ${MAX_DEPTH} levels`);
    pos++; // {
    skipWhitespace();
    if (text.charAt(pos) === '}') {
      pos++;
      return;
    }
    const seen = new Map<string, number>();
    for (;;) {
      skipWhitespace();
      if (text.charAt(pos) === '}') throw new Stop(pos, 'a trailing comma before "}" is not allowed in JSON');
      if (text.charAt(pos) !== '"') throw unexpected('a property name in double quotes');
      const start = pos;
      readString();
      const key = decodeKey(text.slice(start, pos));
      const firstAt = seen.get(key);
      if (firstAt === undefined) seen.set(key, start);
      else duplicateKeys.push({ path: [...path], key, first: where(firstAt), again: where(start) });
      skipWhitespace();
      if (text.charAt(pos) !== ':') throw unexpected('":" after the property name');
      pos++;
      path.push(key);
      readValue(depth);
      path.pop();
      skipWhitespace();
      const c = text.charAt(pos);
      if (c === ',') pos++;
      else if (c === '}') {
        pos++;
        return;
      } else throw unexpected('"," or "}" after a property value');
    }
  };

  const readArray = (depth: number): void => {
    if (depth > MAX_DEPTH) throw new Stop(pos, `nesting deeper than ${MAX_DEPTH} levels`);
    pos++; // [
    skipWhitespace();
    if (text.charAt(pos) === ']') {
      pos++;
      return;
    }
    for (let index = 0; ; index++) {
      skipWhitespace();
      if (text.charAt(pos) === ']') throw new Stop(pos, 'a trailing comma before "]" is not allowed in JSON');
      path.push(index);
      readValue(depth);
      path.pop();
      skipWhitespace();
      const c = text.charAt(pos);
      if (c === ',') pos++;
      else if (c === ']') {
        pos++;
        return;
      } else throw unexpected('"," or "]" after an array element');
    }
  };

  try {
    skipWhitespace();
    if (pos >= n) throw new Stop(pos, 'the file is empty; expected a JSON value');
    readValue(0);
    skipWhitespace();
    if (pos < n) {
      const comment = text.startsWith('//', pos) || text.startsWith('/*', pos);
      throw new Stop(
        pos,
        comment
          ? 'comments are not allowed in JSON'
          : 'unexpected content after the JSON value (only one top-level value is allowed)',
      );
    }
    return { syntaxError: undefined, duplicateKeys };
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return {
      syntaxError: { offset: error.offset, ...where(error.offset), message: error.message },
      duplicateKeys,
    };
  }
}

function decodeKey(quoted: string): string {
  // The scanner has already checked the string token, so this cannot throw.
  const key: unknown = JSON.parse(quoted);
  return typeof key === 'string' ? key : quoted;
}

/** 1-based line and column (in UTF-16 code units) of an offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Names a character without quoting user text beyond that one character. */
function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f)
    return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `character '${c}'`;
}
