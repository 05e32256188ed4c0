// The live floor over the hub's websocket: a snapshot, then events with
// sequence numbers. Events are applied at once for what people watch move
// (queue order, joins, leaves, agent states); the snapshots the server
// pushes after events correct everything else. A gap in the numbers asks
// for a snapshot. A lost connection shows a banner and reconnects with
// backoff.
import { setServerTime } from './util.js';

// The close code the server sends when the session behind a socket ended
// (ui/hub.go statusSessionEnded).
const SESSION_ENDED = 4001;

export class Live {
  // minInterval spaces renders out: a wallboard with hundreds of callers
  // redraws a few times a second however busy the floor, not per event.
  // signal, when it aborts, closes the socket for good (the screen went).
  constructor({ onChange, onEvent, onStatus, minInterval = 0, signal }) {
    this.minInterval = minInterval;
    this.lastRender = 0;
    this.onChange = onChange || (() => {});
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.snap = null;
    this.seq = 0;
    this.backoff = 500;
    this.pending = false;
    this.closed = false;
    if (signal?.aborted) return;
    signal?.addEventListener('abort', () => this.close(), { once: true });
    this.connect();
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/ws`);
    this.ws = ws;
    this.waitingSnapshot = true;
    ws.onopen = () => { this.backoff = 500; };
    ws.onmessage = (m) => this.message(m.data);
    ws.onclose = (ev) => {
      if (this.closed) return;
      if (ev.code === SESSION_ENDED) {
        // Logged out elsewhere, password or role changed, user removed.
        location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
        return;
      }
      this.onStatus(false);
      const wait = this.backoff + Math.random() * this.backoff * 0.3;
      this.backoff = Math.min(this.backoff * 2, 10000);
      setTimeout(() => this.reconnect(), wait);
    };
  }

  async reconnect() {
    if (this.closed) return;
    // A socket refused for an expired session would retry forever: check.
    try {
      const r = await fetch('/api/session', { credentials: 'same-origin' });
      if (r.status === 401) {
        location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
        return;
      }
    } catch { /* server down: keep trying */ }
    if (!this.closed) this.connect();
  }

  close() { this.closed = true; this.ws?.close(); }

  message(data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    if (m.type === 'snapshot') {
      this.seq = m.seq;
      this.snap = m.snapshot;
      this.waitingSnapshot = false;
      setServerTime(m.snapshot.at);
      this.onStatus(true);
      this.changed();
      return;
    }
    if (m.type !== 'event') return;
    if (this.waitingSnapshot) return;
    if (m.seq !== this.seq + 1) {
      this.seq = m.seq;
      this.waitingSnapshot = true;
      this.ws.send(JSON.stringify({ type: 'resync' }));
      return;
    }
    this.seq = m.seq;
    if (this.snap) applyEvent(this.snap, m.kind, m.event);
    this.onEvent(m.kind, m.event);
    this.changed();
  }

  // Renders at most once per frame (and once per minInterval), however many
  // events arrive.
  changed() {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, this.lastRender + this.minInterval - performance.now());
    const run = () => requestAnimationFrame(() => {
      this.pending = false;
      if (this.closed) return;
      this.lastRender = performance.now();
      this.onChange(this.snap);
    });
    if (wait > 0) setTimeout(run, wait); else run();
  }
}

function findQueue(snap, name) { return snap.queues.find((q) => q.config.name === name); }
function findAgent(snap, id) { return snap.agents.find((a) => a.config.id === id); }
function findCaller(snap, id) {
  for (const q of snap.queues) {
    const c = q.callers.find((c) => c.id === id);
    if (c) return [q, c];
  }
  return [null, null];
}
function renumber(q) {
  q.callers.forEach((c, i) => { c.position = i + 1; });
  q.realtime.waiting = q.callers.length;
}

/** Apply one domain event (Go field names) to a snapshot, where it can be. */
export function applyEvent(snap, kind, e) {
  switch (kind) {
    case 'caller_joined': {
      const q = findQueue(snap, e.Queue);
      if (!q || q.callers.some((c) => c.id === e.Caller)) return;
      q.callers.splice(Math.max(0, (e.Position || q.callers.length + 1) - 1), 0, {
        id: e.Caller, queue: e.Queue, priority: e.Priority, number: e.Number, name: e.Name,
        joined_at: e.JoinedAt, position: e.Position, ringing: [], returned: !!e.ReturnOf,
      });
      renumber(q);
      return;
    }
    // Keep-my-place callbacks: the caller holds its place without its line.
    case 'callback_requested':
    case 'callback_attempt':
    case 'callback_attempt_ended': {
      const [, c] = findCaller(snap, e.Caller);
      if (!c) return;
      if (e.Number) c.callback_number = e.Number;
      if (e.Attempt) c.callback_attempts = e.Attempt;
      c.callback = { callback_requested: 'waiting', callback_attempt: 'dialing' }[kind] || (e.Result === 'answered' ? '' : 'retry');
      return;
    }
    case 'caller_left': {
      const q = findQueue(snap, e.Queue);
      if (!q) return;
      q.callers = q.callers.filter((c) => c.id !== e.Caller);
      renumber(q);
      return;
    }
    case 'queue_order': {
      const q = findQueue(snap, e.Queue);
      if (!q) return;
      const byId = new Map(q.callers.map((c) => [c.id, c]));
      q.callers = (e.Callers || []).map((id) => byId.get(id)).filter(Boolean);
      renumber(q);
      return;
    }
    case 'caller_moved': {
      const [from, c] = findCaller(snap, e.Caller);
      const to = findQueue(snap, e.To);
      if (!from || !c || !to) return;
      from.callers = from.callers.filter((x) => x.id !== e.Caller);
      c.queue = e.To;
      to.callers.push(c);
      renumber(from);
      renumber(to);
      return;
    }
    case 'caller_priority': {
      const [, c] = findCaller(snap, e.Caller);
      if (c) c.priority = e.Priority;
      return;
    }
    case 'agent_state': {
      const a = findAgent(snap, e.Agent);
      if (!a) return;
      a.state = e.State;
      a.reason = e.Reason || '';
      a.since = e.At;
      a.caller = e.Caller || '';
      a.queue = e.Queue || '';
      if (e.Caller) {
        const [, c] = findCaller(snap, e.Caller);
        if (c) { a.caller_number = c.number; a.caller_name = c.name; }
      } else {
        a.caller_number = ''; a.caller_name = ''; a.offer = ''; a.recording = ''; a.monitors = [];
      }
      return;
    }
    case 'call_connected': {
      const a = findAgent(snap, e.Agent);
      if (a) a.recording = e.Recording ? 'recording' : '';
      return;
    }
    case 'call_monitored': {
      const a = findAgent(snap, e.Agent) || snap.agents.find((x) => x.caller === e.Caller);
      if (!a) return;
      const rest = (a.monitors || []).filter((m) => m.supervisor !== e.Supervisor);
      a.monitors = e.Mode ? [...rest, { supervisor: e.Supervisor, mode: e.Mode, shown: e.Shown }] : rest;
      return;
    }
    case 'recording_changed': {
      // A finished or deleted recording is no longer the call's to show.
      const a = snap.agents.find((x) => x.caller === e.Caller);
      if (a) a.recording = ['recording', 'paused', 'failed'].includes(e.State) ? e.State : '';
      return;
    }
    case 'agent_queues': {
      const a = findAgent(snap, e.Agent);
      if (a) a.config.queues = e.Queues || [];
      return;
    }
    case 'member_paused': {
      const a = findAgent(snap, e.Agent);
      if (!a) return;
      const rest = (a.paused_in || []).filter((q) => q !== e.Queue);
      a.paused_in = e.Paused ? [...rest, e.Queue] : rest;
      return;
    }
    case 'offer_started': {
      const [, c] = findCaller(snap, e.Caller);
      if (c) c.ringing = [...new Set([...(c.ringing || []), e.Agent])];
      const a = findAgent(snap, e.Agent);
      if (a) {
        a.offer = e.Offer;
        if (c) { a.caller_number = c.number; a.caller_name = c.name; }
      }
      return;
    }
    case 'offer_ended': {
      const [, c] = findCaller(snap, e.Caller);
      if (c) c.ringing = (c.ringing || []).filter((x) => x !== e.Agent);
      return;
    }
    default:
      // Configuration and statistics: the next snapshot brings them.
  }
}

/** The disconnected banner, shared by every live screen. */
export function connectionBanner() {
  const el = document.getElementById('banner');
  return (ok) => {
    if (!el) return;
    el.hidden = ok;
    el.textContent = ok ? '' : 'Disconnected from stasisq — reconnecting…';
  };
}
