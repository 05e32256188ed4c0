// Reports for supervisors: a range of the site's days (presets or custom),
// an interval, queues; the queues' and agents' figures as tables and a
// chart, each table downloadable as CSV from the same API.
import { get } from './api.js';
import { h, replace, dur, params } from './util.js';
import { rangeChart } from './chart.js';

const day = (d) => d.toLocaleDateString('en-CA'); // YYYY-MM-DD, the API's date form

function preset(name) {
  const today = new Date();
  const back = (n) => { const d = new Date(today); d.setDate(d.getDate() - n); return d; };
  switch (name) {
    case 'yesterday': return [day(back(1)), day(back(1))];
    case '7': return [day(back(6)), day(today)];
    case '30': return [day(back(29)), day(today)];
    default: return [day(today), day(today)];
  }
}

const pctCell = (v) => (v == null ? '–' : `${v.toFixed(1)}%`);

// A bar behind the figure; set through the CSSOM, which the page's CSP
// allows where a style attribute is not.
function occupancy(v) {
  const el = h('span', { class: 'occupancy' }, pctCell(v));
  el.style.setProperty('--occ', `${Math.round(v || 0)}%`);
  return el;
}

const WAIT_LABELS = ['up to 10 s', '10–20 s', '20–30 s', '30 s–1 min', '1–2 min', '2–5 min', 'over 5 min'];

// How long the answered callers waited: one bar per band, its count and
// share; bars set through the CSSOM (CSP).
function waitChart(hist) {
  const total = hist.reduce((n, v) => n + v, 0);
  const rows = WAIT_LABELS.map((name, i) => {
    const n = hist[i] || 0;
    const bar = h('span', { class: 'wait-bar' });
    bar.style.setProperty('--w', `${total ? (100 * n) / total : 0}%`);
    return h('tr', { 'data-testid': 'wait-band' }, h('th', { scope: 'row' }, name), h('td', { class: 'wait-bar-cell' }, bar),
      h('td', {}, `${n}${total ? ` (${Math.round((100 * n) / total)}%)` : ''}`));
  });
  return h('figure', { class: 'wait-chart', 'data-testid': 'wait-chart' },
    h('figcaption', {}, `Wait before answer, ${total} answered call${total === 1 ? '' : 's'}`),
    h('table', { class: 'list' }, h('tbody', {}, rows)));
}

