/**
 * How the server reads an IFRAME URL (im source, `appRegister` / `appUpdate` with PHP `parse_url`, and
 * `\Bitrix\Im\App::register` / `::update`, which append '?' or '&' before storing it).
 */

const URL_START = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/;

/** The host of an authority `user:pass@host:port` ('' when none). */
function hostOf(authority: string): string {
  const afterUser = authority.slice(authority.lastIndexOf('@') + 1);
  if (afterUser.startsWith('[')) return afterUser.slice(0, afterUser.indexOf(']') + 1);
  const colon = afterUser.indexOf(':');
  return colon < 0 ? afterUser : afterUser.slice(0, colon);
}

/** True when the scheme is exactly 'https' (PHP keeps its case) and there is a host; else IFRAME_HTTPS. */
export function isServerHttpsIframe(url: string): boolean {
  const match = URL_START.exec(url);
  if (match === null) return false;
  return match[1] === 'https' && hostOf(match[2] ?? '') !== '';
}

/** The IFRAME column: the URL plus '&' when it has a query, else '?'. Its length counts against 255. */
export function serverIframeColumn(url: string): string {
  const beforeFragment = url.split('#')[0] ?? '';
  return `${url}${beforeFragment.includes('?') ? '&' : '?'}`;
}
