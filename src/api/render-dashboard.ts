import type { AttentionAttempt, AttentionRow } from '../ops/attention-row.js';
import { QUEUE_PAUSED_HINT } from '../ops/queue-paused-hint.js';
import type { Attention } from '../ops/read-attention.js';
import type { CredentialSummary } from '../ops/read-credential-health.js';
import { arrangementText } from '../ops/read-token-arrangement.js';
import type { PairState } from '../store/pair-result.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';
import { DASHBOARD_STYLE } from './dashboard-style.js';
import { escapeHtml } from './escape-html.js';
import type { PortalPage, PortalSummary } from './read-portal-page.js';
import type { Progress } from './read-progress.js';
import { PLAN_PANEL_HTML } from './render-plan-panel.js';
import { WAVES_PANEL_HTML } from './render-waves-panel.js';

/** Order of the states in bars and legends: done first, then work left, then trouble. */
export const STATE_ORDER: readonly PairState[] = [
  'registered',
  'pending',
  'failed',
  'needs_reauth',
  'unregistered',
];

const STATE_LABEL: Record<PairState, string> = {
  registered: 'registered',
  pending: 'pending',
  failed: 'failed',
  needs_reauth: 'needs re-auth',
  unregistered: 'unregistered',
};

export interface DashboardFilter {
  search: string;
  state: PairState | '';
  offset: number;
}

export interface DashboardView {
  progress: Progress;
  attention: Attention;
  portals: PortalPage;
  filter: DashboardFilter;
  /** The rollout's Redis prefix, shown so an operator knows which rollout this is. */
  prefix: string;
  /** OAuth credential health (docs/tokens.md); the panel is left out when undefined. */
  credentials?: CredentialSummary;
  /** CSP nonce of the inline script. */
  nonce: string;
  /** A login session exists (token configured): show "Log out". */
  canLogOut: boolean;
  now: number;
  pollMs: number;
  pageSize: number;
}

const e = escapeHtml;

function age(at: number | string | null | undefined, now: number): string {
  if (at === null || at === undefined) return '';
  const t = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(t) || t <= 0) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function pct(part: number, total: number): string {
  return total > 0 ? `${((100 * part) / total).toFixed(2)}%` : '0%';
}

function renderOverview(view: DashboardView): string {
  const { progress } = view;
  const { counts } = progress;
  const { total } = counts;
  const done = total > 0 ? Math.floor((100 * counts.registered) / total) : 0;
  const bar = STATE_ORDER.map(
    (s) =>
      `<span id="bar-${s}" class="seg-${s}" style="width:${pct(counts[s], total)}" title="${e(STATE_LABEL[s])}: ${counts[s]}"></span>`,
  ).join('');
  const tile = (id: string, cls: string, n: number, label: string, alert = false) =>
    `<div class="tile ${cls}${alert && n > 0 ? ' alert' : ''}"><span class="n" id="${id}">${n}</span><span class="l">${e(label)}</span></div>`;
  const q = progress.queue;
  return `<section class="card" id="overview" aria-label="Progress">
<div class="headline">
  <span class="big"><span id="n-registered-big">${counts.registered}</span> <small>/ <span id="n-total">${total}</span> registered</small></span>
  <span class="pct" id="pct-registered">${done}%</span>
  <span class="muted" id="settled-note">${progress.settled} of ${total} settled</span>
  <span class="rate" id="rate">throughput <b id="rate-value">–</b> · ETA <b id="eta-value">–</b></span>
</div>
<div class="bar" role="img" aria-label="pairs by state">${bar}</div>
<div class="tiles">
${tile('n-registered', 't-registered', counts.registered, 'registered')}
${tile('n-pending', 't-pending', counts.pending, 'pending')}
${tile('n-failed', 't-failed', counts.failed, 'failed', true)}
${tile('n-needs_reauth', 't-needs_reauth', counts.needs_reauth, 'needs re-auth', true)}
${tile('n-unregistered', 't-unregistered', counts.unregistered, 'unregistered')}
${tile('q-waiting', 't-queue', q.waiting + q.prioritized, 'queue: waiting')}
${tile('q-active', 't-queue', q.active, 'queue: active')}
${tile('q-delayed', 't-queue', q.delayed, 'queue: delayed')}
</div>
</section>`;
}