export async function showReports(main) {
  const p = params();
  const [f0, t0] = preset(p.get('range') || 'today');
  const range = h('select', { 'data-testid': 'report-range' },
    [['today', 'Today'], ['yesterday', 'Yesterday'], ['7', 'Last 7 days'], ['30', 'Last 30 days'], ['custom', 'Custom']]
      .map(([v, t]) => h('option', { value: v, selected: v === (p.get('range') || 'today') }, t)));
  const from = h('input', { type: 'date', value: p.get('from') || f0, 'data-testid': 'report-from' });
  const to = h('input', { type: 'date', value: p.get('to') || t0, 'data-testid': 'report-to' });
  const interval = h('select', { 'data-testid': 'report-interval' },
    [['15m', '15 minutes'], ['hour', 'Hour'], ['day', 'Day'], ['week', 'Week']].map(([v, t]) => h('option', { value: v, selected: v === (p.get('interval') || 'hour') }, t)));
  const queuesSel = h('select', { multiple: true, size: '3', 'data-testid': 'report-queues', 'aria-label': 'Queues (none chosen: all)' });
  const agentsSel = h('select', { multiple: true, size: '3', 'data-testid': 'report-agents', 'aria-label': 'Agents (none chosen: the chosen queues\' members, or all)' });
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'report-status' });
  const chartBox = h('div', {});
  const queueBox = h('div', {});
  const agentBox = h('div', {});
  range.addEventListener('change', () => {
    if (range.value === 'custom') return;
    [from.value, to.value] = preset(range.value);
  });
  for (const el of [from, to]) el.addEventListener('change', () => { range.value = 'custom'; });
  const form = h('form', { class: 'filters', 'aria-label': 'Report' },
    h('label', {}, 'Range ', range), h('label', {}, 'From ', from), h('label', {}, 'To ', to),
    h('label', {}, 'By ', interval), h('label', {}, 'Queues ', queuesSel), h('label', {}, 'Agents ', agentsSel),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'report-show' }, 'Show'));
  replace(main, h('section', { class: 'card reports' }, h('h1', {}, 'Reports'), form, status, chartBox,
    h('h2', {}, 'Queues'), queueBox, h('h2', {}, 'Agents'), agentBox));
  const wanted = (name) => new Set((p.get(name) || '').split(',').filter(Boolean));
  const [wantQueues, wantAgents] = [wanted('queue'), wanted('agent')];
  // Agents by id: their names for the table, their queues for picking the
  // members of the chosen queues.
  let agents = [];
  try {
    const [qs, as] = await Promise.all([get('/api/queues'), get('/api/agents')]);
    for (const q of qs) queuesSel.append(h('option', { value: q.config.name, selected: wantQueues.has(q.config.name) }, q.config.name));
    agents = as.map((a) => a.config).sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
    for (const a of agents) agentsSel.append(h('option', { value: a.id, selected: wantAgents.has(a.id) }, a.name ? `${a.name} (${a.id})` : a.id));
  } catch { /* all queues and agents then */ }
  const nameOf = new Map(agents.map((a) => [a.id, a.name]));

  const label = (t) => {
    const d = new Date(t);
    switch (interval.value) {
      case 'day': return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
      case 'week': return `w/c ${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
      default: return from.value === to.value ? d.toTimeString().slice(0, 5) : `${d.getDate()}/${d.getMonth() + 1} ${d.toTimeString().slice(0, 5)}`;
    }
  };

  async function load() {
    const q = new URLSearchParams({ from: from.value, to: to.value, interval: interval.value });
    const chosen = [...queuesSel.selectedOptions].map((o) => o.value);
    if (chosen.length) q.set('queue', chosen.join(','));
    let who = [...agentsSel.selectedOptions].map((o) => o.value);
    const page = new URLSearchParams(q);
    if (who.length) page.set('agent', who.join(','));
    else if (chosen.length) who = agents.filter((a) => (a.queues || []).some((m) => chosen.includes(m.queue))).map((a) => a.id);
    // The agents' report for exactly these agents (the API's default is all).
    const aq = new URLSearchParams(q);
    if (who.length) aq.set('agent', who.join(','));
    page.set('range', range.value);
    history.replaceState(null, '', `/reports?${page}`);
    status.textContent = 'Loading…';
    status.className = 'status';
    let qr, ar;
    try {
      [qr, ar] = await Promise.all([get(`/api/reports/queues?${q}`), get(`/api/reports/agents?${aq}`)]);
    } catch (e) {
      status.textContent = e.fields ? Object.values(e.fields).join('; ') : e.message;
      status.className = 'status error';
      return;
    }
    status.textContent = `${from.value === to.value ? from.value : `${from.value} to ${to.value}`}: ${qr.total.offered} offered, ${qr.total.answered} answered, service level ${pctCell(qr.total.service_level_pct)}`;
    replace(chartBox, rangeChart(qr.rows, label), waitChart(qr.total.wait_hist || []));
    const csv = (path, args) => h('a', { href: `${path}?${args}&format=csv`, download: '', 'data-testid': `csv-${path.split('/').pop()}` }, 'Download CSV');
    replace(queueBox, csv('/api/reports/queues', q), h('table', { class: 'list report-table', 'data-testid': 'report-queues-table' },
      h('thead', {}, h('tr', {}, ['Queue', 'Offered', 'Answered', 'In SL', 'SL %', 'Abandoned', 'Short', 'Timed out', 'Exited', 'Callbacks', 'ASA', 'Longest wait', 'AHT']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, [...qr.totals, { ...qr.total, queue: 'All queues', total: true }].map((r) => h('tr', { class: r.total ? 'total' : '', 'data-testid': 'report-queue-row', dataset: { queue: r.queue } },
        h('th', { scope: 'row' }, r.queue), h('td', {}, r.offered), h('td', {}, r.answered), h('td', {}, r.answered_in_sl),
        h('td', { 'data-testid': 'report-sl' }, pctCell(r.service_level_pct)), h('td', {}, r.abandoned), h('td', {}, r.abandoned_short), h('td', {}, r.timed_out),
        h('td', {}, r.exited), h('td', { title: `${r.callbacks_failed || 0} gave up` }, r.callbacks || 0), h('td', {}, dur(r.asa)), h('td', {}, dur(r.longest_wait)), h('td', {}, dur(r.aht)))))));
    replace(agentBox, csv('/api/reports/agents', aq), ar.totals.length ? h('table', { class: 'list report-table', 'data-testid': 'report-agents-table' },
      h('thead', {}, h('tr', {}, ['Agent', 'Calls', 'Missed', 'Talk', 'Wrap-up', 'Paused', 'By reason', 'Logged in', 'Occupancy', 'Calls/hour', 'AHT']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ar.totals.map((r) => h('tr', { 'data-testid': 'report-agent-row', dataset: { agent: r.agent } },
        h('th', { scope: 'row' }, nameOf.get(r.agent) ? `${nameOf.get(r.agent)} (${r.agent})` : r.agent), h('td', {}, r.calls), h('td', {}, r.no_answers), h('td', {}, dur(r.talk)), h('td', {}, dur(r.wrap_up)),
        h('td', {}, dur(r.paused)),
        h('td', { 'data-testid': 'report-pauses' }, Object.entries(r.paused_by || {}).sort().map(([k, v]) => `${k || 'no reason'} ${dur(v)}`).join(', ') || '–'),
        h('td', {}, dur(r.logged_in)),
        h('td', {}, occupancy(r.occupancy_pct)),
        h('td', {}, r.calls_per_hour.toFixed(1)), h('td', {}, dur(r.aht))))))
      : h('p', { class: 'muted' }, 'No agent figures in this range.'));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  load();
}
