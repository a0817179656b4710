// caselink console: fetches the JSON API and renders it. Case data comes from outside parties,
// so every value reaches the page as text (textContent, never innerHTML) or as an ECharts
// option value; links are built from encodeURIComponent'ed ids.
'use strict';

// The pages of the navigation. Further pages (class cases, reports) are added here and as a
// route in services/daemons/console/routes.cc (docs/services/console.md, "Adding a page").
const PAGES = [
  { id: 'cases', href: '/', title: 'Cases' },
  { id: 'recommendations', href: '/recommendations', title: 'Recommendations' },
  { id: 'classcases', href: '/classcases', title: 'Class cases' },
  { id: 'ops', href: '/ops', title: 'Operations' },
];

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function row(tbody, cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === undefined || cell === null ? '' : String(cell);
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
}

function caseLink(id) {
  const a = el('a', id);
  a.href = '/case?id=' + encodeURIComponent(id);
  return a;
}

function fact(dl, name, value) {
  dl.appendChild(el('dt', name));
  dl.appendChild(el('dd', value === undefined || value === null || value === '' ? '—' : value));
}

function strip(value, prefix) {
  if (!value) return '';
  return String(value).startsWith(prefix) ? String(value).slice(prefix.length) : String(value);
}

function when(iso) {
  return iso ? String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '';
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
  return body;
}

function chart(id, option) {
  const node = document.getElementById(id);
  if (!node || typeof echarts === 'undefined') return;
  const instance = echarts.init(node, null, { renderer: 'canvas' });
  instance.setOption(Object.assign({ animation: false, tooltip: {} }, option));
}

function barChart(id, title, counts) {
  const names = Object.keys(counts);
  chart(id, {
    title: { text: title, textStyle: { fontSize: 13 } },
    grid: { left: 40, right: 10, bottom: 80 },
    xAxis: { type: 'category', data: names, axisLabel: { rotate: 30, fontSize: 10 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: names.map((n) => counts[n]) }],
  });
}

function pieChart(id, title, counts) {
  chart(id, {
    title: { text: title, textStyle: { fontSize: 13 } },
    series: [{ type: 'pie', radius: '60%', data: Object.keys(counts).map((n) => ({ name: n, value: counts[n] })) }],
  });
}

function fillSelect(id, values, current) {
  const select = document.getElementById(id);
  for (const value of values) {
    const option = el('option', value);
    option.value = value;
    select.appendChild(option);
  }
  select.value = current || '';
}

async function casesPage() {
  const params = new URLSearchParams(window.location.search);
  const all = await getJson('/api/cases');
  const shown = params.toString() ? await getJson('/api/cases?' + params.toString()) : all;
  const agencies = new Set();
  for (const c of all.cases) for (const a of c.agencies) agencies.add(a);
  fillSelect('f-agency', [...agencies].sort(), params.get('agency'));
  fillSelect('f-offence', Object.keys(all.counts.by_offence).sort(), params.get('offence'));
  fillSelect('f-status', Object.keys(all.counts.by_state).sort(), params.get('status'));
  document.getElementById('f-overdue').value = params.get('overdue') || '';
  document.getElementById('case-count').textContent = String(shown.count);
  document.getElementById('overdue-count').textContent = String(shown.counts.overdue);
  document.getElementById('missed-count').textContent = String(shown.counts.missed);
  const tbody = document.querySelector('#cases tbody');
  for (const c of shown.cases) {
    row(tbody, [caseLink(c.case_id), c.has_state ? c.state : '(no snapshot yet)', c.domain, c.offence, c.referring_agency,
      c.next_due_step ? c.next_due_step + ' — ' + c.next_due_text : '',
      c.overdue_deadlines > 0 ? el('span', c.overdue_deadlines, 'bad') : '0',
      c.missed_deadlines > 0 ? el('span', c.missed_deadlines, 'bad') : '0', c.alerts, when(c.last_event_at)]);
  }
  barChart('chart-state', 'Cases by state', shown.counts.by_state);
  barChart('chart-agency', 'Cases by referring agency', shown.counts.by_agency);
  barChart('chart-overdue', 'Cases and their deadlines', { cases: shown.count,
    'a deadline overdue now': shown.counts.overdue, 'missed a deadline': shown.counts.missed });
}

