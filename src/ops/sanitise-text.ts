/**
 * Line breaks of every kind: CRLF, CR, LF, vertical tab, form feed, NEL (U+0085), line and paragraph separators
 * (U+2028, U+2029). A terminal or an editor starts a new line on any of them, so untrusted text could forge lines.
 */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;

/**
 * What must never reach a terminal raw: the C0 controls (ESC starts ANSI/OSC sequences that recolour output,
 * move the cursor or retitle the window; BEL rings), DEL, the C1 controls (U+009B is a one-character CSI on
 * terminals that honour C1, ECMA-48 section 5.3), and the bidirectional embedding, override and isolate
 * characters, which reorder what is displayed ("Trojan Source", CVE-2021-42574; Unicode UAX #9).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** The same characters, for JSON text: JSON.stringify already escapes U+0000-U+001F (RFC 8259 section 7). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface SanitiseOptions {
  /** Keep line breaks (as `\n`) instead of folding them into spaces: for messages meant to span lines. */
  multiline?: boolean;
}

/**
 * Makes untrusted text (a portal's `error_description`, an error page, a value read back from Redis) safe to
 * print for a human: line breaks and tabs become spaces (or `\n` with `multiline`), every other control or
 * bidi-control character is written as a visible escape (`\x1b`, `\x07`, `\u202e`), so it can neither drive the
 * terminal nor forge a line. Printable text, including non-Latin scripts and emoji, is left as it is.
 * Idempotent: its output contains nothing it would change.
 */
export function sanitiseText(text: string, options: SanitiseOptions = {}): string {
  return text
    .replace(LINE_BREAKS, options.multiline ? '\n' : ' ')
    .replace(/\t/g, ' ')
    .replace(UNSAFE, (char) => (char === '\n' ? char : escapeChar(char)));
}

/**
 * JSON text (the output of JSON.stringify) made safe for a terminal without changing what it parses to: the
 * characters {@link sanitiseText} escapes that JSON.stringify leaves raw (DEL, C1 controls, U+2028/U+2029 and the
 * bidi controls) are written as `\uXXXX` escapes, which JSON allows for any character.
 */
export function sanitiseJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
