import { DASHBOARD_STYLE } from './dashboard-style.js';
import { escapeHtml } from './escape-html.js';

/** The login form: posts the API token once, gets an HttpOnly session cookie back. */
export function renderLogin(view: { next: string; error?: string | undefined }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Log in · imbot-rollout</title><style>${DASHBOARD_STYLE}</style></head>
<body><form class="login" method="post" action="/login">
<h1>imbot-rollout</h1><p>Enter the API token (ROLLOUT_API_TOKEN) to open the dashboard.</p>
${view.error ? `<div class="error" role="alert">${escapeHtml(view.error)}</div>` : ''}
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(view.next)}">
<button class="primary" type="submit">Log in</button>
</form></body></html>`;
}