function caseFacts(c) {
  const dl = document.getElementById('facts');
  const s = c.state || {};
  fact(dl, 'State', strip(s.state, 'CASE_STATE_'));
  fact(dl, 'Version', s.version);
  fact(dl, 'Field', strip(s.domain, 'DOMAIN_'));
  fact(dl, 'Offence', s.offence_code);
  fact(dl, 'Parties', (s.parties || []).map((p) => p.party_id + ' (' + strip(p.role, 'PARTY_ROLE_') + ')').join(', '));
  fact(dl, 'Last event', when(s.last_event_occurred_at) + ' ' + (s.last_event_type || ''));
  const recognition = s.recognition || {};
  fact(dl, 'Recognized version', recognition.recognized_version || 0);
  const chain = c.hash_chain;
  const p = document.getElementById('chain');
  p.className = chain.ok ? 'ok' : 'bad';
  p.textContent = (chain.ok ? 'OK: ' : 'BROKEN at version ' + chain.broken_version + ': ') + chain.verified +
    ' of ' + chain.versions_present + ' version(s) recomputed from their events' +
    (chain.unverifiable ? ', ' + chain.unverifiable + ' no longer verifiable (events past retention)' : '') +
    (chain.problem ? ' — ' + chain.problem : '');
}

function caseTables(c) {
  const deadlines = document.querySelector('#deadlines tbody');
  for (const d of c.deadlines) {
    const status = strip(d.status, 'DEADLINE_STATUS_') + (d.missed ? ' (missed)' : '');
    const rule = d.rule || {};
    row(deadlines, [d.deadline_id, d.step, el('span', status, d.missed || status === 'OVERDUE' ? 'bad' : ''), when(d.due_at),
      d.due_text, d.responsible_party_id, [rule.rule_id, rule.version, rule.legal_source].filter(Boolean).join(' · ')]);
  }
  const timeline = document.querySelector('#timeline tbody');
  for (const e of c.timeline) {
    const sig = e.signature || {};
    row(timeline, [when(e.occurred_at), strip(e.event_type, 'caselink.v1.'), e.producer, e.summary,
      (sig.signer ? sig.signer + ': ' : '') + (sig.status || '')]);
  }
  const alerts = document.querySelector('#alerts tbody');
  for (const a of c.alerts) {
    row(alerts, [when(a.occurred_at), strip(a.kind, 'ALERT_KIND_'), strip(a.severity, 'ALERT_SEVERITY_'),
      strip(a.status, 'ALERT_STATUS_'), (a.addressed_to_party_ids || []).join(', ')]);
  }
  const ev = (c.state || {}).evidence || {};
  const dl = document.getElementById('evidence');
  fact(dl, 'Latest manifest', ev.latest_manifest_id);
  fact(dl, 'Receipt', strip(ev.receipt_status, 'RECEIPT_STATUS_'));
  fact(dl, 'Items', ev.item_count || 0);
  fact(dl, 'Missing categories', (ev.missing_categories || []).map((m) => strip(m, 'MATERIAL_CATEGORY_')).join(', '));
  fact(dl, 'Failed verification', ev.items_failed_verification || 0);
  fact(dl, 'Merkle root', ev.merkle_root_hex);
}

async function casePage() {
  const id = new URLSearchParams(window.location.search).get('id') || '';
  document.getElementById('case-id').textContent = id;
  const c = await getJson('/api/cases/' + encodeURIComponent(id));
  caseFacts(c);
  caseTables(c);
  const types = [...new Set(c.timeline.map((e) => strip(e.event_type, 'caselink.v1.')))];
  chart('chart-timeline', {
    title: { text: 'Events over time', textStyle: { fontSize: 13 } },
    grid: { left: 200, right: 20 },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: types },
    series: [{ type: 'scatter', symbolSize: 12,
      data: c.timeline.map((e) => [e.occurred_at, strip(e.event_type, 'caselink.v1.')]) }],
  });
}

