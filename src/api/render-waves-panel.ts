/**
 * The dashboard's wave plans panel (`rollout --waves` and plain rollouts, docs/waves.md): rendered empty and
 * hidden, filled by WAVES_PANEL_SCRIPT from GET /api/rollouts and GET /api/apps (textContent only) and shown once a
 * plan exists. Its buttons post to /api/rollouts/:id/resume | skip-wave | abort | promote (same token and
 * same-origin rules as Retry). Below the plans: each CODE's stable definition against its plans in flight.
 */
export const WAVES_PANEL_HTML = `<section class="card" id="waves" aria-label="Wave plans" hidden>
<div class="toolbar"><h2>Wave plans</h2><span class="spacer"></span><span class="flash" id="waves-flash" role="status"></span></div>
<table><thead><tr><th>Plan</th><th>State</th><th>Waves (registered / failed / re-auth / pending)</th><th>Reason</th><th></th></tr></thead>
<tbody id="wave-rows"></tbody></table>
<h3>Apps: stable and in flight</h3>
<p class="muted" id="apps-installs"></p>
<table><thead><tr><th>Code</th><th>Stable (what new installs get)</th><th>In flight</th></tr></thead>
<tbody id="app-rows"></tbody></table>
</section>`;

/**
 * Part of the dashboard script's closure (uses its `$`, `h`, `getJson`, `post`, `setText`, `cfg`). Kept free of
 * backticks and dollar-brace, like DASHBOARD_SCRIPT.
 */
export const WAVES_PANEL_SCRIPT = `
  var STATE_CLASS = { running: 's-pending', pausing: 's-pending', halted: 's-failed', aborted: 's-needs_reauth', done: 's-registered' };
  var COMMAND_BUTTON = { resume: ['primary', 'Resume'], 'skip-wave': ['', 'Skip to next wave'], abort: ['danger', 'Abort'],
    promote: ['', 'Make stable'] };
  function waveButtons(p) {
    return p.commands.map(function (cmd) {
      var b = COMMAND_BUTTON[cmd] || ['', cmd];
      return h('button', { cls: (b[0] ? b[0] + ' ' : '') + 'wave-cmd', 'data-plan': p.id, 'data-cmd': cmd, text: b[1] });
    });
  }
  function renderApps(r) {
    var body = $('app-rows');
    if (!body) return;
    setText('apps-installs', r.appsFile ? 'Install events take the apps of events.appsFile ' + r.appsFile + ' instead.' :
      'Install events queue the stable definitions.');
    while (body.firstChild) body.removeChild(body.firstChild);
    r.apps.forEach(function (a) {
      var s = a.stable;
      var flying = a.inFlight.map(function (f) {
        return h('div', { text: f.planId + ' ' + f.state + (f.single ? '' : ' · wave ' + f.wave + '/' + f.waves) +
          ' · ' + f.defHash.slice(0, 12) + (f.sameAsStable ? ' (the stable one)' : '') });
      });
      body.appendChild(h('tr', null,
        h('td', { cls: 'portal', text: a.code }),
        h('td', null, s ? [h('div', { text: s.defHash.slice(0, 12) + ' from ' + s.planId }),
          h('div', { cls: 'muted', text: s.source + ' · ' + s.how + ' ' + s.since })] : h('span', { cls: 'muted', text: 'none yet' })),
        h('td', null, flying.length ? flying : h('span', { cls: 'muted', text: 'none' }))));
    });
  }
  function renderWaves(r) {
    var section = $('waves');
    if (!section) return;
    section.hidden = r.plans.length === 0;
    var body = $('wave-rows');
    while (body.firstChild) body.removeChild(body.firstChild);
    r.plans.forEach(function (p) {
      var waves = p.waveCounts.map(function (w) {
        var c = w.counts;
        var text = 'wave ' + w.wave + ' (' + w.portals + ' portals): ' +
          (c ? c.registered + ' / ' + c.failed + ' / ' + c.needs_reauth + ' / ' + c.pending : 'not started');
        return h('div', { cls: w.wave === p.wave ? 'current' : '', text: text });
      });
      var failing = p.failing.slice(0, 5).map(function (f) {
        return h('div', { cls: 'err', text: f.portal + ' ' + f.code + ': ' + f.error });
      });
      body.appendChild(h('tr', null,
        h('td', { cls: 'portal' }, [h('div', { text: p.id }), h('div', { cls: 'muted', text: p.source + ' · ' + p.apps.join(', ') })]),
        h('td', null, [h('span', { cls: 'badge ' + (STATE_CLASS[p.state] || ''), text: p.state + ' · wave ' + p.wave + '/' + p.waves })]
          .concat(p.stableFor.length ? [h('span', { cls: 'badge s-registered', text: 'stable: ' + p.stableFor.join(', ') })] : [])),
        h('td', null, waves),
        h('td', { cls: 'lasterr' }, [h('div', { text: p.reason || '' })].concat(failing)),
        h('td', { cls: 'action' }, waveButtons(p))));
    });
  }
  function refreshWaves() {
    getJson('/api/rollouts').then(renderWaves, function () { return undefined; })
      .then(function () { return getJson('/api/apps').then(renderApps, function () { return undefined; }); })
      .then(function () { setTimeout(refreshWaves, cfg.pollMs * 2); });
  }
  if ($('wave-rows')) {
    $('wave-rows').addEventListener('click', function (ev) {
      var btn = ev.target.closest('button.wave-cmd');
      if (!btn) return;
      var id = btn.getAttribute('data-plan'), cmd = btn.getAttribute('data-cmd');
      if (cmd === 'abort' && !window.confirm('Abort wave plan ' + id + '? No further wave starts; its queued jobs are removed.')) return;
      btn.disabled = true;
      post('/api/rollouts/' + encodeURIComponent(id) + '/' + cmd).then(function (r) {
        setText('waves-flash', r.status === 200 ? id + ': ' + cmd + ' done, now ' + r.body.plan.state : (r.body.message || cmd + ' refused'));
        return getJson('/api/rollouts').then(renderWaves);
      }, function () { btn.disabled = false; setText('waves-flash', cmd + ' failed: no connection'); });
    });
    refreshWaves();
  }
`;
