/**
 * The dashboard's plan panel (docs/operations.md, "Plan before apply"): a button computes a plan of the last
 * rollout's apps for the stored portals (POST /api/plans), the panel shows its counts per CODE and the first page of
 * its pairs (GET /api/plans/:id), and Apply queues it after one confirmation (POST /api/plans/:id/apply), same token
 * and same-origin rules as Retry. Filled with textContent only.
 */
export const PLAN_PANEL_HTML = `<section class="card" id="plans" aria-label="Plan before apply">
<div class="toolbar"><h2>Plan before apply</h2><span class="spacer"></span><span class="flash" id="plan-flash" role="status"></span>
<button id="plan-make">Plan the last rollout's apps</button><button class="primary" id="plan-apply" hidden>Apply this plan</button></div>
<table><thead><tr><th>App</th><th>register</th><th>update</th><th>recreate</th><th>unchanged</th><th>blocked</th><th>conflict</th></tr></thead>
<tbody id="plan-counts"></tbody></table>
<table><thead><tr><th>Portal</th><th>App</th><th>Action</th><th>Detail</th></tr></thead>
<tbody id="plan-pairs"></tbody></table>
</section>`;

/**
 * Part of the dashboard script's closure (uses its `$`, `h`, `getJson`, `post`, `setText`). Kept free of backticks
 * and dollar-brace, like DASHBOARD_SCRIPT.
 */
export const PLAN_PANEL_SCRIPT = `
  var PLAN_ACTIONS = ['register', 'update', 'recreate', 'unchanged', 'blocked', 'conflict'];
  var currentPlan = null;
  function clearRows(id) { var body = $(id); while (body.firstChild) body.removeChild(body.firstChild); return body; }
  function planDetail(p) {
    if (p.fields) return p.fields.join(', ');
    if (p.blocked) return p.blocked;
    if (p.rolloutId) return 'in flight: ' + p.rolloutId;
    if (p.refused) return 'refused without --recreate';
    if (p.adoption) return 'may adopt an existing app';
    return '';
  }
  function renderPlan(plan) {
    currentPlan = plan;
    var counts = clearRows('plan-counts');
    var byCode = plan.summary.byCode;
    Object.keys(byCode).sort().concat(['total']).forEach(function (code) {
      var c = code === 'total' ? plan.summary.totals : byCode[code];
      counts.appendChild(h('tr', null, [h('td', { text: code })].concat(PLAN_ACTIONS.map(function (a) { return h('td', { text: String(c[a]) }); }))));
    });
    $('plan-apply').hidden = false;
    return getJson('/api/plans/' + encodeURIComponent(plan.id) + '?limit=20').then(function (page) {
      var rows = clearRows('plan-pairs');
      page.pairs.forEach(function (p) {
        rows.appendChild(h('tr', null, [h('td', { text: p.domain }), h('td', { text: p.code }), h('td', { text: p.action }), h('td', { text: planDetail(p) })]));
      });
      setText('plan-flash', 'plan ' + plan.id + ': ' + plan.summary.pairs + ' pairs (first ' + page.pairs.length + ' shown)');
    });
  }
  if ($('plan-make')) {
    $('plan-make').addEventListener('click', function () {
      setText('plan-flash', 'planning…');
      post('/api/plans', {}).then(function (r) {
        if (r.status === 201) return renderPlan(r.body);
        setText('plan-flash', r.body.message || 'plan refused');
      }, function () { setText('plan-flash', 'plan failed: no connection'); });
    });
    $('plan-apply').addEventListener('click', function () {
      if (!currentPlan) return;
      var t = currentPlan.summary.totals;
      if (!window.confirm('Apply plan ' + currentPlan.id + '? ' + t.register + ' register, ' + t.update + ' update, ' + t.recreate + ' recreate.')) return;
      $('plan-apply').disabled = true;
      post('/api/plans/' + encodeURIComponent(currentPlan.id) + '/apply').then(function (r) {
        $('plan-apply').disabled = false;
        setText('plan-flash', r.status === 200 ? 'queued as rollout ' + r.body.rolloutId + ': ' + r.body.counts.queued + ' queued' : (r.body.message || 'apply refused').split('\\n')[0]);
      }, function () { $('plan-apply').disabled = false; setText('plan-flash', 'apply failed: no connection'); });
    });
  }
`;
