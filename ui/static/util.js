// Small helpers shared by every screen: element building, formatting,
// and the one-second ticker that makes waiting times count up locally.

/** h('div', {class: 'x', onclick: fn, dataset: {id: 1}}, child, 'text') */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const MS = 1000; // milliseconds per second: the API's durations are seconds

/** 75 -> "1:15", 3725 -> "1:02:05" */
export function clock(ms) {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

/** A duration in seconds to "1:15". */
export const dur = (s) => clock((s || 0) * MS);

export function pct(n) {
  return Number.isFinite(n) ? `${Math.round(n)}%` : '–';
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

// Server time minus browser time, from the last snapshot, so a waiting time
// counts from the server's clock and not a wrong desk clock.
let skew = 0;
export function setServerTime(iso) {
  const t = Date.parse(iso);
  if (Number.isFinite(t)) skew = t - Date.now();
}
export const serverNow = () => Date.now() + skew;

/** An element whose text counts up from an RFC 3339 time, every second. */
export function since(iso, attrs = {}) {
  const el = h('span', { class: 'since', ...attrs, dataset: { since: iso || '' } });
  tickOne(el);
  return el;
}

function tickOne(el) {
  const t = Date.parse(el.dataset.since);
  el.textContent = Number.isFinite(t) && t > 0 ? clock(serverNow() - t) : '';
}

const tickHooks = new Set();
export function onTick(fn) { tickHooks.add(fn); return () => tickHooks.delete(fn); }
setInterval(() => {
  for (const el of document.querySelectorAll('[data-since]')) tickOne(el);
  for (const fn of tickHooks) fn();
}, 1000);

export const STATE_WORDS = {
  'logged-out': 'Logged out',
  available: 'Ready',
  paused: 'Paused',
  ringing: 'Ringing',
  'on-call': 'On call',
  'wrap-up': 'Wrap-up',
};

const STATE_ICONS = { 'logged-out': '○', available: '●', paused: '❚❚', ringing: '☎', 'on-call': '◉', 'wrap-up': '✎' };

/** A pill that says the state in words (colour is never the only signal). */
export function statePill(agent, attrs = {}) {
  const state = agent?.state || 'logged-out';
  let word = STATE_WORDS[state] || state;
  if (state === 'paused' && agent.reason) word += ` — ${agent.reason}`;
  return h('span', { class: `pill state-${state}`, dataset: { state }, ...attrs },
    h('span', { 'aria-hidden': 'true', class: 'icon' }, STATE_ICONS[state] || ''), ' ', word,
    state !== 'logged-out' && agent?.since ? h('span', { class: 'pill-time' }, ' ', since(agent.since)) : null);
}

const RECORDING_WORDS = { recording: 'Recording', paused: 'Recording paused', failed: 'Recording failed' };

/** The state of a call's recording, in words and an icon (not colour alone). */
export function recordingBadge(state) {
  return h('span', { class: `pill recording rec-${state}`, 'data-testid': 'recording-state', dataset: { recording: state } },
    h('span', { 'aria-hidden': 'true', class: 'icon' }, state === 'recording' ? '●' : state === 'paused' ? '❚❚' : '!'), ' ',
    RECORDING_WORDS[state] || state);
}

/** Keep a list's elements by key: build new ones, update and move old ones.
 * Reusing nodes keeps focus, selection and drags alive across renders. */
export function syncList(container, items, key, create, update) {
  const old = new Map();
  for (const el of container.children) if (el.dataset.key !== undefined) old.set(el.dataset.key, el);
  let prev = null;
  for (const item of items) {
    const k = String(key(item));
    let el = old.get(k);
    if (el) old.delete(k);
    else { el = create(item); el.dataset.key = k; }
    update(el, item);
    const want = prev ? prev.nextSibling : container.firstChild;
    if (want !== el) container.insertBefore(el, want);
    prev = el;
  }
  for (const el of old.values()) el.remove();
}

/** Announce text to screen readers through the page's live regions. */
export function announce(text, urgent = false) {
  const region = document.getElementById(urgent ? 'live-assertive' : 'live-polite');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after clearing makes readers speak the same words twice.
  setTimeout(() => { region.textContent = text; }, 50);
}

export function params() {
  return new URLSearchParams(location.search);
}

/** Run a render and put the keyboard focus back on the same control. */
export function keepFocus(fn) {
  const a = document.activeElement;
  let sel = null;
  if (a && a !== document.body) {
    if (a.id) sel = `#${CSS.escape(a.id)}`;
    else if (a.dataset.testid) {
      sel = `[data-testid="${CSS.escape(a.dataset.testid)}"]`;
      const owner = a.closest('[data-key]');
      if (owner === a) sel = `[data-key="${CSS.escape(a.dataset.key)}"]${sel}`;
      else if (owner) sel = `[data-key="${CSS.escape(owner.dataset.key)}"] ${sel}`;
    }
  }
  fn();
  if (sel && !document.activeElement?.matches?.(sel)) {
    const el = document.querySelector(sel);
    if (el && !el.disabled) el.focus({ preventScroll: true });
  }
}

/** True when key differs from the one last seen for el: skip unchanged renders. */
export function changed(el, key) {
  if (el._renderKey === key) return false;
  el._renderKey = key;
  return true;
}

// sameOriginPath is where a ?next= may send the browser: the path of a URL
// on this origin, decided by the browser's own URL parser (which reads
// "/\host" and "/<tab>/host" as another host), or "/" for anything else.
export function sameOriginPath(next) {
  if (!next) return '/';
  let u;
  try { u = new URL(next, location.origin); } catch { return '/'; }
  if (u.origin !== location.origin) return '/';
  return u.pathname + u.search + u.hash;
}
