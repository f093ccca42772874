import { PLAN_PANEL_SCRIPT } from './render-plan-panel.js';
import { WAVES_PANEL_SCRIPT } from './render-waves-panel.js';

/**
 * The dashboard's inline script (plain ES2019, no build step). It polls the JSON API every `pollMs` and
 * re-renders with DOM calls and textContent only: no untrusted text is ever parsed as HTML.
 * Kept free of backticks and `${` so it can live in this string.
 */
export const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('dashboard-config').textContent);
  var ORDER = cfg.stateOrder;
  var LABEL = cfg.stateLabels;
  var filter = { search: cfg.filter.search, state: cfg.filter.state, offset: cfg.filter.offset };
  var samples = [];
  var lastUpdate = Date.now();
  var stale = false;
  var timer = null;

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'cls') el.className = v;
      else if (k === 'width') el.style.width = v;
      else el.setAttribute(k, String(v));
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
      else el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }
  function setText(id, v) { var el = $(id); if (el) el.textContent = String(v); }
  function pct(part, total) { return total > 0 ? (100 * part / total).toFixed(2) + '%' : '0%'; }
  function age(at) {
    if (at === null || at === undefined) return '';
    var t = typeof at === 'number' ? at : Date.parse(at);
    if (!isFinite(t) || t <= 0) return '';
    var s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function duration(seconds) {
    if (!isFinite(seconds)) return '–';
    if (seconds < 90) return Math.max(1, Math.round(seconds)) + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }
  function replaceRows(id, rows) {
    var body = $(id);
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function tileAlert(id, n) { var el = $(id); if (el) el.parentNode.classList.toggle('alert', n > 0); }

  function renderProgress(p) {
    var s = p.counts;
    setText('n-registered-big', s.registered);
    setText('n-total', s.total);
    setText('pct-registered', (s.total > 0 ? Math.floor(100 * s.registered / s.total) : 0) + '%');
    setText('settled-note', p.settled + ' of ' + s.total + ' settled');
    ORDER.forEach(function (st) {
      var seg = $('bar-' + st);
      seg.style.width = pct(s[st], s.total);
      seg.title = LABEL[st] + ': ' + s[st];
      setText('n-' + st, s[st]);
    });
    tileAlert('n-failed', s.failed); tileAlert('n-needs_reauth', s.needs_reauth);
    setText('q-waiting', p.queue.waiting + p.queue.prioritized);
    setText('q-active', p.queue.active);
    setText('q-delayed', p.queue.delayed);
    var paused = $('queue-paused');
    if (paused) paused.hidden = !p.queuePaused;
    var now = Date.now();
    samples.push({ t: now, settled: p.settled });
    while (samples.length > 2 && now - samples[0].t > 20000) samples.shift();
    var first = samples[0];
    var rate = samples.length > 1 && now > first.t ? (p.settled - first.settled) / ((now - first.t) / 1000) : NaN;
    setText('rate-value', isFinite(rate) ? rate.toFixed(1) + ' pairs/s' : '–');
    setText('eta-value', s.pending === 0 ? 'done' : rate > 0 ? duration(s.pending / rate) : '–');
  }

  // A reason is a pair state (src/ops/attention-row.ts): its state's colour and label.
  function badge(reason) {
    return h('span', { cls: 'badge s-' + reason, text: LABEL[reason] || reason });
  }
  function lastError(pair) {
    if (!pair.lastError) return h('span', { cls: 'muted', text: '–' });
    var m = pair.lastError.message;
    return h('div', { cls: 'err', title: m }, h('b', { text: pair.lastError.code }), ' ' + (m.length > 160 ? m.slice(0, 157) + '…' : m));
  }
  function attentionRows(pairs) {
    var rows = [], reauthOnly = {};
    pairs.forEach(function (p) {
      var onlyReauth = p.reasons.length === 1 && p.reasons[0] === 'needs_reauth';
      if (onlyReauth && reauthOnly[p.portal]) { reauthOnly[p.portal].codes.push(p.code); return; }
      var row = Object.assign({}, p, { codes: [p.code] });
      if (onlyReauth) reauthOnly[p.portal] = row;
      rows.push(row);
    });
    Object.keys(reauthOnly).forEach(function (k) { reauthOnly[k].codes.sort(); });
    return rows;
  }
  function action(row) {
    if (row.reasons.indexOf('failed') >= 0)
      return h('button', { cls: 'primary retry', 'data-portal': row.portal, 'data-code': row.code, text: 'Retry' });
    return h('span', { cls: 'hint', text: 're-import credentials' });
  }
  function renderAttention(a) {
    var c = a.counts;
    var shown = a.total > a.pairs.length ? 'showing ' + a.pairs.length + ' of ' + a.total : a.total + (a.total === 1 ? ' pair' : ' pairs');
    var count = $('attention-count');
    while (count.firstChild) count.removeChild(count.firstChild);
    [shown + ' · ', h('b', { text: c.failed }), ' failed · ', h('b', { text: c.needs_reauth }), ' need re-auth'].forEach(function (x) {
      count.appendChild(typeof x === 'string' ? document.createTextNode(x) : x);
    });
    setText('retry-all-n', c.failed);
    $('retry-all').disabled = c.failed === 0;
    if (a.pairs.length === 0) {
      replaceRows('attention-rows', [h('tr', { cls: 'empty-row' }, h('td', { colspan: 7, cls: 'empty' },
        h('span', { cls: 'ok-note', text: 'Nothing needs attention.' }), ' No pair failed or needs re-auth.'))]);
      return;
    }
    replaceRows('attention-rows', attentionRows(a.pairs).map(function (p) {
      return h('tr', { 'data-portal': p.portal, 'data-code': p.codes.join(',') },
        h('td', { cls: 'why' }, p.reasons.map(badge)),
        h('td', { cls: 'portal', text: p.portal }),
        h('td', { cls: 'code', text: p.codes.join(', ') }),
        h('td', { cls: 'num' }, p.codes.length > 1 ? '–' : String(p.attempts)),
        h('td', { cls: 'lasterr' }, lastError(p)),
        h('td', null, h('ul', { cls: 'hist' }, p.history.map(function (r) {
          var text = [age(r.at), r.op, r.outcome, r.code || ''].filter(function (x) { return x !== ''; }).join(' · ');
          return h('li', { title: r.message || text, text: text });
        }))),
        h('td', { cls: 'action' }, action(p)));
    }));
  }

  function miniBar(s) {
    var total = s.pairs.length;
    return [h('span', { cls: 'mini' }, ORDER.filter(function (st) { return s.states[st] > 0; }).map(function (st) {
      return h('span', { cls: 'seg-' + st, width: pct(s.states[st], total) });
    })), s.states.registered + '/' + total];
  }
  function chip(p) {
    var title = [LABEL[p.state] || p.state, p.appId === null ? '' : 'APP_ID ' + p.appId,
      p.attempts + (p.attempts === 1 ? ' attempt' : ' attempts')].filter(function (x) { return x !== ''; }).join(' · ');
    return h('span', { cls: 'chip s-' + p.state, title: title, text: p.code });
  }
  function renderPortals(page) {
    var from = Math.min(page.offset + 1, page.total), to = Math.min(page.offset + page.limit, page.total);
    setText('portal-count', page.total === 0 ? 'no portal matches' : from + '–' + to + ' of ' + page.total + ' portals · ' + page.pairs + ' pairs');
    $('prev').disabled = page.offset <= 0;
    $('next').disabled = page.offset + page.limit >= page.total;
    if (page.portals.length === 0) {
      replaceRows('portal-rows', [h('tr', { cls: 'empty-row' }, h('td', { colspan: 5, cls: 'empty', text: 'No portal matches the filter.' }))]);
      return;
    }
    replaceRows('portal-rows', page.portals.map(function (s) {
      var err = null, updated = null;
      s.pairs.forEach(function (p) {
        if (!err && p.lastError && p.state !== 'registered') err = p;
        if (p.updatedAt && (!updated || p.updatedAt > updated)) updated = p.updatedAt;
      });
      return h('tr', null,
        h('td', { cls: 'portal', text: s.portal }),
        h('td', { cls: 'num' }, miniBar(s)),
        h('td', { cls: 'apps' }, s.pairs.map(chip)),
        h('td', { cls: 'lasterr' }, err ? [h('span', { cls: 'muted', text: err.code + ':' }), ' ', lastError(err)] : h('span', { cls: 'muted', text: '–' })),
        h('td', { cls: 'num muted', text: age(updated) }));
    }));
  }

  function portalQuery() {
    var q = new URLSearchParams();
    if (filter.search) q.set('search', filter.search);
    if (filter.state) q.set('state', filter.state);
    if (filter.offset) q.set('offset', String(filter.offset));
    return q;
  }
  function getJson(url) {
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      if (r.status === 401) { location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search); throw new Error('login'); }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }
  function setLive() {
    var live = $('live');
    live.classList.toggle('stale', stale);
    setText('live-text', (stale ? 'connection lost · last update ' : 'live · updated ') + age(lastUpdate));
  }
  var inflight = null, again = false;
  function refresh() {
    if (inflight) { again = true; return inflight; }
    if (timer) { clearTimeout(timer); timer = null; }
    var q = portalQuery(); q.set('limit', String(cfg.pageSize));
    // Credentials are read after the attention list, in the same poll: a portal is parked before its pairs are, so
    // a portal the list shows as needing re-auth is always counted by the credentials panel drawn with it.
    var attentionThenCredentials = getJson('/api/attention?limit=100&history=4').then(function (a) {
      return $('credentials') ? getJson('/api/credentials?limit=1').then(function (c) { return [a, c]; }) : [a, null];
    });
    inflight = Promise.all([getJson('/api/progress'), attentionThenCredentials, getJson('/api/portals?' + q.toString())])
      .then(function (r) {
        renderAttention(r[1][0]);
        if (r[1][1]) renderCredentials(r[1][1]);
        renderProgress(r[0]);
        renderPortals(r[2]);
        lastUpdate = Date.now(); stale = false;
      }, function () { stale = true; })
      .then(function () {
        inflight = null; setLive();
        if (again) { again = false; return refresh(); }
        timer = setTimeout(refresh, cfg.pollMs);
      });
    return inflight;
  }
  function post(url, body) {
    var init = { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
  }
  function flash(text) { setText('retry-flash', text); }

  document.getElementById('attention-rows').addEventListener('click', function (ev) {
    var btn = ev.target.closest('button.retry');
    if (!btn) return;
    btn.disabled = true; btn.textContent = 'Retrying…';
    var portal = btn.getAttribute('data-portal'), code = btn.getAttribute('data-code');
    post('/api/pairs/' + encodeURIComponent(portal) + '/' + encodeURIComponent(code) + '/retry').then(function (r) {
      if (r.status === 200) { btn.textContent = 'Queued'; flash('Re-queued ' + portal + ' / ' + code + ': now ' + r.body.pair.state); }
      else { btn.disabled = false; btn.textContent = 'Retry'; flash(r.body.message || 'retry refused'); }
      return refresh();
    }, function () { btn.disabled = false; btn.textContent = 'Retry'; flash('retry failed: no connection'); });
  });
  $('retry-all').addEventListener('click', function () {
    var btn = $('retry-all'); btn.disabled = true;
    post('/api/retry-failed', {}).then(function (r) {
      flash(r.status === 200 ? r.body.retried + ' failed pair(s) re-queued' : (r.body.message || 'retry refused'));
      return refresh();
    }, function () { btn.disabled = false; flash('retry failed: no connection'); });
  });
  function applyFilter() {
    filter.offset = 0;
    history.replaceState(null, '', '/' + (portalQuery().toString() ? '?' + portalQuery().toString() : ''));
    refresh();
  }
  var debounce = null;
  $('search').addEventListener('input', function () {
    filter.search = $('search').value.trim();
    clearTimeout(debounce); debounce = setTimeout(applyFilter, 250);
  });
  $('state-filter').addEventListener('change', function () { filter.state = $('state-filter').value; applyFilter(); });
  $('portal-filter').addEventListener('submit', function (ev) { ev.preventDefault(); applyFilter(); });
  $('prev').addEventListener('click', function () { filter.offset = Math.max(0, filter.offset - cfg.pageSize); history.replaceState(null, '', '/?' + portalQuery().toString()); refresh(); });
  $('next').addEventListener('click', function () { filter.offset += cfg.pageSize; history.replaceState(null, '', '/?' + portalQuery().toString()); refresh(); });
  // OAuth credential health (docs/tokens.md), read in each poll with the attention list (refresh).
  function renderCredentials(r) {
    var c = r.summary, on = c.keepAliveAfterDays > 0;
    setText('cred-oauth', c.oauthPortals);
    setText('cred-fresh', on ? c.refreshedWithinAge : '–');
    setText('cred-fresh-label', on ? 'refreshed within ' + c.keepAliveAfterDays + ' d' : 'keep-alive off');
    setText('cred-due', on ? c.dueForKeepAlive : '–');
    setText('cred-reauth', c.needsReauth);
    tileAlert('cred-reauth', c.needsReauth);
    // Who owns the tokens (docs/tokens.md): the same words as arrangementText (src/ops/read-token-arrangement.ts).
    var a = c.arrangement;
    if (a) {
      var st = a.source.health ? a.source.health.state : null;
      setText('cred-borrowed', a.borrowed);
      tileAlert('cred-borrowed', a.borrowed > 0 && (st === 'refused' || st === 'unavailable' || !a.source.configured) ? 1 : 0);
      var src = !a.source.configured ? (a.borrowed > 0 ? 'no token source configured: borrowed portals wait' : 'no token source')
        : st === null ? 'token source not asked yet' : st === 'ok' ? 'token source ok'
        : st === 'refused' ? 'token source REFUSED our secret: borrowed portals paused' : 'token source unavailable: borrowed portals back off';
      setText('cred-arrangement', a.owned + ' owned (OAuth pair held here) · handout ' + (a.handout ? 'on' : 'off') +
        ' · ' + a.borrowed + ' borrowed · ' + src);
    }
    var o = c.oldest;
    setText('cred-oldest', o ? 'oldest last refresh ' + o.lastRefreshAt.slice(0, 10) + ' (' + o.domain + ', ' + o.ageDays +
      ' d; lapses ' + o.lapsesAt.slice(0, 10) + ')' : 'no active OAuth portal');
  }
${WAVES_PANEL_SCRIPT}
${PLAN_PANEL_SCRIPT}
  setInterval(setLive, 1000);
  timer = setTimeout(refresh, 0);
})();
`;
