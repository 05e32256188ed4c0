// Today's chart by 15-minute interval as inline SVG: offered, answered
// and abandoned as bars, service level as a line on its own 0–100% scale.
import { pct } from './util.js';

const SVG = 'http://www.w3.org/2000/svg';
const INTERVAL = 15 * 60 * 1000;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const FIELDS = ['offered', 'answered', 'answered_in_sl', 'abandoned', 'abandoned_short'];

/** Sum intervals (or report rows) by start time, oldest first. */
function sumByStart(ivs) {
  const by = new Map();
  for (const iv of ivs) {
    const t = Date.parse(iv.start);
    const a = by.get(t) || { start: t, offered: 0, answered: 0, answered_in_sl: 0, abandoned: 0, abandoned_short: 0 };
    for (const k of FIELDS) a[k] += iv[k] || 0;
    by.set(t, a);
  }
  return [...by.values()].sort((x, y) => x.start - y.start);
}

/** Sum every queue's intervals by start time. */
export function sumIntervals(stats) {
  return sumByStart(Object.values(stats || {}).flatMap((q) => q.intervals || []));
}

export function serviceLevel(iv) {
  const base = iv.answered + iv.abandoned - iv.abandoned_short;
  return base > 0 ? (100 * iv.answered_in_sl) / base : NaN;
}

/**
 * callsSVG draws summed intervals as bars (offered, answered, abandoned)
 * and the service level as a line on its own 0–100% scale: slots places
 * across, slotOf(iv, i) the slot of one, nameOf(iv) its name in tooltips,
 * ticks the [slot, text] labels under the axis.
 */
function callsSVG({ ivs, H, B, slots, slotOf, nameOf, ticks, title }) {
  const W = 900, L = 36, R = 40, T = 10;
  const max = Math.max(1, ...ivs.map((iv) => iv.offered));
  const sw = (W - L - R) / slots;
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const ySL = (v) => T + (H - T - B) * (1 - v / 100);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'day-svg' }, s('title', {}, title));
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
  svg.append(s('text', { x: L - 4, y: T + 8, class: 'tick', 'text-anchor': 'end' }, max));
  svg.append(s('text', { x: W - R + 4, y: T + 8, class: 'tick sl' }, '100%'));
  svg.append(s('text', { x: W - R + 4, y: H - B, class: 'tick sl' }, '0%'));
  const bw = Math.max(1, sw / 3 - 1);
  const pts = [];
  ivs.forEach((iv, i) => {
    const x = L + slotOf(iv, i) * sw;
    const name = nameOf(iv);
    const bar = (v, k, cls) => {
      const r = s('rect', { x: x + k * (bw + 1), y: y(v), width: bw, height: Math.max(0, H - B - y(v)), class: cls });
      r.append(s('title', {}, `${name} ${cls}: ${v}`));
      svg.append(r);
    };
    bar(iv.offered, 0, 'offered');
    bar(iv.answered, 1, 'answered');
    bar(iv.abandoned, 2, 'abandoned');
    const sl = serviceLevel(iv);
    if (Number.isFinite(sl)) {
      pts.push(`${x + sw / 2},${ySL(sl)}`);
      const dot = s('circle', { cx: x + sw / 2, cy: ySL(sl), r: 3, class: 'sl-dot' });
      dot.append(s('title', {}, `${name} service level ${pct(sl)}`));
      svg.append(dot);
    }
  });
  for (const [slot, text, dy] of ticks) svg.append(s('text', { x: L + slot * sw, y: H - dy, class: 'tick' }, text));
  if (pts.length) svg.append(s('polyline', { points: pts.join(' '), class: 'sl-line', fill: 'none' }));
  return svg;
}

function legend() {
  const p = document.createElement('p');
  p.className = 'legend';
  p.innerHTML = '<span class="key offered"></span> Offered <span class="key answered"></span> Answered <span class="key abandoned"></span> Abandoned <span class="key sl-line"></span> Service level (right scale)';
  return p;
}

function noCalls(text) {
  const none = document.createElement('p');
  none.className = 'muted';
  none.textContent = text;
  return none;
}

const total = (ivs, k) => ivs.reduce((n, iv) => n + iv[k], 0);
const hhmm = (t) => new Date(t).toTimeString().slice(0, 5);

export function dayChart(stats) {
  const ivs = sumIntervals(stats);
  const wrap = document.createElement('div');
  wrap.dataset.testid = 'day-chart';
  const now = Date.now();
  const current = ivs.find((iv) => now >= iv.start && now < iv.start + INTERVAL);
  const p = document.createElement('p');
  p.className = 'current-interval';
  p.dataset.testid = 'current-interval';
  p.textContent = current
    ? `This interval: offered ${current.offered}, answered ${current.answered}, abandoned ${current.abandoned}, service level ${pct(serviceLevel(current))}`
    : 'This interval: no calls yet';
  wrap.append(p);
  if (!ivs.length) {
    wrap.append(noCalls('No calls today yet.'));
    return wrap;
  }
  // At least four hours wide, ending with the current interval, so a
  // quiet morning does not draw three giant bars.
  const last = Math.max(ivs[ivs.length - 1].start, now - (now % INTERVAL));
  const first = Math.min(ivs[0].start, last - 15 * INTERVAL);
  const slots = Math.max(1, Math.round((last - first) / INTERVAL) + 1);
  const ticks = [];
  for (let i = 0; i < slots; i += Math.max(1, Math.ceil(slots / 12))) ticks.push([i, hhmm(first + i * INTERVAL), 8]);
  wrap.append(callsSVG({
    ivs, H: 220, B: 28, slots, slotOf: (iv) => Math.round((iv.start - first) / INTERVAL), nameOf: (iv) => hhmm(iv.start), ticks,
    title: `Calls by 15-minute interval today: ${total(ivs, 'offered')} offered, ${total(ivs, 'answered')} answered, ${total(ivs, 'abandoned')} abandoned.`,
  }), legend());
  return wrap;
}

/**
 * A report's chart: one slot per interval of the report (rows of every
 * queue summed by start), offered, answered and abandoned as bars and the
 * service level as a line; label(start) names a slot.
 */
export function rangeChart(rows, label) {
  const ivs = sumByStart(rows);
  const wrap = document.createElement('div');
  wrap.dataset.testid = 'report-chart';
  if (!ivs.length) {
    wrap.append(noCalls('No calls in this range.'));
    return wrap;
  }
  const every = Math.max(1, Math.ceil(ivs.length / 12));
  const ticks = ivs.flatMap((iv, i) => (i % every === 0 ? [[i, label(iv.start), 22]] : []));
  wrap.append(callsSVG({
    ivs, H: 240, B: 40, slots: Math.max(ivs.length, 12), // a few intervals stay bars, not slabs
    slotOf: (iv, i) => i, nameOf: (iv) => label(iv.start), ticks,
    title: `Calls by interval: ${total(ivs, 'offered')} offered, ${total(ivs, 'answered')} answered, ${total(ivs, 'abandoned')} abandoned.`,
  }), legend());
  return wrap;
}
