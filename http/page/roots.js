// A card per storage root: its state and why, a usage bar with Bluecherry's
// max_thresh and the line (max_thresh + 5 %) above which the daemon starts a
// pressure sweep, bytes used and free, whether it is watched, its pending
// events and its last sweep. Each card has a "Preview" of that root alone.

import { h, replace } from './dom.js';
import { ago, bytes, count, percent, rows } from './format.js';

const STATE_WORDS = {
  online: 'online',
  offline: 'offline',
  suspect: 'suspect',
  unresponsive: 'unresponsive',
};

function clampPercent(v) {
  return Math.min(100, Math.max(0, Number(v) || 0));
}

function usageBar(root) {
  const used = clampPercent(root.used_percent);
  const marks = [];
  const legend = [`${percent(root.used_percent)} used`];
  if (root.max_thresh !== null && root.max_thresh !== undefined) {
    marks.push(h('div', { class: 'mark max', style: { left: `${clampPercent(root.max_thresh)}%` } }));
    legend.push(`Bluecherry frees space above ${percent(root.max_thresh)}`);
  }
  if (root.pressure_percent !== null && root.pressure_percent !== undefined) {
    const beyond = root.pressure_percent > 100;
    marks.push(h('div', { class: `mark pressure${beyond ? ' beyond' : ''}`,
      style: { left: `${clampPercent(root.pressure_percent)}%` } }));
    legend.push(beyond ? `a pressure sweep would start above ${percent(root.pressure_percent)} (never reached)`
      : `a pressure sweep starts above ${percent(root.pressure_percent)}`);
  }
  const over = root.max_thresh !== null && root.used_percent >= root.max_thresh;
  return [
    h('div', { class: `usage${over ? ' over' : ''}`, role: 'img', 'aria-label': legend.join('; ') },
      h('div', { class: 'fill', style: { width: `${used}%` } }), marks),
    h('p', { class: 'legend muted' },
      h('span', { class: 'key used' }), ` ${percent(root.used_percent)} used`,
      root.max_thresh !== null && root.max_thresh !== undefined
        ? [' ', h('span', { class: 'key max' }), ` max_thresh ${percent(root.max_thresh)}`] : null,
      root.pressure_percent !== null && root.pressure_percent !== undefined
        ? [' ', h('span', { class: 'key pressure' }), ` pressure sweep ${percent(root.pressure_percent)}`] : null),
  ];
}

function lastSweep(last) {
  if (!last) return 'none yet';
  const when = ago(last.finished_ms);
  if (last.refused) return `#${last.id}, ${when}: refused (${last.refused_reason})`;
  // A preview archived nothing: say what it would have archived.
  if (last.dry_run) {
    return `#${last.id}, ${when}: preview, ${count(last.checked)} checked, ${count(last.missing)} missing, ` +
      `${rows(last.would_archive || 0)} would be archived`;
  }
  return `#${last.id}, ${when}: ${count(last.checked)} checked, ${count(last.missing)} missing, ` +
    `${rows(last.archived)} archived`;
}

function fact(term, value, key) {
  return [h('dt', { text: term }), h('dd', { text: value, 'data-fact': key })];
}

function card(root, index, onPreview, busy) {
  const id = `root-${index}`;
  const state = STATE_WORDS[root.state] || String(root.state);
  const button = h('button', { type: 'button', 'data-preview-root': '', disabled: busy,
    'aria-label': `Preview ${root.path}`, text: 'Preview' });
  button.addEventListener('click', () => onPreview([root.path]));
  return h('article', { class: `root-card state-${state}`, 'aria-labelledby': id },
    h('header', {},
      h('h3', { id, class: 'path', text: root.path }),
      h('span', { class: `badge ${state}`, text: state })),
    root.reason ? h('p', { class: 'reason', text: root.reason }) : null,
    usageBar(root),
    h('dl', { class: 'facts' },
      fact('Used', `${bytes(root.bytes_used)} of ${bytes(root.bytes_total)}`, 'used'),
      fact('Free', bytes(root.bytes_free), 'free'),
      fact('Filesystem', `${root.fs_type || 'unknown'}${root.mount_point ? ', its own mount' : ''}`, 'fs'),
      fact('Watched', root.watched ? 'yes: deletions are archived as they happen' : 'no', 'watched'),
      fact('Pending events', count(root.pending_events), 'pending'),
      fact('Last sweep', lastSweep(root.last_sweep), 'last-sweep')),
    h('div', { class: 'actions' }, button));
}

export function render(container, roots, onPreview, busy) {
  if (!roots.length) {
    replace(container, h('p', { class: 'muted',
      text: 'No storage roots yet: the daemon reads them from Bluecherry\'s Storage table.' }));
    return;
  }
  replace(container, roots.map((r, i) => card(r, i, onPreview, busy)));
}
