/**
 * A webhook URL safe to show: scheme, host and the path with every segment but `rest` and the user id after it
 * replaced by `***` (so the webhook code never appears); query and fragment dropped.
 * `https://x.bitrix24.com/rest/1/abc123/` -> `https://x.bitrix24.com/rest/1/***\/`.
 */
export function redactWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(not a valid URL)';
  }
  const segments = url.pathname.split('/');
  const path = segments
    .map((segment, i) => {
      if (segment === '' || segment === 'rest') return segment;
      if (segments[i - 1] === 'rest' && /^[0-9]+$/.test(segment)) return segment;
      return '***';
    })
    .join('/');
  return `${url.protocol}//${url.host}${path}`;
}