async function recommendationsPage() {
  const r = await getJson('/api/recommendations');
  document.getElementById('rec-count').textContent = String(r.count);
  const tbody = document.querySelector('#recommendations tbody');
  for (const x of r.recommendations) {
    row(tbody, [x.recommendation_id, caseLink(x.case_id), strip(x.type, 'RECOMMENDATION_TYPE_'),
      strip(x.status, 'RECOMMENDATION_STATUS_'), x.recipient, when(x.reply_due_at), x.reply_due_text,
      strip(x.reply_outcome, 'REPLY_OUTCOME_'), x.class_case_id || '—']);
  }
  const byStatus = {};
  for (const k of Object.keys(r.by_status)) byStatus[strip(k, 'RECOMMENDATION_STATUS_')] = r.by_status[k];
  pieChart('chart-rec-status', 'Recommendations by status', byStatus);
}

function caseLinks(ids) {
  const span = document.createElement('span');
  ids.forEach((id, i) => {
    if (i > 0) span.appendChild(document.createTextNode(', '));
    span.appendChild(caseLink(id));
  });
  return span;
}

async function classCasesPage() {
  const r = await getJson('/api/classcases');
  document.getElementById('cc-count').textContent = String(r.count);
  const tbody = document.querySelector('#classcases tbody');
  for (const c of r.class_cases) {
    const group = [c.organ_id, c.offence_code, c.region_code, c.subject_id].filter((x) => x).join(' · ');
    row(tbody, [c.class_case_id, c.model_id + ' v' + c.model_version,
      c.basis + (c.basis_source ? ' (' + c.basis_source + ', ' + strip(c.confidence, 'CONFIDENCE_') + ')' : ''),
      group, c.window, when(c.opened_at), c.member_count, caseLinks(c.members.map((m) => m.case_id)),
      c.recommendation_id ? caseLink(c.class_case_id) : '—']);
  }
  barChart('chart-cc-model', 'Class cases by model', r.by_model);
}

async function opsPage() {
  const o = await getJson('/api/ops');
  document.getElementById('taken-at').textContent = (o.taken_at ? 'Readiness as of ' + when(o.taken_at) : 'First probes still running') +
    (o.lag_taken_at ? ', lag as of ' + when(o.lag_taken_at) : ', lag not read yet');
  const services = document.querySelector('#services tbody');
  for (const s of o.services) {
    row(services, [s.name, el('span', s.ready ? 'ready' : 'NOT READY', s.ready ? 'ok' : 'bad'), s.status || '—', s.detail]);
  }
  document.getElementById('lag-error').textContent = o.lag_error || '';
  const lag = document.querySelector('#lag tbody');
  for (const p of o.lag.partitions) {
    row(lag, [p.group, p.topic, p.partition, p.committed, p.end, p.lag, el('span', p.verdict, p.verdict === 'OK' ? 'ok' : 'bad')]);
  }
  document.getElementById('dlq-total').textContent = String(o.dlq.total);
  const dlq = document.querySelector('#dlq tbody');
  for (const reason of Object.keys(o.dlq.by_reason)) row(dlq, [reason, o.dlq.by_reason[reason]]);
  barChart('chart-lag', 'Lag by consumer group (records)', o.lag_by_group);
  barChart('chart-dlq', 'Dead letters by reason', o.dlq.by_reason);
}

function nav(current) {
  const node = document.getElementById('nav');
  for (const p of PAGES) {
    const a = el('a', p.title, p.id === current ? 'current' : '');
    a.href = p.href;
    node.appendChild(a);
  }
}

function showError(error) {
  const main = document.querySelector('main');
  main.insertBefore(el('section', 'Could not load: ' + error.message, 'bad'), main.firstChild);
  document.body.dataset.loaded = 'error';
}

document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  nav(page);
  const run = { cases: casesPage, case: casePage, recommendations: recommendationsPage, classcases: classCasesPage,
    ops: opsPage }[page];
  // data-loaded tells the browser test (and anyone scripting the console) that rendering ended.
  run().then(() => { document.body.dataset.loaded = 'yes'; }, showError);
});
