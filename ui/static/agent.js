// The agent console: state and actions, the call card with the customer
// panel, the waiting callers of the agent's queues, today's figures.
import { get, post, put } from './api.js';
import { Live, connectionBanner } from './live.js';
import { h, replace, since, statePill, dur, clock, announce, syncList, keepFocus, changed, STATE_WORDS, recordingBadge } from './util.js';

export function showAgent(main, session, { signal } = {}) {
  const me = session.user.id;
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'action-status' });
  const bar = h('section', { class: 'agent-bar card', 'aria-label': 'My state' });
  const queuesBox = h('section', { class: 'card', 'aria-labelledby': 'myq-h' }, h('h2', { id: 'myq-h' }, 'My queues'), h('ul', { class: 'toggles', 'data-testid': 'my-queues' }));
  const callBox = h('section', { class: 'call-area', 'aria-label': 'Current call' });
  const waitingList = h('ol', { class: 'waiting', 'data-testid': 'waiting-callers' });
  const waitingBox = h('section', { class: 'card', 'aria-labelledby': 'wait-h' }, h('h2', { id: 'wait-h' }, 'Waiting callers'), waitingList);
  const todayBox = h('section', { class: 'card', 'aria-labelledby': 'today-h' }, h('h2', { id: 'today-h' }, 'Today'), h('dl', { class: 'figures', 'data-testid': 'my-today' }));
  replace(main, h('div', { class: 'agent-console' }, bar, status,
    h('div', { class: 'agent-grid' }, h('div', {}, callBox, waitingBox), h('div', {}, queuesBox, todayBox))));

  let myQueues = [];
  const callerCache = new Map(); // caller id -> what we knew while it waited
  let lookupFor = null;
  let lookupResult = null;
  let lastState = null;

  const act = async (label, fn) => {
    status.textContent = '';
    try {
      await fn();
    } catch (e) {
      status.textContent = `${label}: ${e.message}`;
      status.className = 'status error';
      return;
    }
    status.className = 'status';
  };

  async function loadQueues() {
    try { myQueues = await get('/api/me/queues'); } catch { myQueues = []; }
    render(live.snap);
  }

  const reasonSelect = h('select', { 'aria-label': 'Pause reason', 'data-testid': 'pause-reason' },
    (session.pause_reasons.length ? session.pause_reasons : ['Pause']).map((r) => h('option', { value: r }, r)));

  function renderBar(agent) {
    const state = agent?.state || 'logged-out';
    if (!changed(bar, `${state}|${agent?.reason}|${agent?.since}`)) return;
    const loggedOut = state === 'logged-out';
    replace(bar,
      h('h1', { class: 'agent-name' }, session.user.name),
      statePill(agent, { 'data-testid': 'state-pill' }),
      h('div', { class: 'actions' },
        loggedOut
          ? h('button', { type: 'button', class: 'primary', 'data-testid': 'agent-login-button', onclick: () => act('Log in', () => post('/api/me/login', {})) }, 'Log in to queues')
          : [
            h('button', { type: 'button', class: 'primary', 'data-testid': 'ready-button', disabled: state !== 'paused', onclick: () => act('Ready', () => post('/api/me/ready')) }, 'Ready'),
            reasonSelect,
            h('button', { type: 'button', 'data-testid': 'pause-button', disabled: state === 'paused', onclick: () => act('Pause', () => post('/api/me/pause', { reason: session.pause_reasons.length ? reasonSelect.value : '' })) }, 'Pause'),
            h('button', { type: 'button', class: 'quiet', 'data-testid': 'agent-logout-button', onclick: () => act('Log out', () => post('/api/me/logout')) }, 'Log out of queues'),
          ]));
  }

  function renderQueues(agent) {
    const active = new Set((agent?.config.queues || []).map((m) => m.queue));
    const ul = queuesBox.querySelector('ul');
    if (!changed(ul, JSON.stringify([...active, myQueues]))) return;
    if (!myQueues.length) { replace(ul, h('li', { class: 'muted' }, 'No queues configured for you.')); return; }
    replace(ul, myQueues.map((q) => {
      const id = `q-${q.queue}`;
      const box = h('input', { type: 'checkbox', id, checked: active.has(q.queue), 'data-testid': 'queue-toggle', dataset: { queue: q.queue } });
      box.addEventListener('change', () => act('Queues', async () => {
        // From the boxes on screen, not the last render: a second click before
        // the redraw must not undo the first.
        const chosen = [...ul.querySelectorAll('input[data-testid="queue-toggle"]')].filter((b) => b.checked).map((b) => b.dataset.queue);
        await put('/api/me/queues', { queues: chosen });
      }));
      return h('li', {}, box, h('label', { for: id }, q.queue), q.penalty ? h('span', { class: 'muted' }, ` penalty ${q.penalty}`) : null);
    }));
  }

  function customerPanel(number) {
    const panel = h('section', { class: 'customer', 'aria-label': 'Customer', 'data-testid': 'customer-panel' });
    if (!session.lookup_enabled) return null;
    if (!number) { replace(panel, h('p', { class: 'muted' }, 'No number to look up.')); return panel; }
    if (lookupFor !== number) {
      lookupFor = number;
      lookupResult = null;
      get('/api/lookup?number=' + encodeURIComponent(number))
        .then((r) => { if (lookupFor === number) { lookupResult = r; render(live.snap); } })
        .catch(() => { if (lookupFor === number) { lookupResult = { status: 'lookup failed', fields: [] }; render(live.snap); } });
    }
    if (!lookupResult) {
      replace(panel, h('p', { class: 'muted', 'data-testid': 'customer-status' }, 'Looking up…'));
    } else if (lookupResult.status === 'match') {
      replace(panel, h('dl', { class: 'fields' }, lookupResult.fields.flatMap((f) => [h('dt', {}, f.label), h('dd', { dataset: { key: f.key } }, f.value)])));
    } else {
      replace(panel, h('p', { class: lookupResult.status === 'lookup failed' ? 'warn' : 'muted', 'data-testid': 'customer-status' },
        lookupResult.status === 'lookup failed' ? 'Lookup failed' : 'No match'));
    }
    return panel;
  }

  function renderCall(agent, snap) {
    const state = agent?.state;
    if (!agent || !['ringing', 'on-call', 'wrap-up'].includes(state) || !agent.caller) {
      lookupFor = null;
      if (!changed(callBox, 'none')) return;
      replace(callBox, h('div', { class: 'card no-call muted', 'data-testid': 'no-call' }, 'No call.'));
      return;
    }
    let caller = null;
    for (const q of snap.queues) for (const c of q.callers) if (c.id === agent.caller) caller = c;
    if (caller) callerCache.set(caller.id, caller);
    caller = caller || callerCache.get(agent.caller) || {};
    // How long they waited: from joining to the answer, fixed once answered.
    if (state === 'on-call' && caller.joined_at && caller.waited === undefined && callerCache.has(agent.caller)) {
      caller.waited = Math.max(0, Date.parse(agent.since) - Date.parse(caller.joined_at));
    }
    const number = agent.caller_number || caller.number || '';
    const name = agent.caller_name || caller.name || '';
    const queueCfg = snap.queues.find((q) => q.config.name === (agent.queue || caller.queue))?.config;
    const mayControl = state === 'on-call' && queueCfg?.record_agent_control && (queueCfg.record || 'never') !== 'never';
    if (!changed(callBox, JSON.stringify([state, agent.since, agent.caller, agent.offer, number, name, agent.recording, agent.monitors, mayControl, lookupFor, lookupResult]))) return;
    const recControl = (action, label) => h('button', { type: 'button', 'data-testid': `my-recording-${action}`,
      onclick: () => act(label, () => post('/api/me/recording', { caller: agent.caller, action })) }, label);
    let recButton = null;
    if (mayControl) {
      if (agent.recording === 'recording') recButton = recControl('pause', 'Pause recording');
      else if (agent.recording === 'paused') recButton = recControl('resume', 'Resume recording');
      else if (queueCfg.record === 'on-demand' || agent.recording === 'failed') recButton = recControl('start', 'Record');
    }
    const heading = { ringing: 'Ringing', 'on-call': 'On call', 'wrap-up': 'Wrap-up' }[state];
    replace(callBox, h('article', { class: `card call-card state-${state}`, 'data-testid': 'call-card', dataset: { state } },
      h('h2', {}, heading, ' ', h('span', { class: 'pill-time' }, since(agent.since))),
      h('p', { class: 'caller-line' },
        h('span', { class: 'number', 'data-testid': 'caller-number' }, number || 'unknown number'), ' ',
        h('span', { class: 'name', 'data-testid': 'caller-name' }, name)),
      state === 'on-call' && agent.recording ? h('p', {}, recordingBadge(agent.recording)) : null,
      state === 'on-call' && agent.monitors?.length
        ? h('p', { class: 'monitored', 'data-testid': 'monitored' }, agent.monitors.map((m) =>
          `${m.supervisor} ${{ listen: 'is listening', whisper: 'is whispering to you', barge: 'joined the call' }[m.mode] || m.mode}`).join('; '))
        : null,
      h('p', { class: 'muted' }, `Queue ${agent.queue || caller.queue || ''}`,
        caller.joined_at && state === 'ringing' ? [' · waiting ', since(caller.joined_at)] : null,
        caller.waited !== undefined ? ` · waited ${clock(caller.waited)}` : null),
      h('div', { class: 'actions' },
        state === 'ringing' ? h('button', { type: 'button', class: 'danger', 'data-testid': 'reject-button', onclick: () => act('Reject', () => post('/api/me/reject', { offer: agent.offer || '' })) }, 'Reject') : null,
        state === 'wrap-up' ? h('button', { type: 'button', class: 'primary', 'data-testid': 'done-button', onclick: () => act('Done', () => post('/api/me/done')) }, 'Done') : null,
        recButton),
      customerPanel(number)));
  }

  function renderWaiting(snap) {
    const pickable = new Set(snap.queues.filter((q) => q.config.allowpick).map((q) => q.config.name));
    // Queue by queue, in queue order: the order the engine will serve them.
    const callers = snap.queues.flatMap((q) => q.callers);
    for (const c of callers) callerCache.set(c.id, c);
    if (!callers.length) { replace(waitingList, h('li', { class: 'muted', dataset: { key: '' } }, 'Nobody waiting.')); return; }
    syncList(waitingList, callers, (c) => c.id,
      (c) => h('li', { class: 'waiting-caller', 'data-testid': 'waiting-caller', dataset: { callerId: c.id } }),
      (el, c) => changed(el, JSON.stringify([c.position, c.number, c.name, c.joined_at, pickable.has(c.queue)])) && replace(el,
        h('span', { class: 'q' }, c.queue), ' ', h('span', { class: 'pos' }, `#${c.position}`), ' ',
        h('span', { class: 'number' }, c.number || 'unknown'), ' ', h('span', { class: 'name' }, c.name || ''), ' ',
        since(c.joined_at, { class: 'since wait' }),
        pickable.has(c.queue) ? h('button', { type: 'button', 'data-testid': 'pick-button', onclick: () => act('Pick', () => post('/api/me/pick', { caller: c.id })) }, 'Pick') : null));
  }

  function renderToday(agent) {
    const t = agent?.today || {};
    const calls = t.calls || 0;
    if (!changed(todayBox, JSON.stringify(t))) return;
    replace(todayBox.querySelector('dl'),
      h('dt', {}, 'Calls'), h('dd', { 'data-testid': 'today-calls' }, calls),
      h('dt', {}, 'Average talk'), h('dd', {}, calls ? dur(t.talk / calls) : '–'),
      h('dt', {}, 'Average wrap-up'), h('dd', {}, calls ? dur(t.wrap_up / calls) : '–'),
      h('dt', {}, 'Time paused'), h('dd', {}, dur(t.paused)));
  }

  function render(snap) {
    if (!snap) return;
    const agent = snap.agents.find((a) => a.config.id === me);
    keepFocus(() => {
      renderBar(agent);
      renderQueues(agent);
      renderCall(agent, snap);
      renderWaiting(snap);
      renderToday(agent);
    });
    const state = agent?.state || 'logged-out';
    if (state !== lastState) {
      if (state === 'ringing') {
        announce(`Call ringing from ${agent.caller_number || 'unknown number'} ${agent.caller_name || ''}`, true);
      } else if (lastState !== null) {
        announce(`You are now ${STATE_WORDS[state] || state}${agent?.reason ? `, ${agent.reason}` : ''}`);
      }
      lastState = state;
    }
  }

  const live = new Live({
    signal,
    onChange: render,
    onStatus: connectionBanner(),
    onEvent: (kind, e) => { if (kind === 'agent_queues' && e.Agent === me) loadQueues(); },
  });
  loadQueues();
}