/** A reason is a pair state (src/ops/attention-row.ts): its state's colour and label. */
function badge(reason: AttentionRow['reasons'][number]): string {
  return `<span class="badge s-${reason}">${e(STATE_LABEL[reason])}</span>`;
}

function historyLine(record: AttentionAttempt, now: number): string {
  const parts = [age(record.at, now), record.op, record.outcome, record.code ?? ''].filter((p) => p !== '');
  const text = parts.join(' · ');
  return `<li title="${e(record.message ?? text)}">${e(text)}</li>`;
}

function lastError(pair: { lastError: { code: string; message: string } | null }): string {
  if (!pair.lastError) return '<span class="muted">–</span>';
  const message = pair.lastError.message;
  const short = message.length > 160 ? `${message.slice(0, 157)}…` : message;
  return `<div class="err" title="${e(message)}"><b>${e(pair.lastError.code)}</b> ${e(short)}</div>`;
}

/** One row of the attention table: a pair, or all needs_reauth pairs of one portal (the cause is the portal). */
interface AttentionTableRow extends AttentionRow {
  codes: string[];
}

/** Collapses the needs_reauth-only pairs of a portal into one row; other pairs keep a row each. */
export function attentionRows(pairs: readonly AttentionRow[]): AttentionTableRow[] {
  const rows: AttentionTableRow[] = [];
  const reauthOnly = new Map<string, AttentionTableRow>();
  for (const pair of pairs) {
    const onlyReauth = pair.reasons.length === 1 && pair.reasons[0] === 'needs_reauth';
    const existing = onlyReauth ? reauthOnly.get(pair.portal) : undefined;
    if (existing) {
      existing.codes.push(pair.code);
      continue;
    }
    const row = { ...pair, codes: [pair.code] };
    if (onlyReauth) reauthOnly.set(pair.portal, row);
    rows.push(row);
  }
  for (const row of reauthOnly.values()) row.codes.sort();
  return rows;
}

function action(row: AttentionTableRow): string {
  if (row.reasons.includes('failed'))
    return `<button class="primary retry" data-portal="${e(row.portal)}" data-code="${e(row.code)}">Retry</button>`;
  return '<span class="hint">re-import credentials</span>';
}

function attentionRow(row: AttentionTableRow, now: number): string {
  const attempts = row.codes.length > 1 ? '–' : String(row.attempts);
  return `<tr data-portal="${e(row.portal)}" data-code="${e(row.codes.join(','))}">
<td class="why">${row.reasons.map(badge).join('')}</td><td class="portal">${e(row.portal)}</td><td class="code">${e(row.codes.join(', '))}</td>
<td class="num">${attempts}</td>
<td class="lasterr">${lastError(row)}</td><td><ul class="hist">${row.history.map((h) => historyLine(h, now)).join('')}</ul></td>
<td class="action">${action(row)}</td></tr>`;
}

function renderAttention(view: DashboardView): string {
  const { attention, now } = view;
  const { counts } = attention;
  const rows =
    attention.pairs.length === 0
      ? '<tr class="empty-row"><td colspan="7" class="empty"><span class="ok-note">Nothing needs attention.</span> No pair failed or needs re-auth.</td></tr>'
      : attentionRows(attention.pairs)
          .map((row) => attentionRow(row, now))
          .join('');
  const more =
    attention.total > attention.pairs.length
      ? `showing ${attention.pairs.length} of ${attention.total}`
      : `${attention.total} pair${attention.total === 1 ? '' : 's'}`;
  return `<section class="card" id="attention" aria-label="Needs attention">
<div class="toolbar"><h2>Needs attention</h2>
<span class="count" id="attention-count">${more} · <b>${counts.failed}</b> failed · <b>${counts.needs_reauth}</b> need re-auth</span>
<span class="spacer"></span><span class="flash" id="retry-flash" role="status"></span>
<button class="danger" id="retry-all"${counts.failed === 0 ? ' disabled' : ''}>Retry all failed (<span id="retry-all-n">${counts.failed}</span>)</button></div>
<table><thead><tr><th>Why</th><th>Portal</th><th>App</th><th class="num">Attempts</th><th>Last error</th><th>Recent attempts (newest first)</th><th></th></tr></thead>
<tbody id="attention-rows">${rows}</tbody></table>
</section>`;
}

