// Numbers, sizes, durations and times in the words the page shows them in.

const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percents = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function count(n) {
  return counts.format(Number(n) || 0);
}

export function percent(n) {
  return n === null || n === undefined ? 'unknown' : `${percents.format(n)} %`;
}

// "1 row", "1,204 rows".
export function rows(n, noun = 'row') {
  return `${count(n)} ${noun}${Number(n) === 1 ? '' : 's'}`;
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  let v = Number(n) || 0;
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${count(v)} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

// 850 ms, 12.3 s, 4 min 5 s, 2 h 3 min.
export function duration(ms) {
  const v = Number(ms) || 0;
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.round(v / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

// Local time, 2026-12-01 14:03:09.
export function time(ms) {
  if (!ms) return '—';
  const d = new Date(Number(ms));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "just now", "5 min ago", "3 h ago", "2 days ago".
export function ago(ms, now = Date.now()) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - Number(ms)) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
