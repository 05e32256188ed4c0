// Call history for supervisors: one day's (or a range of days') calls,
// newest first, by queue, with each call's recording: its state, a player,
// a download, and for admins a delete.
import { get, del } from './api.js';
import { h, replace, dur, params } from './util.js';

const OUTCOMES = {
  completed: 'Answered', transferred: 'Transferred', connected: 'On call', waiting: 'Waiting',
  abandoned: 'Abandoned', timeout: 'Timed out', refused: 'Refused',
};

export async function showCalls(main, session) {
  const admin = session.user.role === 'admin';
  const today = new Date().toLocaleDateString('en-CA'); // YYYY-MM-DD, the API's date form
  const p = params();
  const from = h('input', { type: 'date', value: p.get('from') || today, 'data-testid': 'calls-from' });
  const to = h('input', { type: 'date', value: p.get('to') || today, 'data-testid': 'calls-to' });
  const queueSel = h('select', { 'data-testid': 'calls-queue' }, h('option', { value: '' }, 'All queues'));
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'calls-status' });
  const body = h('tbody', {});
  const form = h('form', { class: 'filters', 'aria-label': 'Which calls' },
    h('label', {}, 'From ', from), h('label', {}, 'To ', to), h('label', {}, 'Queue ', queueSel),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'calls-show' }, 'Show'));
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

  function row(c) {
    return h('tr', { 'data-testid': 'call-row', dataset: { call: c.id } },
      h('td', {}, new Date(c.joined_at).toLocaleString()),
      h('td', {}, c.queue),
      h('td', {}, `${c.number || ''} ${c.name || ''}`.trim() || 'unknown'),
      h('td', {}, c.agent || '—'),
      h('td', {}, OUTCOMES[c.outcome] || c.outcome,
        (c.monitors || []).length ? h('small', { class: 'muted', 'data-testid': 'call-monitors' }, h('br'),
          c.monitors.map((m) => `${m.supervisor}: ${m.modes.join(' → ')} ${new Date(m.from).toLocaleTimeString()}${m.until ? `–${new Date(m.until).toLocaleTimeString()}` : ''}`).join('; ')) : null),
      h('td', {}, dur(c.wait)),
      h('td', {}, c.talk ? dur(c.talk) : '—'),
      h('td', { class: 'recording-cell' }, recordingCell(c)));
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
