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

/** Sum every queue's intervals by start time. */
export function sumIntervals(stats) {
  const by = new Map();
  for (const q of Object.values(stats || {})) {
    for (const iv of q.intervals || []) {
      const t = Date.parse(iv.start);
      const a = by.get(t) || { start: t, offered: 0, answered: 0, answered_in_sl: 0, abandoned: 0, abandoned_short: 0 };
      a.offered += iv.offered || 0;
      a.answered += iv.answered || 0;
      a.answered_in_sl += iv.answered_in_sl || 0;
      a.abandoned += iv.abandoned || 0;
      a.abandoned_short += iv.abandoned_short || 0;
      by.set(t, a);
    }
  }
  return [...by.values()].sort((x, y) => x.start - y.start);
}

export function serviceLevel(iv) {
  const base = iv.answered + iv.abandoned - iv.abandoned_short;
  return base > 0 ? (100 * iv.answered_in_sl) / base : NaN;
}

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
    const none = document.createElement('p');
    none.className = 'muted';
    none.textContent = 'No calls today yet.';
    wrap.append(none);
    return wrap;
  }
  // At least four hours wide, ending with the current interval, so a
  // quiet morning does not draw three giant bars.
  const last = Math.max(ivs[ivs.length - 1].start, now - (now % INTERVAL));
  const first = Math.min(ivs[0].start, last - 15 * INTERVAL);
  const slots = Math.max(1, Math.round((last - first) / INTERVAL) + 1);
  const W = 900, H = 220, L = 36, R = 40, T = 10, B = 28;
  const max = Math.max(1, ...ivs.map((iv) => iv.offered));
  const sw = (W - L - R) / slots;
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const ySL = (v) => T + (H - T - B) * (1 - v / 100);
  const label = `Calls by 15-minute interval today: ${ivs.reduce((n, iv) => n + iv.offered, 0)} offered, ${ivs.reduce((n, iv) => n + iv.answered, 0)} answered, ${ivs.reduce((n, iv) => n + iv.abandoned, 0)} abandoned.`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'day-svg' }, s('title', {}, label));
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
  svg.append(s('text', { x: L - 4, y: T + 8, class: 'tick', 'text-anchor': 'end' }, max));
  svg.append(s('text', { x: W - R + 4, y: T + 8, class: 'tick sl' }, '100%'));
  svg.append(s('text', { x: W - R + 4, y: H - B, class: 'tick sl' }, '0%'));
  const bw = Math.max(1, sw / 3 - 1);
  const pts = [];
  for (const iv of ivs) {
    const i = Math.round((iv.start - first) / INTERVAL);
    const x = L + i * sw;
    const time = new Date(iv.start).toTimeString().slice(0, 5);
    const bar = (v, k, cls) => {
      const r = s('rect', { x: x + k * (bw + 1), y: y(v), width: bw, height: Math.max(0, H - B - y(v)), class: cls });
      r.append(s('title', {}, `${time} ${cls}: ${v}`));
      svg.append(r);
    };
    bar(iv.offered, 0, 'offered');
    bar(iv.answered, 1, 'answered');
    bar(iv.abandoned, 2, 'abandoned');
    const sl = serviceLevel(iv);
    if (Number.isFinite(sl)) {
      pts.push(`${x + sw / 2},${ySL(sl)}`);
      const dot = s('circle', { cx: x + sw / 2, cy: ySL(sl), r: 3, class: 'sl-dot' });
      dot.append(s('title', {}, `${time} service level ${pct(sl)}`));
      svg.append(dot);
    }
  }
  for (let i = 0; i < slots; i += Math.max(1, Math.ceil(slots / 12))) {
    const t = new Date(first + i * INTERVAL).toTimeString().slice(0, 5);
    svg.append(s('text', { x: L + i * sw, y: H - 8, class: 'tick' }, t));
  }
  if (pts.length) svg.append(s('polyline', { points: pts.join(' '), class: 'sl-line', fill: 'none' }));
  wrap.append(svg);
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.innerHTML = '<span class="key offered"></span> Offered <span class="key answered"></span> Answered <span class="key abandoned"></span> Abandoned <span class="key sl-line"></span> Service level (right scale)';
  wrap.append(legend);
  return wrap;
}

/**
 * A report's chart: one slot per interval of the report (rows of every
 * queue summed by start), offered, answered and abandoned as bars and the
 * service level as a line; label(start) names a slot.
 */
export function rangeChart(rows, label) {
  const by = new Map();
  for (const r of rows) {
    const t = Date.parse(r.start);
    const a = by.get(t) || { start: t, offered: 0, answered: 0, answered_in_sl: 0, abandoned: 0, abandoned_short: 0 };
    for (const k of ['offered', 'answered', 'answered_in_sl', 'abandoned', 'abandoned_short']) a[k] += r[k] || 0;
    by.set(t, a);
  }
  const ivs = [...by.values()].sort((x, y) => x.start - y.start);
  const wrap = document.createElement('div');
  wrap.dataset.testid = 'report-chart';
  if (!ivs.length) {
    const none = document.createElement('p');
    none.className = 'muted';
    none.textContent = 'No calls in this range.';
    wrap.append(none);
    return wrap;
  }
  const W = 900, H = 240, L = 36, R = 40, T = 10, B = 40;
  const max = Math.max(1, ...ivs.map((iv) => iv.offered));
  const sw = (W - L - R) / Math.max(ivs.length, 12); // a few intervals stay bars, not slabs
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const ySL = (v) => T + (H - T - B) * (1 - v / 100);
  const total = (k) => ivs.reduce((n, iv) => n + iv[k], 0);
  const title = `Calls by interval: ${total('offered')} offered, ${total('answered')} answered, ${total('abandoned')} abandoned.`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'day-svg' }, s('title', {}, title));
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
  svg.append(s('text', { x: L - 4, y: T + 8, class: 'tick', 'text-anchor': 'end' }, max));
  svg.append(s('text', { x: W - R + 4, y: T + 8, class: 'tick sl' }, '100%'));
  svg.append(s('text', { x: W - R + 4, y: H - B, class: 'tick sl' }, '0%'));
  const bw = Math.max(1, sw / 3 - 1);
  const pts = [];
  ivs.forEach((iv, i) => {
    const x = L + i * sw;
    const name = label(iv.start);
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
  const every = Math.max(1, Math.ceil(ivs.length / 12));
  ivs.forEach((iv, i) => { if (i % every === 0) svg.append(s('text', { x: L + i * sw, y: H - 22, class: 'tick' }, label(iv.start))); });
  if (pts.length) svg.append(s('polyline', { points: pts.join(' '), class: 'sl-line', fill: 'none' }));
  wrap.append(svg);
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.innerHTML = '<span class="key offered"></span> Offered <span class="key answered"></span> Answered <span class="key abandoned"></span> Abandoned <span class="key sl-line"></span> Service level (right scale)';
  wrap.append(legend);
  return wrap;
}
