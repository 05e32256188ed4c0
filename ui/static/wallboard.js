// The supervisor wallboard: queue tiles with their callers in order
// (reorder by drag and drop or keyboard, a menu per caller), the agents
// board, and today's chart by interval. ?wall=1 is the TV: big type, no
// controls.
import { get, post, put, del } from './api.js';
import { Live, connectionBanner } from './live.js';
import { h, replace, since, statePill, dur, pct, announce, syncList, keepFocus, changed, onTick, serverNow, clock, MS, recordingBadge } from './util.js';
import { dayChart } from './chart.js';

const MONITOR_WORDS = { listen: 'listening', whisper: 'whispering', barge: 'on the call' };

export function showWallboard(main, session, { wall, signal }) {
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'action-status' });
  const queuesBox = h('div', { class: 'queues', 'data-testid': 'queues' });
  const agentsBody = h('tbody', {});
  const agentsBox = h('section', { class: 'card agents', 'aria-labelledby': 'agents-h' },
    h('h2', { id: 'agents-h' }, 'Agents'),
    h('table', { class: 'agents-table', 'data-testid': 'agents-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Agent'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Caller'),
        h('th', { scope: 'col' }, 'Queues (penalty)'), h('th', { scope: 'col', class: 'control' }, 'Actions'))),
      agentsBody));
  const chartBox = h('section', { class: 'card chart', 'aria-labelledby': 'chart-h' }, h('h2', { id: 'chart-h' }, 'Today by 15 minutes'));
  // Tile figures other than the live counts are today's, since local midnight.
  const help = wall ? null : h('p', { class: 'muted keys' }, 'Keyboard: Tab to a queue\u2019s callers, \u2191/\u2193 between them, Alt+\u2191/\u2193 to move one, type a position then Enter, M for its actions.');
  // With several Asterisk servers: which are connected (a server that is
  // down has taken its callers with it; its agents are unavailable).
  const serversBox = h('p', { class: 'servers', 'data-testid': 'servers', hidden: true, 'aria-live': 'polite' });
  replace(main, h('div', { class: 'wallboard' }, help, status, serversBox, queuesBox, chartBox, agentsBox));

  let snap = null;
  let selected = null; // caller id chosen with the keyboard
  let typed = '';      // digits typed on a selected card: a position
  const act = async (label, fn) => {
    status.textContent = '';
    status.className = 'status';
    try {
      await fn();
      return true;
    } catch (e) {
      const fields = e.fields && Object.keys(e.fields).length ? ` (${Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join('; ')})` : '';
      status.textContent = `${label}: ${e.message}${fields}`;
      status.className = 'status error';
      return false;
    }
  };

  // --- queues and callers ---------------------------------------------------

  function queueTile(q) {
    const list = h('ol', { class: 'callers', role: 'listbox', 'aria-label': `Callers waiting in ${q.config.name}`, dataset: { queue: q.config.name } });
    list.addEventListener('dragover', (ev) => onDragOver(ev, list));
    list.addEventListener('dragleave', () => list.classList.remove('drop-target'));
    list.addEventListener('drop', (ev) => onDrop(ev, list));
    return h('section', { class: 'card queue-tile', 'data-testid': 'queue-tile', dataset: { queue: q.config.name } },
      h('h2', {}, q.config.name, h('span', { class: 'strategy muted' }, ` ${q.config.strategy}`)),
      h('dl', { class: 'figures' }),
      list);
  }

  function updateTile(tile, q) {
    const rt = q.realtime || {};
    const t = rt.today || {};
    const a = rt.agents || {};
    const oldest = q.callers.reduce((m, c) => (!m || Date.parse(c.joined_at) < Date.parse(m) ? c.joined_at : m), null);
    const key = JSON.stringify([rt, oldest, q.callers.length, q.config.servicelevel]);
    if (changed(tile.querySelector('dl'), key)) {
      const sl = q.config.servicelevel * MS;
      replace(tile.querySelector('dl'),
        fig('Waiting', h('span', { 'data-testid': 'queue-waiting' }, q.callers.length)),
        fig('Longest wait', oldest ? h('span', { class: 'longest', 'data-testid': 'queue-longest', dataset: { from: oldest, sl } }) : '–'),
        fig('Ready', a.available || 0), fig('On call', (a['on-call'] || 0) + (a.ringing || 0)), fig('Paused', a.paused || 0),
        fig('Offered', h('span', { 'data-testid': 'queue-offered' }, t.offered || 0)),
        fig('Answered', h('span', { 'data-testid': 'queue-answered' }, t.answered || 0)),
        fig('Abandoned', h('span', { 'data-testid': 'queue-abandoned' }, `${t.abandoned || 0}${t.offered ? ` (${pct((100 * t.abandoned) / t.offered)})` : ''}`)),
        fig('Service level', h('span', { 'data-testid': 'queue-sl' }, pct(rt.service_level))),
        fig('Avg answer', t.answered ? dur(t.wait_sum / t.answered) : '–'),
        fig('Avg handle', t.answered ? dur((t.talk_sum + t.wrap_sum) / t.answered) : '–'),
        fig('Max wait', t.wait_max ? dur(t.wait_max) : '–'));
      tickLongest(tile);
    }
    const list = tile.querySelector('ol');
    if (!q.callers.length) {
      if (changed(list, 'empty')) replace(list, h('li', { class: 'muted empty', dataset: { key: '' } }, 'Nobody waiting'));
      return;
    }
    list._renderKey = null;
    syncList(list, q.callers, (c) => c.id, callerCard, updateCard);
  }

  const fig = (label, value) => h('div', { class: 'fig' }, h('dt', {}, label), h('dd', {}, value));

  function tickLongest(root = queuesBox) {
    for (const el of root.querySelectorAll('.longest')) {
      const waited = serverNow() - Date.parse(el.dataset.from);
      const sl = Number(el.dataset.sl);
      let level = 'ok', word = '';
      if (sl > 0 && waited > sl) { level = 'over'; word = ' over SL'; } else if (sl > 0 && waited > sl / 2) { level = 'near'; word = ' near SL'; }
      el.className = `longest level-${level}`;
      el.dataset.level = level;
      el.title = word.trim();
      el.textContent = clock(waited) + word;
    }
  }
  signal?.addEventListener('abort', onTick(() => tickLongest()));

  function callerCard(c) {
    const card = h('li', {
      class: 'caller-card', 'data-testid': 'caller-card', role: 'option', tabindex: '0', draggable: wall ? null : 'true',
      'aria-keyshortcuts': 'Alt+ArrowUp Alt+ArrowDown M', dataset: { callerId: c.id },
    },
    h('span', { class: 'pos' }), h('span', { class: 'wait' }), h('span', { class: 'prio' }),
    h('span', { class: 'number', 'data-testid': 'caller-card-number' }), h('span', { class: 'name' }), h('span', { class: 'ringing' }),
    h('span', { class: 'callback', 'data-testid': 'caller-card-callback', hidden: true }),
    // Out of the tab order (M opens it from the card): three hundred
    // buttons would make the page a tab marathon.
    wall ? null : h('button', { type: 'button', class: 'control menu-button', tabindex: '-1', 'data-testid': 'caller-menu', 'aria-haspopup': 'dialog', 'aria-label': 'Actions', onclick: (ev) => { ev.stopPropagation(); openMenu(card); } }, '⋯'));
    card.addEventListener('dragstart', (ev) => {
      ev.dataTransfer.setData('text/plain', card.dataset.callerId);
      ev.dataTransfer.effectAllowed = 'move';
      card.classList.add('dragging');
    });
    card.addEventListener('dragend', () => card.classList.remove('dragging'));
    card.addEventListener('keydown', (ev) => onCardKey(ev, card));
    card.addEventListener('click', () => select(card.dataset.callerId));
    // Roving tab stop: one card per queue is in the tab order, the arrows do the rest.
    card.addEventListener('focus', () => {
      for (const other of card.parentElement?.children || []) if (other !== card && other.tabIndex === 0) other.tabIndex = -1;
      card.tabIndex = 0;
    });
    return card;
  }

  function updateCard(card, c) {
    card.dataset.position = c.position;
    card.dataset.queue = c.queue;
    card.setAttribute('aria-selected', String(selected === c.id));
    const list = card.parentElement;
    const holder = list && [...list.children].find((x) => x.tabIndex === 0 && x !== card);
    card.tabIndex = card === document.activeElement || (!holder && c.position === 1) ? 0 : -1;
    if (!changed(card, JSON.stringify([c.position, c.priority, c.number, c.name, c.joined_at, c.ringing, c.returned, c.callback, c.callback_attempts]))) return;
    card.setAttribute('aria-label', `Position ${c.position}, ${c.number || 'unknown'} ${c.name || ''}, priority ${c.priority}`);
    card.querySelector('.pos').textContent = `#${c.position}`;
    replace(card.querySelector('.wait'), since(c.joined_at));
    // "back": hung up and called again in time, so it holds its old place.
    card.querySelector('.prio').textContent = [c.returned ? 'back' : '', c.priority ? `P${c.priority}` : ''].filter(Boolean).join(' ');
    card.querySelector('.prio').title = c.returned ? 'Called back and holds its earlier place' : '';
    card.querySelector('.number').textContent = c.number || 'unknown';
    card.querySelector('.name').textContent = c.name || '';
    card.querySelector('.ringing').textContent = c.ringing?.length ? `☎ ${c.ringing.join(', ')}` : '';
    // A callback holds its place without its line: which number, and how it goes.
    const cb = card.querySelector('.callback');
    cb.textContent = c.callback ? `↻ callback ${c.callback_number || ''}${{ retry: ` · try ${c.callback_attempts} failed`, dialing: ' · dialling' }[c.callback] || ''}` : '';
    cb.hidden = !c.callback;
    card.classList.toggle('is-callback', !!c.callback);
  }

  function select(id) {
    selected = selected === id ? null : id;
    typed = '';
    for (const el of queuesBox.querySelectorAll('.caller-card')) el.setAttribute('aria-selected', String(el.dataset.callerId === selected));
  }

  function findCaller(id) {
    for (const q of snap?.queues || []) {
      const c = q.callers.find((x) => x.id === id);
      if (c) return [q, c];
    }
    return [null, null];
  }

  async function reorder(id, position) {
    const [q, c] = findCaller(id);
    if (!q) return;
    position = Math.max(1, Math.min(position, q.callers.length));
    if (position === c.position) return;
    if (await act('Reorder', () => post(`/api/callers/${encodeURIComponent(id)}/reorder`, { position, queue: q.config.name }))) {
      announce(`${c.number || 'Caller'} moved to position ${position} in ${q.config.name}`);
    }
  }

  function onCardKey(ev, card) {
    if (wall) return;
    const id = card.dataset.callerId;
    const pos = Number(card.dataset.position);
    if (ev.altKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
      ev.preventDefault();
      selected = id;
      reorder(id, ev.key === 'ArrowUp' ? pos - 1 : pos + 1);
    } else if (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') {
      ev.preventDefault();
      const sib = ev.key === 'ArrowUp' ? card.previousElementSibling : card.nextElementSibling;
      sib?.focus();
    } else if (ev.key === ' ' || (ev.key === 'Enter' && !typed)) {
      ev.preventDefault();
      select(id);
    } else if (/^[0-9]$/.test(ev.key)) {
      typed += ev.key;
      status.textContent = `Move to position ${typed}: press Enter`;
    } else if (ev.key === 'Enter' && typed) {
      ev.preventDefault();
      const p = Number(typed);
      typed = '';
      status.textContent = '';
      reorder(id, p);
    } else if (ev.key === 'Escape') {
      typed = '';
      status.textContent = '';
    } else if (ev.key === 'm' || ev.key === 'ContextMenu') {
      ev.preventDefault();
      openMenu(card);
    }
  }

  function dropIndex(ev, list, draggedId) {
    const cards = [...list.querySelectorAll('.caller-card')].filter((el) => el.dataset.callerId !== draggedId);
    let i = cards.length;
    for (let j = 0; j < cards.length; j++) {
      const r = cards[j].getBoundingClientRect();
      if (ev.clientY < r.top + r.height / 2) { i = j; break; }
    }
    return i;
  }

  function onDragOver(ev, list) {
    if (wall) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'move';
    list.classList.add('drop-target');
  }

  async function onDrop(ev, list) {
    ev.preventDefault();
    list.classList.remove('drop-target');
    const id = ev.dataTransfer.getData('text/plain');
    const [from] = findCaller(id);
    if (!from) return;
    const to = list.dataset.queue;
    const position = dropIndex(ev, list, id) + 1;
    if (from.config.name === to) {
      await reorder(id, position);
    } else if (await act('Move', () => post(`/api/callers/${encodeURIComponent(id)}/move`, { queue: to, keep_wait: true }))) {
      announce(`Caller moved to ${to}`);
    }
  }

  function openMenu(card) {
    closeMenus();
    const id = card.dataset.callerId;
    const [q, c] = findCaller(id);
    if (!q) return;
    const others = (snap?.queues || []).map((x) => x.config.name).filter((n) => n !== q.config.name);
    const moveTo = h('select', { 'aria-label': 'Move to queue', 'data-testid': 'move-queue' }, others.map((n) => h('option', { value: n }, n)));
    const prio = h('input', { type: 'number', min: '0', max: '1000', value: String(c.priority || 0), 'aria-label': 'Priority', 'data-testid': 'priority-input' });
    const target = h('input', { type: 'text', placeholder: 'exten or context,exten,1', 'aria-label': 'Redirect to', 'data-testid': 'redirect-input' });
    const close = () => { menu.remove(); card.classList.remove('menu-open'); card.focus(); };
    const done = (ok) => { if (ok) close(); };
    const menu = h('div', { class: 'menu control', role: 'dialog', 'aria-label': `Actions for ${c.number || id}`, 'data-testid': 'caller-menu-panel' },
      others.length ? h('div', { class: 'row' }, moveTo, h('button', { type: 'button', 'data-testid': 'move-button', onclick: async () => done(await act('Move', () => post(`/api/callers/${encodeURIComponent(id)}/move`, { queue: moveTo.value, keep_wait: true }))) }, 'Move')) : null,
      h('div', { class: 'row' }, prio, h('button', { type: 'button', 'data-testid': 'priority-button', onclick: async () => done(await act('Priority', () => post(`/api/callers/${encodeURIComponent(id)}/priority`, { priority: Number(prio.value) }))) }, 'Set priority')),
      h('div', { class: 'row' }, target, h('button', { type: 'button', 'data-testid': 'redirect-button', onclick: async () => done(await act('Redirect', () => post(`/api/callers/${encodeURIComponent(id)}/redirect`, { target: target.value.trim() }))) }, 'Send')),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'danger', 'data-testid': 'hangup-button', onclick: async () => { if (confirm(`Hang up ${c.number || id}?`)) done(await act('Hang up', () => post(`/api/callers/${encodeURIComponent(id)}/hangup`))); } }, 'Hang up'),
        h('button', { type: 'button', class: 'quiet', onclick: close }, 'Close')));
    menu.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.stopPropagation(); close(); } });
    menu.addEventListener('click', (ev) => ev.stopPropagation());
    menu.addEventListener('dragstart', (ev) => { ev.preventDefault(); ev.stopPropagation(); });
    card.append(menu);
    card.classList.add('menu-open');
    (menu.querySelector('select,input') || menu.querySelector('button')).focus();
  }

  function closeMenus() {
    for (const m of queuesBox.querySelectorAll('.menu')) m.remove();
    for (const c of queuesBox.querySelectorAll('.menu-open')) c.classList.remove('menu-open');
  }
  document.addEventListener('click', closeMenus, { signal });

  // --- agents -----------------------------------------------------------------

  const editing = new Set();
  // A pause reason chosen but not yet applied survives the row being drawn
  // again (a state update can come between choosing and clicking Pause).
  const pauseChoice = new Map();

  function agentRow(a) {
    return h('tr', { class: 'agent-row', 'data-testid': 'agent-row', dataset: { agentId: a.config.id } },
      h('th', { scope: 'row', class: 'agent-name' }), h('td', { class: 'agent-state' }), h('td', { class: 'agent-caller' }),
      h('td', { class: 'agent-queues' }), h('td', { class: 'agent-actions control' }));
  }

  // The server of an agent's phone when it is down ('' otherwise): why the
  // agent is unavailable. A browser phone, or no server named, is on the first.
  function serverDown(a) {
    const servers = snap?.servers || [];
    if (!servers.length) return '';
    const name = (a.config.phone !== 'browser' && a.config.server) || servers[0].name;
    return servers.find((s) => s.name === name && !s.connected) ? name : '';
  }

  function updateAgentRow(row, a) {
    row.dataset.state = a.state;
    const down = serverDown(a);
    if (!changed(row, JSON.stringify([a.state, a.reason, a.since, a.caller, a.caller_number, a.caller_name, a.recording, a.monitors, a.config, editing.has(a.config.id), queueNames(), down]))) return;
    row.querySelector('.agent-name').textContent = a.config.name || a.config.id;
    replace(row.querySelector('.agent-state'), statePill(a, { 'data-testid': 'agent-state' }),
      down ? h('span', { class: 'error', 'data-testid': 'agent-server-down' }, ` phone's Asterisk ${down} is down`) : null);
    row.querySelector('.agent-caller').textContent = a.caller ? `${a.caller_number || ''} ${a.caller_name || ''}`.trim() || a.caller : '';
    if (a.state === 'on-call' && a.recording) row.querySelector('.agent-caller').append(' ', recordingBadge(a.recording));
    for (const m of (a.state === 'on-call' && a.monitors) || []) {
      row.querySelector('.agent-caller').append(' ', h('span', { class: 'pill monitor', 'data-testid': 'monitor-state', dataset: { supervisor: m.supervisor, mode: m.mode } },
        h('span', { 'aria-hidden': 'true', class: 'icon' }, m.mode === 'barge' ? '☎' : '🎧'), ' ', `${m.supervisor} ${MONITOR_WORDS[m.mode] || m.mode}`));
    }
    row.querySelector('.agent-queues').textContent = (a.config.queues || []).map((m) => `${m.queue} (${m.penalty})`).join(', ');
    if (wall) return;
    const id = a.config.id;
    const path = `/api/agents/${encodeURIComponent(id)}`;
    const reason = h('select', { 'aria-label': `Pause reason for ${a.config.name || id}`, 'data-testid': 'agent-pause-reason',
      onchange: () => pauseChoice.set(id, reason.value) },
      (session.pause_reasons.length ? session.pause_reasons : ['']).map((r) => h('option', { value: r }, r || 'Pause')));
    if (pauseChoice.has(id)) reason.value = pauseChoice.get(id);
    if (a.state === 'paused') pauseChoice.delete(id);
    const actions = [];
    if (a.state === 'logged-out') {
      actions.push(h('button', { type: 'button', 'data-testid': 'agent-login', onclick: () => act('Log in', () => post(`${path}/login`, {})) }, 'Log in'));
    } else {
      if (a.state === 'paused') actions.push(h('button', { type: 'button', 'data-testid': 'agent-unpause', onclick: () => act('Unpause', () => post(`${path}/unpause`)) }, 'Unpause'));
      else actions.push(reason, h('button', { type: 'button', 'data-testid': 'agent-pause', onclick: () => act('Pause', () => post(`${path}/pause`, { reason: reason.value })) }, 'Pause'));
      actions.push(h('button', { type: 'button', class: 'quiet', 'data-testid': 'agent-logout', onclick: () => act('Log out', () => post(`${path}/logout`)) }, 'Log out'));
    }
    actions.push(h('button', { type: 'button', class: 'quiet', 'data-testid': 'agent-edit-queues', 'aria-expanded': String(editing.has(id)), onclick: () => { editing.has(id) ? editing.delete(id) : editing.add(id); row._renderKey = null; render(); } }, 'Queues…'));
    if (editing.has(id)) actions.push(queueEditor(a, row));
    // A supervisor limited to some queues (Admin > Users) gets the call
    // controls of those queues' calls only; the server refuses the rest.
    const mine = session.user.role === 'admin' || !(session.user.supervises || []).length || session.user.supervises.includes(a.queue);
    if (a.state === 'on-call' && a.caller && mine) actions.unshift(...monitorButtons(a), ...recordingButtons(a));
    replace(row.querySelector('.agent-actions'), actions);
  }

  // A call in progress: listen, whisper to the agent, or join it, on the
  // supervisor's own phone, which rings first; the mode in use is pressed,
  // Leave hangs the supervisor's phone up.
  function monitorButtons(a) {
    const mine = (a.monitors || []).find((m) => m.supervisor === session.user.id);
    const path = `/api/callers/${encodeURIComponent(a.caller)}/monitor`;
    const mode = (m, label) => h('button', {
      type: 'button', class: 'quiet', 'data-testid': `monitor-${m}`, 'aria-pressed': String(mine?.mode === m),
      onclick: async () => {
        if (!mine) { status.textContent = 'Ringing your phone…'; status.className = 'status'; }
        if (await act(label, () => post(path, { mode: m }))) status.textContent = `${label}: on the call with ${a.config.name || a.config.id}`;
      },
    }, label);
    const out = [mode('listen', 'Listen'), mode('whisper', 'Whisper'), mode('barge', 'Barge')];
    if (mine) out.push(h('button', { type: 'button', class: 'quiet', 'data-testid': 'monitor-leave', onclick: () => act('Leave', () => del(path)) }, 'Leave'));
    return out;
  }

  // A call in progress: pause and resume its recording (a card number read
  // out), or start one where the queue records on demand.
  function recordingButtons(a) {
    const q = (snap?.queues || []).find((x) => x.config.name === a.queue);
    const mode = q?.config.record || 'never';
    const control = (action, label) => h('button', {
      type: 'button', class: 'quiet', 'data-testid': `recording-${action}`,
      onclick: () => act(label, () => post(`/api/callers/${encodeURIComponent(a.caller)}/recording`, { action })),
    }, label);
    if (a.recording === 'recording') return [control('pause', 'Pause recording')];
    if (a.recording === 'paused') return [control('resume', 'Resume recording')];
    if (mode !== 'never' && (!a.recording || a.recording === 'failed')) return [control('start', 'Record')];
    return [];
  }

  const queueNames = () => (snap?.queues || []).map((q) => q.config.name);

  function queueEditor(a, row) {
    // The whole membership is kept (member order, configured pause).
    const member = new Map((a.config.queues || []).map((m) => [m.queue, m]));
    const rows = queueNames().map((name) => {
      const box = h('input', { type: 'checkbox', checked: member.has(name), 'aria-label': `In ${name}`, dataset: { queue: name } });
      const pen = h('input', { type: 'number', min: '0', value: String(member.get(name)?.penalty ?? 0), class: 'penalty', 'aria-label': `Penalty in ${name}` });
      return { name, box, pen, el: h('label', { class: 'row' }, box, ` ${name} `, pen) };
    });
    return h('div', { class: 'editor', 'data-testid': 'agent-queue-editor' }, rows.map((r) => r.el),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'agent-queues-save', onclick: async () => {
        const queues = rows.filter((r) => r.box.checked).map((r) => ({ ...(member.get(r.name) || {}), queue: r.name, penalty: Number(r.pen.value) || 0 }));
        if (await act('Queues', () => put(`/api/agents/${encodeURIComponent(a.config.id)}/queues`, { queues }))) { editing.delete(a.config.id); row._renderKey = null; render(); }
      } }, 'Save'));
  }

  // --- chart --------------------------------------------------------------------

  let stats = null;
  let statsAt = 0;
  async function loadStats() {
    statsAt = Date.now();
    try { stats = await get('/api/stats/queues'); } catch { return; }
    drawChart();
  }
  function drawChart() {
    if (!stats) return;
    keepFocus(() => replace(chartBox, h('h2', { id: 'chart-h' }, 'Today by 15 minutes'), dayChart(stats)));
  }
  loadStats();
  const statsEvery = setInterval(loadStats, 60000);
  signal?.addEventListener('abort', () => clearInterval(statsEvery));

  // --- render -----------------------------------------------------------------

  function renderServers(servers) {
    serversBox.hidden = !servers?.length;
    if (!servers?.length) return;
    replace(serversBox, h('span', { class: 'muted' }, 'Asterisk: '), servers.map((s, i) => h('span', {
      class: s.connected ? 'server up' : 'server down', 'data-testid': 'server', dataset: { server: s.name, connected: String(s.connected) },
    }, `${i ? ' · ' : ''}${s.name} ${s.connected ? 'connected' : 'DOWN'}`)));
  }

  function render() {
    if (!snap) return;
    renderServers(snap.servers);
    keepFocus(() => {
      syncList(queuesBox, snap.queues, (q) => q.config.name, queueTile, updateTile);
      const agents = [...snap.agents].sort((x, y) => (x.config.name || x.config.id).localeCompare(y.config.name || y.config.id));
      syncList(agentsBody, agents, (a) => a.config.id, agentRow, updateAgentRow);
    });
  }

  new Live({
    signal,
    minInterval: 250,
    onChange: (s) => { snap = s; render(); },
    onStatus: connectionBanner(),
    onEvent: (kind) => {
      if ((kind === 'call_completed' || kind === 'caller_left') && Date.now() - statsAt > 10000) loadStats();
    },
  });
}
