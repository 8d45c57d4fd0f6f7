// "Sync now": a preview (a dry run) first, then "Archive N rows" to confirm,
// a live progress bar while a sweep runs, and the outcome in plain words. A
// sweep that is already running (another operator's, the daemon's own) is
// followed instead of starting another.

import { api } from './api.js';
import { byId, h, replace, show } from './dom.js';
import { count, duration, rows } from './format.js';
import * as sweeps from './sweeps.js';

const FIRST_ROWS = 5;

let onFinished = () => {};
let following = 0;  // the id of the sweep the panel shows, 0 when none
let busy = false;
const finishedIds = new Set();  // a late stream update never revives one

function els() {
  return {
    syncNow: byId('sync-now'),
    progress: byId('sync-progress'),
    label: byId('sync-progress-label'),
    bar: byId('sync-progress-bar'),
    detail: byId('sync-progress-detail'),
    stop: byId('sync-stop'),
    preview: byId('sync-preview'),
    result: byId('sync-result'),
  };
}

function setBusy(value) {
  busy = value;
  els().syncNow.disabled = value;
  for (const b of document.querySelectorAll('button[data-preview-root]')) b.disabled = value;
}

function say(kind, ...lines) {
  const { result } = els();
  result.className = `result ${kind}`;
  replace(result, lines.map((line) => h('p', {}, line)));
}

function drawProgress(sweep, title) {
  const { progress, label, bar, detail, stop } = els();
  show(progress, true);
  const state = sweeps.stateOf(sweep);
  const running = !sweeps.FINISHED.has(state);
  label.textContent = `${title} (${state}${running && sweep.phase ? `: ${sweep.phase}` : ''})`;
  const pct = sweeps.percentDone(sweep);
  const fill = bar.firstElementChild;
  if (pct === null) {
    bar.removeAttribute('aria-valuenow');
    bar.setAttribute('aria-valuetext', 'working; the number of rows is not known yet');
    bar.classList.add('indeterminate');
  } else {
    bar.classList.remove('indeterminate');
    bar.setAttribute('aria-valuenow', String(Math.round(pct)));
    bar.setAttribute('aria-valuetext', `${Math.round(pct)} %`);
    fill.style.setProperty('width', `${pct}%`);
  }
  bar.dataset.state = state;
  detail.textContent = sweeps.progressWords(sweep);
  show(stop, running);
}

// Follows sweep `id` to its end with the bar, then hands back the finished
// sweep (with its report).
async function followWithBar(id, title) {
  following = id;
  const { stop } = els();
  stop.onclick = async () => {
    stop.disabled = true;
    try {
      await api('DELETE', `api/v1/sweeps/${id}`);
    } catch (e) {
      say('trouble', `Could not stop the sweep: ${e.detail}`);
    } finally {
      stop.disabled = false;
    }
  };
  drawProgress({ id, state: 'queued', progress: {} }, title);
  try {
    return await sweeps.follow(id, (s) => drawProgress(s, title));
  } finally {
    following = 0;
    finishedIds.add(id);
  }
}

// POST api/v1/sweeps; a 409 hands back the running sweep's id instead.
// The bar of the sweep before goes first, so it is never read as this one's.
async function start(body) {
  show(els().progress, false);
  try {
    const answer = await api('POST', 'api/v1/sweeps', body);
    return { id: answer.id, ours: true };
  } catch (e) {
    if (e.status === 409 && e.body.id) return { id: e.body.id, ours: false, progress: e.body.progress };
    throw e;
  }
}

async function alreadyRunning(id) {
  say('info', `A sweep is already running (#${id}); here is its progress. Sync again once it has finished.`);
  const done = await followWithBar(id, `Sweep #${id}`);
  showOutcome(done);
}

function showOutcome(sweep) {
  if (sweep.dry_run) {
    say('info', `Preview #${sweep.id} finished.`);
  } else {
    const { lines, trouble } = sweeps.resultLines(sweep);
    say(trouble ? 'trouble' : 'ok', ...lines);
  }
  onFinished();
}

