/** What the HTTP layer does with a request the simulator has processed. */
export type SimOutcome =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly contentType: string;
      readonly body: string;
      /** Wait this long (real time, ms) before answering. */
      readonly delayMs: number;
    }
  | { readonly kind: 'drop'; readonly delayMs: number };

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonOutcome(status: number, payload: unknown, delayMs = 0): SimOutcome {
  return { kind: 'answer', status, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(payload), delayMs };
}

/** A Bitrix24 error answer: `{"error": code, "error_description": text}` (docs/bitrix24.md, "Who is calling"). */
export function bitrixErrorOutcome(
  status: number,
  code: string,
  description: string,
  delayMs = 0,
): SimOutcome {
  return jsonOutcome(status, { error: code, error_description: description }, delayMs);
}
