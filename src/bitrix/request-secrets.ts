import type { PortalTarget } from './portal-target.js';

const WEBHOOK_CODE_IN_PATH = /\/rest\/\d+\/([^/?#]+)/;
/** The HASH column holds 32 characters; register cuts a longer HASH to them before storing (and dumping) it. */
const HASH_COLUMN = 32;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Values that must never appear in an error built from a request: the access token or the webhook code, and
 * the IFRAME app's HASH (the key its handler checks signatures with) of every method call the request carries
 * (one for a single call, each command of a batch), sent as `HASH` or `FIELDS.HASH`. A WRONG_REQUEST
 * description dumps every field of the request, HASH included, as the server stored it: cut to 32 characters
 * on register (docs/bitrix24.md, "What the server checks on register"), so that cut is a secret too.
 */
export function requestSecrets(
  target: PortalTarget,
  paramsOfEachCall: readonly Readonly<Record<string, unknown>>[],
): string[] {
  const secrets: string[] = [];
  if (target.kind === 'oauth') secrets.push(target.accessToken);
  else {
    const code = WEBHOOK_CODE_IN_PATH.exec(target.webhookUrl)?.[1];
    if (code !== undefined) {
      secrets.push(code);
      try {
        secrets.push(decodeURIComponent(code));
      } catch {
        // not percent-encoded: the code itself is enough
      }
    }
  }
  for (const params of paramsOfEachCall) {
    const fields = params['FIELDS'];
    const hashes = [params['HASH'], isRecord(fields) ? fields['HASH'] : undefined];
    for (const hash of hashes) {
      if (typeof hash !== 'string' || hash === '') continue;
      secrets.push(hash);
      if (hash.length > HASH_COLUMN) secrets.push(hash.slice(0, HASH_COLUMN));
    }
  }
  return secrets;
}