function previewRoot(root, listed) {
  const n = sweeps.wouldArchive(root);
  const mine = listed.filter((r) => r.path.startsWith(`${root.path}/`)).slice(0, FIRST_ROWS);
  return h('li', { class: 'preview-root' },
    h('p', {}, h('strong', { class: 'path', text: root.path }), ` — ${root.state}: `,
      `${rows(n)} would be archived`,
      ` (${count(root.checked)} checked, ${count(root.missing)} missing, ${count(root.unknown)} could not be checked)`),
    root.reason ? h('p', { class: 'muted', text: `${root.state}: ${root.reason}` }) : null,
    root.refused ? h('p', { class: 'refusal' }, h('strong', { text: 'A guard would refuse this root: ' }),
      sweeps.sentence(root.refused_reason), ' ', sweeps.adviceFor(root)) : null,
    mine.length ? h('details', { open: true },
      h('summary', { text: `The first ${mine.length === 1 ? 'row' : `${mine.length} rows`}` }),
      h('ul', { class: 'paths' }, mine.map((r) => h('li', {}, h('code', { text: `#${r.id}` }), ' ',
        h('span', { class: 'path', text: r.path }))))) : null);
}

function showPreview(sweep, roots) {
  const { preview } = els();
  const report = sweep.report || {};
  const total = sweeps.previewTotal(report);
  const listed = sweeps.listedRows(report);
  const refused = (report.roots || []).filter((r) => r.refused);
  const heading = total > 0
    ? `Preview: ${rows(total)} would be archived`
    : 'Preview: nothing to archive';
  const archive = h('button', { type: 'button', class: 'primary', text: `Archive ${rows(total)}` });
  const discard = h('button', { type: 'button', text: 'Discard preview' });
  archive.addEventListener('click', () => confirmArchive(roots));
  discard.addEventListener('click', () => {
    show(preview, false);
    replace(preview);
    setBusy(false);
  });
  replace(preview,
    h('h3', { id: 'preview-title', text: heading }),
    h('p', { class: 'muted', text: `Dry run #${sweep.id}, ${duration(report.duration_ms)}; nothing was changed.` }),
    total === 0 && refused.length === 0
      ? h('p', { text: 'Every recording the catalog lists is on disk.' }) : null,
    h('ul', { class: 'preview-roots' }, (report.roots || []).map((r) => previewRoot(r, listed))),
    report.rows_not_listed ? h('p', { class: 'muted', text: `… and ${rows(report.rows_not_listed)} more.` }) : null,
    h('div', { class: 'actions' }, total > 0 ? archive : null, discard));
  preview.setAttribute('aria-labelledby', 'preview-title');
  show(preview, true);
  (total > 0 ? archive : discard).focus();
}

async function confirmArchive(roots) {
  const { preview } = els();
  show(preview, false);
  replace(preview);
  try {
    const { id, ours } = await start({ dry_run: false, roots });
    if (!ours) {
      await alreadyRunning(id);
      return;
    }
    say('info', `Archiving (sweep #${id})…`);
    showOutcome(await followWithBar(id, `Archiving, sweep #${id}`));
  } catch (e) {
    say('trouble', `The sweep could not run: ${e.detail}`);
  } finally {
    setBusy(false);
  }
}

// The preview of every root, or of the roots given.
export async function preview(roots) {
  if (busy) return;
  setBusy(true);
  const { preview: box } = els();
  show(box, false);
  replace(box);
  try {
    const { id, ours } = await start({ dry_run: true, roots });
    if (!ours) {
      await alreadyRunning(id);
      setBusy(false);
      return;
    }
    say('info', `Looking for missing recordings (preview #${id}); nothing changes yet…`);
    const done = await followWithBar(id, `Preview, sweep #${id}`);
    if (sweeps.stateOf(done) !== 'done' && sweeps.stateOf(done) !== 'partial') {
      showOutcome(done);
      setBusy(false);
      return;
    }
    say('info', 'Preview ready: check it, then archive or discard.');
    onFinished();
    showPreview(done, roots);  // stays busy until archived or discarded
  } catch (e) {
    say('trouble', `The preview could not run: ${e.detail}`);
    setBusy(false);
  }
}

// A sweep found running when the page opens (or announced by the stream)
// is shown with its progress.
export async function adopt(id) {
  if (busy || following === id || finishedIds.has(id)) return;
  setBusy(true);
  try {
    await alreadyRunning(id);
  } catch (e) {
    say('trouble', `Lost track of sweep #${id}: ${e.detail}`);
  } finally {
    setBusy(false);
  }
}

export function isBusy() {
  return busy;
}

export function init(finished) {
  onFinished = finished;
  els().syncNow.addEventListener('click', () => preview(undefined));
}

export function reset() {
  const { progress, preview: box, result } = els();
  show(progress, false);
  show(box, false);
  replace(box);
  replace(result);
  setBusy(false);
}