function miniBar(summary: PortalSummary): string {
  const total = summary.pairs.length;
  return `<span class="mini">${STATE_ORDER.filter((s) => summary.states[s] > 0)
    .map((s) => `<span class="seg-${s}" style="width:${pct(summary.states[s], total)}"></span>`)
    .join('')}</span>${summary.states.registered}/${total}`;
}

function chip(pair: PortalSummary['pairs'][number]): string {
  const title = [
    STATE_LABEL[pair.state as PairState] ?? pair.state,
    pair.appId === null ? '' : `APP_ID ${pair.appId}`,
    `${pair.attempts} attempt${pair.attempts === 1 ? '' : 's'}`,
  ]
    .filter((p) => p !== '')
    .join(' · ');
  return `<span class="chip s-${e(pair.state)}" title="${e(title)}">${e(pair.code)}</span>`;
}

function portalRow(summary: PortalSummary, now: number): string {
  const withError = summary.pairs.find((p) => p.lastError !== null && p.state !== 'registered');
  const updated = summary.pairs.reduce<string | null>(
    (latest, p) => (p.updatedAt !== null && (latest === null || p.updatedAt > latest) ? p.updatedAt : latest),
    null,
  );
  return `<tr><td class="portal">${e(summary.portal)}</td><td class="num">${miniBar(summary)}</td>
<td class="apps">${summary.pairs.map(chip).join('')}</td>
<td class="lasterr">${withError ? `<span class="muted">${e(withError.code)}:</span> ${lastError(withError)}` : '<span class="muted">–</span>'}</td>
<td class="num muted">${e(age(updated, now))}</td></tr>`;
}

function stateOptions(selected: string): string {
  const options = [['', 'all states'], ...STATE_ORDER.map((s) => [s, STATE_LABEL[s]])];
  return options
    .map(
      ([value, label]) =>
        `<option value="${e(value)}"${value === selected ? ' selected' : ''}>${e(label)}</option>`,
    )
    .join('');
}

function pagerText(page: PortalPage): string {
  if (page.total === 0) return 'no portal matches';
  const from = Math.min(page.offset + 1, page.total);
  const to = Math.min(page.offset + page.limit, page.total);
  return `${from}–${to} of ${page.total} portals · ${page.pairs} pairs`;
}

function renderPortals(view: DashboardView): string {
  const { portals, filter, now } = view;
  const rows =
    portals.portals.length === 0
      ? '<tr class="empty-row"><td colspan="5" class="empty">No portal matches the filter.</td></tr>'
      : portals.portals.map((s) => portalRow(s, now)).join('');
  return `<section class="card" id="portals" aria-label="Portals">
<form class="toolbar" id="portal-filter" method="get" action="/"><h2>Portals</h2>
<input type="search" id="search" name="search" placeholder="Search portal or app code…" value="${e(filter.search)}" maxlength="200" aria-label="search">
<select id="state-filter" name="state" aria-label="state">${stateOptions(filter.state)}</select>
<span class="count" id="portal-count">${e(pagerText(portals))}</span></form>
<table><thead><tr><th>Portal</th><th class="num">Registered</th><th>Apps (by state)</th><th>Last error</th><th class="num">Updated</th></tr></thead>
<tbody id="portal-rows">${rows}</tbody></table>
<div class="pager"><button id="prev"${filter.offset > 0 ? '' : ' disabled'}>‹ Previous</button>
<button id="next"${filter.offset + portals.limit < portals.total ? '' : ' disabled'}>Next ›</button></div>
</section>`;
}

