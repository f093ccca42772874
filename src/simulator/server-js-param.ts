/** The JS commands a chat app may run (im source, `CIMRestService::appRegister`): JS_METHOD, exact upper case. */
export type ServerJsMethod = 'PUT' | 'SEND' | 'CALL' | 'SUPPORT';

const SERVER_JS_METHODS: readonly string[] = ['PUT', 'SEND', 'CALL', 'SUPPORT'];

// The server's patterns (docs/bitrix24.md, "What the server checks on register"; im source, `appRegister` and
// `appUpdate`), PCRE with /im. `\s` is written as PCRE's ASCII set: JavaScript's `\s` also takes Unicode spaces.
const COMMAND = /\/([a-zA-Z0-9\-_+]+)(([ \t\n\v\f\r])?([a-zA-Z0-9\-_+]+))+/im;
const PATTERNS: Record<ServerJsMethod, RegExp> = {
  SEND: COMMAND,
  PUT: COMMAND,
  CALL: /\+?[ \-\d+()#]+$/im,
  SUPPORT: /[a-f0-9]{32}$/im,
};

/** What the server writes into the JS column around the kept JS_PARAM (the column holds 255 characters). */
const JS_COLUMN: Record<ServerJsMethod, readonly [string, string]> = {
  SEND: ["BXIM.sendMessage('", "');"],
  PUT: ["BXIM.putMessage('", "');"],
  CALL: ["BXIM.phoneTo('", "');"],
  SUPPORT: ["BXIM.openMessenger('networkLines", "');"],
};

/** PHP `in_array($method, ['PUT', 'SEND', 'CALL', 'SUPPORT'])`: case-sensitive, 'send' is not a JS method. */
export function isServerJsMethod(value: unknown): value is ServerJsMethod {
  return typeof value === 'string' && SERVER_JS_METHODS.includes(value);
}

/**
 * The JS_PARAM the server stores for `method`: the FIRST match of its pattern, or null when nothing matches
 * (register answers PARAMS_ERROR; update leaves the old JS command). A partial match is kept silently:
 * '/help  me' -> '/help', '+1.555.0100' -> '0100'. Upper case is accepted (SUPPORT's pattern is /i too).
 */
export function serverJsParam(method: ServerJsMethod, param: string): string | null {
  return PATTERNS[method].exec(param)?.[0] ?? null;
}

/** The JS column the server writes for a kept JS_PARAM, e.g. "BXIM.sendMessage('/help');". */
export function serverJsColumn(method: ServerJsMethod, keptParam: string): string {
  const [before, after] = JS_COLUMN[method];
  return `${before}${keptParam}${after}`;
}
