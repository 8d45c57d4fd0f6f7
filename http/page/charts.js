// Two small bar charts, drawn as inline SVG: rows archived per day, and how
// long each recent sweep took. Each bar carries a <title> (a tooltip, and
// what a screen reader reads); the chart as a whole has a one-line summary.

import { s } from './dom.js';
import { count, duration, rows } from './format.js';

const W = 640;
const H = 180;
const PAD = { top: 14, right: 8, bottom: 26, left: 52 };

// A round number at or above the largest value, for the axis.
function ceiling(max) {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

function axis(top, label) {
  const x = PAD.left - 6;
  return [
    s('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }),
    s('line', { class: 'axis', x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }),
    s('line', { class: 'grid', x1: PAD.left, y1: PAD.top, x2: W - PAD.right, y2: PAD.top }),
    s('text', { class: 'tick', x, y: PAD.top + 4, 'text-anchor': 'end' }, label(top)),
    s('text', { class: 'tick', x, y: H - PAD.bottom + 4, 'text-anchor': 'end' }, label(0)),
  ];
}

// bars: [{value, title, className}], below: [left label, right label].
function barChart(bars, summary, label, below) {
  const max = ceiling(Math.max(0, ...bars.map((b) => b.value)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, bars.length);
  const barW = Math.max(1, Math.min(28, slot * 0.75));
  const drawn = bars.map((b, i) => {
    const height = (plotH * b.value) / max;
    const x = PAD.left + i * slot + (slot - barW) / 2;
    return s('rect', { class: `bar ${b.className || ''}`, x: x.toFixed(1),
      y: (PAD.top + plotH - height).toFixed(1), width: barW.toFixed(1),
      height: Math.max(b.value > 0 ? 1 : 0, height).toFixed(1) }, s('title', {}, b.title));
  });
  return s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, class: 'chart',
    preserveAspectRatio: 'xMidYMid meet' },
  axis(max, label), drawn,
  s('text', { class: 'tick', x: PAD.left, y: H - 8 }, below[0] || ''),
  s('text', { class: 'tick', x: W - PAD.right, y: H - 8, 'text-anchor': 'end' }, below[1] || ''));
}

export function archivedPerDay(days) {
  const total = days.reduce((n, d) => n + (d.archived || 0), 0);
  const busiest = days.reduce((b, d) => ((d.archived || 0) > (b ? b.archived : -1) ? d : b), null);
  const summary = days.length === 0 ? 'Rows archived per day: no data yet'
    : `Rows archived per day over the last ${days.length} days: ${count(total)} in all` +
      (busiest && busiest.archived > 0 ? `, most on ${busiest.day} (${count(busiest.archived)})` : '');
  const bars = days.map((d) => ({ value: d.archived || 0, title: `${d.day}: ${rows(d.archived || 0)} archived` }));
  return barChart(bars, summary, (v) => count(v), [days.length ? days[0].day : '', days.length ? days[days.length - 1].day : '']);
}

export function sweepDurations(list) {
  const sweeps = [...list].sort((a, b) => (a.started_ms || 0) - (b.started_ms || 0));
  const longest = sweeps.reduce((m, x) => Math.max(m, x.duration_ms || 0), 0);
  const summary = sweeps.length === 0 ? 'Sweep durations: no sweeps yet'
    : `Durations of the last ${sweeps.length} sweeps; the longest took ${duration(longest)}`;
  const bars = sweeps.map((x) => ({
    value: x.duration_ms || 0,
    className: `trigger-${String(x.trigger).replace(/[^a-z]/g, '')}`,
    title: `Sweep #${x.id} (${x.trigger}): ${duration(x.duration_ms)}, ${rows(x.archived || 0)} archived`,
  }));
  const first = sweeps.length ? `#${sweeps[0].id}` : '';
  const last = sweeps.length ? `#${sweeps[sweeps.length - 1].id}` : '';
  return barChart(bars, summary, (v) => duration(v), [first, last]);
}
