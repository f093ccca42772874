/** What replaces a secret in every message, description and log line. */
export const REDACTED = '***';

// Inbound webhook: https://<portal>/rest/<user_id>/<webhook_code>/<method>.json (docs/bitrix24.md, "Who is
// calling"). The code is the credential; the user id is kept for diagnosis.
const WEBHOOK_CODE = /(\/rest\/\d+\/)[^/?#\s"'<>]+/g;
// Credentials as query/form parameters (octokit's request-error redacts `access_token=` / `client_secret=`
// the same way). `\b` keeps `oauth=` or `x_auth=` untouched.
const SECRET_PARAMETER = /\b(auth|access_token|refresh_token|client_secret)=[^&#\s"'<>]*/gi;
// Credentials as JSON fields, e.g. an OAuth answer or a request body echoed in an error page.
const SECRET_JSON_FIELD = /"(auth|access_token|refresh_token|client_secret)"(\s*:\s*)"[^"]*"/gi;

/** Hides the webhook code and `auth` / `access_token` / `refresh_token` / `client_secret` values of a URL. */
export function redactUrl(url: string): string {
  return url
    .replace(WEBHOOK_CODE, `$1${REDACTED}`)
    .replace(SECRET_PARAMETER, (_match, name: string) => `${name}=${REDACTED}`);
}

/**
 * Hides every given secret (also in its URL-encoded form), plus anything that looks like a credential
 * (webhook path, `access_token=...`, `"refresh_token":"..."`). Empty secrets are ignored.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    variants.add(secret);
    variants.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  let result = text;
  for (const variant of [...variants].sort((a, b) => b.length - a.length)) {
    result = result.split(variant).join(REDACTED);
  }
  return redactUrl(result).replace(
    SECRET_JSON_FIELD,
    (_match, name: string, separator: string) => `"${name}"${separator}"${REDACTED}"`,
  );
}
