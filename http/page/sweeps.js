// Following one sweep to its end, and saying what a sweep's report means in
// plain words. Progress comes from the stream while it is open; a poll of
// GET api/v1/sweeps/{id} runs beside it (often when the stream is down,
// rarely when it is up), so a lost stream never leaves the bar stuck.

import { api } from './api.js';
import * as stream from './stream.js';
import { count, rows } from './format.js';

export const FINISHED = new Set(['done', 'failed', 'cancelled', 'partial']);

export function stateOf(sweep) {
  return sweep.state || sweep.outcome || 'unknown';
}

// Resolves with the finished sweep (with its report); onUpdate gets each
// progress update on the way.
export function follow(id, onUpdate) {
  return new Promise((resolve, reject) => {
    let over = false;
    let timer = 0;
    const end = (fn) => {
      over = true;
      unsubscribe();
      clearTimeout(timer);
      fn();
    };
    const fetchFinal = () => {
      api('GET', `api/v1/sweeps/${id}`).then(
        (s) => end(() => { onUpdate(s); resolve(s); }),
        (e) => end(() => reject(e)));
    };
    const unsubscribe = stream.subscribe('sweep', (s) => {
      if (over || s.id !== id) return;
      onUpdate(s);
      if (FINISHED.has(stateOf(s))) fetchFinal();
    });
    const poll = async () => {
      if (over) return;
      try {
        const s = await api('GET', `api/v1/sweeps/${id}`);
        if (over) return;
        onUpdate(s);
        if (FINISHED.has(stateOf(s))) {
          end(() => resolve(s));
          return;
        }
      } catch (e) {
        if (e.status === 401 || e.status === 404) {
          if (!over) end(() => reject(e));
          return;
        }
      }
      if (!over) timer = setTimeout(poll, stream.live() ? 2000 : 500);
    };
    poll();
  });
}

// 0..100, or null when the sweep does not know how many rows to expect.
export function percentDone(sweep) {
  if (stateOf(sweep) === 'done') return 100;
  const p = sweep.progress || {};
  if (!p.rows_expected) return null;
  return Math.min(100, Math.max(0, (100 * (p.rows_seen || 0)) / p.rows_expected));
}

export function progressWords(sweep) {
  const p = sweep.progress || {};
  const seen = count(p.rows_seen || 0);
  const of = p.rows_expected ? ` of about ${count(p.rows_expected)}` : '';
  const parts = [`${seen}${of} rows checked`];
  if (p.folders_listed) parts.push(`${rows(p.folders_listed, 'folder')} listed`);
  parts.push(`${count(p.missing || 0)} missing`);
  if (!sweep.dry_run) parts.push(`${count(p.archived || 0)} archived`);
  return parts.join(' · ');
}

// What to look at when a guard refused a root or the root was not there.
export function adviceFor(root) {
  const reason = `${root.refused_reason || ''} ${root.reason || ''}`.toLowerCase();
  if (root.state === 'offline' || root.state === 'unresponsive') {
    return 'Check that the storage is mounted and answers (mount, fstab, cables, NAS), then sync again.';
  }
  if (root.state === 'suspect') {
    return 'The folder is empty while the catalog lists recordings in it: check that the right disk is mounted there. ' +
      'If the recordings really are gone, run "recsync sweep --force" on the server.';
  }
  if (reason.includes('ratio') || reason.includes('missing')) {
    return 'Too many recordings are missing at once for a normal loss: check that the disk is the right one and complete. ' +
      'If they really are gone, run "recsync sweep --force" on the server.';
  }
  return 'Check the storage and the daemon\'s log (journalctl -u recsync), then sync again.';
}

// Rows the preview would archive under a root: those its report counts as
// missing, unless a guard refused the root or it was not swept.
export function wouldArchive(root) {
  if (typeof root.would_archive === 'number') return root.would_archive;
  if (root.refused || root.state === 'offline' || root.state === 'unresponsive') return 0;
  return root.missing || 0;
}

export function listedRows(report) {
  const list = report.dry_run ? report.would_archive : report.archived_rows;
  return Array.isArray(list) ? list : [];
}

export function previewTotal(report) {
  const listed = listedRows(report).length + (report.rows_not_listed || 0);
  const perRoot = (report.roots || []).reduce((n, r) => n + wouldArchive(r), 0);
  return Math.max(listed, perRoot);
}

// "text" ending with a full stop.
export function sentence(text) {
  const t = String(text || '').trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function unknownWords(n) {
  return `${rows(n)} could not be checked (the file could not be read: no permission, an I/O error ` +
    'or a timeout); they are left as they are';
}

// One sentence per root of a finished sweep that archived (not a preview),
// and whether any of them is bad news.
export function resultLines(sweep) {
  const report = sweep.report || {};
  const lines = [];
  let trouble = false;
  for (const root of report.roots || []) {
    let line;
    if (root.state === 'offline' || root.state === 'unresponsive') {
      trouble = true;
      line = `${root.path} was ${root.state}${root.reason ? ` (${root.reason})` : ''} and was not swept. ${adviceFor(root)}`;
    } else if (root.refused) {
      trouble = true;
      line = `Refused under ${root.path}: ${sentence(root.refused_reason)} ${adviceFor(root)}`;
    } else if (root.archived > 0) {
      line = `Archived ${rows(root.archived)} of missing recordings under ${root.path}`;
    } else {
      line = `Nothing to archive under ${root.path}: every recording checked is there`;
    }
    if (root.unknown > 0) line += `; ${unknownWords(root.unknown)}`;
    lines.push(line.endsWith('.') ? line : `${line}.`);
  }
  const state = stateOf(sweep);
  if (state === 'failed') {
    trouble = true;
    lines.unshift(`The sweep failed: ${sweep.error || 'see the daemon\'s log'}.`);
  } else if (state === 'cancelled') {
    trouble = true;
    lines.unshift(`The sweep was stopped; what it archived before stopping stays archived (${rows(report.archived || 0)}).`);
  }
  if (lines.length === 0) lines.push('The sweep finished without a report.');
  return { lines, trouble };
}
