// Call history for supervisors: one day's (or a range of days') calls,
// newest first, by queue, with each call's recording: its state, a player,
// a download, and for admins a delete.
import { get, del } from './api.js';
import { h, replace, dur, params } from './util.js';

const OUTCOMES = {
  completed: 'Answered', transferred: 'Transferred', connected: 'On call', waiting: 'Waiting',
  abandoned: 'Abandoned', 'callback-failed': 'Callback failed', returned: 'Called back (same place)', timeout: 'Timed out', refused: 'Refused',
};

export async function showCalls(main, session) {
  const admin = session.user.role === 'admin';
  const today = new Date().toLocaleDateString('en-CA'); // YYYY-MM-DD, the API's date form
  const p = params();
  const from = h('input', { type: 'date', value: p.get('from') || today, 'data-testid': 'calls-from' });
  const to = h('input', { type: 'date', value: p.get('to') || today, 'data-testid': 'calls-to' });
  const queueSel = h('select', { 'data-testid': 'calls-queue' }, h('option', { value: '' }, 'All queues'));
  const number = h('input', { type: 'search', value: p.get('number') || '', placeholder: 'digits', size: '12', 'data-testid': 'calls-number' });
  const agent = h('input', { type: 'search', value: p.get('agent') || '', placeholder: 'login', size: '10', 'data-testid': 'calls-agent' });
  const outcome = h('select', { 'data-testid': 'calls-outcome' }, h('option', { value: '' }, 'Any outcome'),
    Object.entries(OUTCOMES).map(([v, t]) => h('option', { value: v, selected: v === p.get('outcome') }, t)));
  const csvLink = h('a', { 'data-testid': 'calls-csv', download: '' }, 'Download CSV');
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'calls-status' });
  const body = h('tbody', {});
  const form = h('form', { class: 'filters', 'aria-label': 'Which calls' },
    h('label', {}, 'From ', from), h('label', {}, 'To ', to), h('label', {}, 'Queue ', queueSel),
    h('label', {}, 'Number ', number), h('label', {}, 'Agent ', agent), h('label', {}, 'Outcome ', outcome),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'calls-show' }, 'Show'), csvLink);
  replace(main, h('section', { class: 'card calls' },
    h('h1', {}, 'Calls'), form, status,
    h('table', { class: 'list calls-table', 'data-testid': 'calls-table' },
      h('thead', {}, h('tr', {},
        ['Joined', 'Queue', 'Caller', 'Agent', 'Outcome', 'Wait', 'Talk', 'Recording'].map((t) => h('th', { scope: 'col' }, t)))),
      body)));

  try {
    const qs = await get('/api/queues');
    for (const q of qs) {
      const name = q.config.name;
      queueSel.append(h('option', { value: name, selected: name === p.get('queue') }, name));
    }
  } catch { /* the list still works for all queues */ }

  async function load() {
    status.textContent = 'Loading…';
    status.className = 'status';
    const q = new URLSearchParams({ from: from.value, to: to.value, limit: '1000' });
    if (queueSel.value) q.set('queue', queueSel.value);
    if (number.value.trim()) q.set('number', number.value.trim());
    if (agent.value.trim()) q.set('agent', agent.value.trim());
    if (outcome.value) q.set('outcome', outcome.value);
    const all = new URLSearchParams(q);
    all.delete('limit');
    all.set('format', 'csv');
    csvLink.href = `/api/calls?${all}`;
    history.replaceState(null, '', `/calls?${q}`);
    let calls;
    try {
      calls = await get(`/api/calls?${q}`);
    } catch (e) {
      status.textContent = e.message;
      status.className = 'status error';
      return;
    }
    calls.reverse(); // newest first
    status.textContent = `${calls.length} call${calls.length === 1 ? '' : 's'}${calls.length === 1000 ? ' (the first 1,000: choose fewer days)' : ''}`;
    replace(body, calls.length ? calls.map(row) : h('tr', {}, h('td', { colspan: '8', class: 'muted' }, 'No calls.')));
  }

  // The call's timeline, under its row: joined, announcements, each agent
  // rung and how that ended, answered, moves, transfer, end and who hung up.
  function timeline(c) {
    const t = (iso) => new Date(iso).toLocaleTimeString();
    const steps = [[c.joined_at, `joined ${c.queue} at position ${c.join_position}`]];
    for (const a of c.announcements || []) steps.push([a.at, a.kind === 'periodic' ? 'heard the periodic announcement' : `told its position (${a.position}) and wait`]);
    for (const m of c.moves || []) steps.push([m.at, `moved from ${m.from} to ${m.to}`]);
    if (c.callback) {
      steps.push([c.callback.requested_at, `asked to be called back at ${c.callback.number}, keeping its place`]);
      (c.callback.tries || []).forEach((t, i) => steps.push([t.at, `callback try ${i + 1}${t.agent ? ` (${t.agent} waiting)` : ''}: ${t.result || 'ringing'}`]));
    }
    if (c.return_of) steps.push([c.joined_at, `called back after hanging up, in its earlier place (${c.return_of})`]);
    for (const g of c.rings || []) steps.push([g.at, `rang ${g.agent}${g.result ? `: ${g.result}${g.ended ? ` after ${dur((Date.parse(g.ended) - Date.parse(g.at)) / 1000)}` : ''}` : ''}`]);
    if (c.answered_at) steps.push([c.answered_at, `answered by ${c.agent} after ${dur(c.wait)}`]);
    if (c.transfer) steps.push([c.transfer.at, `transferred by the ${c.transfer.by} to ${c.transfer.exten || c.transfer.attended || ''}`]);
    for (const m of c.monitors || []) steps.push([m.from, `${m.supervisor} ${m.modes.join(' → ')}`]);
    if (c.ended_at) steps.push([c.ended_at, `ended: ${OUTCOMES[c.outcome] || c.outcome}${c.completed_by ? `, hung up by the ${c.completed_by}` : ''}${c.returned_as ? `; took its place again as ${c.returned_as}` : ''}`]);
    steps.sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]));
    if ((c.offers || 0) > (c.rings || []).length) steps.push([null, `${c.offers} rings in all`]);
    if ((c.announced || 0) > (c.announcements || []).length) steps.push([null, `${c.announced} announcements in all`]);
    return h('ol', { class: 'timeline', 'data-testid': 'call-timeline' }, steps.map(([at, text]) => h('li', {}, at ? h('time', {}, t(at)) : null, ' ', text)));
  }

  function row(c) {
    const details = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'data-testid': 'call-details',
      onclick: () => {
        const open = details.getAttribute('aria-expanded') === 'true';
        details.setAttribute('aria-expanded', String(!open));
        const next = tr.nextElementSibling;
        if (open) { if (next?.classList.contains('timeline-row')) next.remove(); return; }
        tr.after(h('tr', { class: 'timeline-row' }, h('td', { colspan: '8' }, timeline(c))));
      } }, new Date(c.joined_at).toLocaleString());
    const tr = h('tr', { 'data-testid': 'call-row', dataset: { call: c.id } },
      h('td', {}, details),
      h('td', {}, c.queue),
      h('td', {}, `${c.number || ''} ${c.name || ''}`.trim() || 'unknown'),
      h('td', {}, c.agent || '—'),
      h('td', {}, OUTCOMES[c.outcome] || c.outcome,
        (c.monitors || []).length ? h('small', { class: 'muted', 'data-testid': 'call-monitors' }, h('br'),
          c.monitors.map((m) => `${m.supervisor}: ${m.modes.join(' → ')} ${new Date(m.from).toLocaleTimeString()}${m.until ? `–${new Date(m.until).toLocaleTimeString()}` : ''}`).join('; ')) : null),
      h('td', {}, dur(c.wait)),
      h('td', {}, c.talk ? dur(c.talk) : '—'),
      h('td', { class: 'recording-cell' }, recordingCell(c)));
    return tr;
  }

  function recordingCell(c) {
    const r = c.recording;
    if (!r) return h('span', { class: 'muted' }, '—');
    const path = `/api/calls/${encodeURIComponent(c.id)}/recording`;
    const pauses = (r.pauses || []).length
      ? h('small', { class: 'muted', 'data-testid': 'recording-pauses' }, ` paused ${r.pauses.length}×: `,
        r.pauses.map((x) => `${new Date(x.at).toLocaleTimeString()}${x.until ? `–${new Date(x.until).toLocaleTimeString()}` : ''} (${x.by})`).join(', '))
      : null;
    switch (r.state) {
      case 'recording':
      case 'paused':
        return h('span', { 'data-testid': 'recording-live' }, r.state === 'paused' ? 'Recording (paused)' : 'Recording…', pauses);
      case 'deleted':
        return h('span', { class: 'muted', 'data-testid': 'recording-deleted' },
          `Deleted by ${r.deleted_by} ${new Date(r.deleted_at).toLocaleDateString()}`);
    }
    const cell = h('span', {});
    const failed = r.state === 'failed' ? h('span', { class: 'error', 'data-testid': 'recording-error', title: r.error }, 'Failed: ', r.error, ' ') : null;
    const play = h('button', {
      type: 'button', 'data-testid': 'recording-play',
      onclick: () => {
        // The player is made on demand: a page of calls loads no audio.
        const audio = h('audio', { controls: true, preload: 'auto', src: path, 'data-testid': 'recording-audio' });
        audio.addEventListener('error', async () => {
          // The element says nothing of why: ask the API, which does.
          let why = 'cannot be played';
          try { await get(path); } catch (e) { why = e.message; }
          audio.replaceWith(h('span', { class: 'error', 'data-testid': 'recording-unplayable' }, why));
        });
        play.replaceWith(audio);
        audio.play().catch(() => { /* autoplay refused: the controls are there */ });
      },
    }, `▶ Play ${dur(r.duration)}`);
    const download = h('a', { href: `${path}?download=1`, download: '', 'data-testid': 'recording-download' }, 'Download');
    const remove = admin ? h('button', {
      type: 'button', class: 'danger quiet', 'data-testid': 'recording-delete',
      onclick: async () => {
        if (!confirm(`Delete the recording of this call from ${c.number || 'unknown'}? This cannot be undone.`)) return;
        try { await del(path); await load(); } catch (e) { status.textContent = e.message; status.className = 'status error'; }
      },
    }, 'Delete') : null;
    replace(cell, failed, play, ' ', download, ' ', remove, pauses);
    return cell;
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  load();
}