/** The token source refused our secret or cannot answer (docs/tokens.md, "Borrowed tokens"). */
function sourceTrouble(c: CredentialSummary): boolean {
  const state = c.arrangement.source.health?.state;
  return (
    c.arrangement.borrowed > 0 &&
    (state === 'refused' || state === 'unavailable' || !c.arrangement.source.configured)
  );
}

/** The credential health panel: tiles kept live by the script from /api/credentials (docs/tokens.md). */
function renderCredentials(view: DashboardView): string {
  const c = view.credentials;
  if (c === undefined) return '';
  const on = c.keepAliveAfterDays > 0;
  const tile = (id: string, cls: string, n: number | string, label: string, alert = false) =>
    `<div class="tile ${cls}${alert ? ' alert' : ''}"><span class="n" id="${id}">${e(String(n))}</span><span class="l" id="${id}-label">${e(label)}</span></div>`;
  const oldest = c.oldest
    ? `oldest last refresh ${c.oldest.lastRefreshAt.slice(0, 10)} (${c.oldest.domain}, ${c.oldest.ageDays} d; lapses ${c.oldest.lapsesAt.slice(0, 10)})`
    : 'no active OAuth portal';
  return `<section class="card" id="credentials" aria-label="Credentials">
<div class="toolbar"><h2>OAuth credentials</h2>
<span class="count" id="cred-oldest">${e(oldest)}</span></div>
<div class="tiles">
${tile('cred-oauth', 't-queue', c.oauthPortals, 'OAuth portals')}
${tile('cred-fresh', 't-registered', on ? (c.refreshedWithinAge ?? 0) : '–', on ? `refreshed within ${c.keepAliveAfterDays} d` : 'keep-alive off')}
${tile('cred-due', 't-pending', on ? (c.dueForKeepAlive ?? 0) : '–', 'due for keep-alive')}
${tile('cred-reauth', 't-needs_reauth', c.needsReauth, 'portals need re-auth', c.needsReauth > 0)}
${tile('cred-borrowed', 't-queue', c.arrangement.borrowed, 'borrowed from the token source', sourceTrouble(c))}
</div>
<p class="count" id="cred-arrangement">${e(arrangementText(c.arrangement))}</p>
</section>`;
}

/** JSON for a <script type="application/json"> block: `<` is escaped so no text can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The results page: server-rendered with the current data, then kept live by a small inline script that polls
 * the JSON API. Every value from Redis (portal names, codes, error texts) is escaped.
 */
export function renderDashboard(view: DashboardView): string {
  const config = {
    pollMs: view.pollMs,
    pageSize: view.pageSize,
    filter: view.filter,
    stateLabels: STATE_LABEL,
    stateOrder: STATE_ORDER,
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Rollout · imbot-rollout</title><style>${DASHBOARD_STYLE}</style></head>
<body>
<header class="top"><h1>imbot-rollout <span class="sub">Rollout dashboard</span></h1><span class="prefix" title="Redis key prefix">${e(view.prefix)}</span>
<span class="live" id="live"><span class="dot"></span><span id="live-text">live · updated ${e(age(view.now, view.now))}</span></span>
<nav><a href="/queues">Queue board (BullMQ)</a><a href="/metrics">Metrics</a><a href="/api/progress">JSON API</a>
${view.canLogOut ? '<form method="post" action="/logout"><button type="submit">Log out</button></form>' : ''}</nav></header>
<main>
<div class="paused-banner" id="queue-paused" role="alert"${view.progress.queuePaused ? '' : ' hidden'}><b>Queue paused.</b> ${e(QUEUE_PAUSED_HINT)}.</div>
${renderOverview(view)}
${renderAttention(view)}
${WAVES_PANEL_HTML}
${PLAN_PANEL_HTML}
${renderCredentials(view)}
${renderPortals(view)}
</main>
<script type="application/json" id="dashboard-config">${scriptJson(config)}</script>
<script nonce="${e(view.nonce)}">${DASHBOARD_SCRIPT}</script>
</body></html>`;
}
