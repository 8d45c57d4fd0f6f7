// The history: recent sweeps, the audit trail (filters, pages by cursor),
// journaled events with Retry, and the two charts.

import { api, query } from './api.js';
import { byId, h, replace } from './dom.js';
import { count, duration, rows, time } from './format.js';
import * as charts from './charts.js';
import { stateOf } from './sweeps.js';

const PAGE = 50;

function cells(...values) {
  return values.map((v) => (v instanceof Node ? h('td', {}, v) : h('td', { text: v })));
}

function emptyRow(tbody, columns, words) {
  replace(tbody, h('tr', {}, h('td', { colspan: columns, class: 'muted', text: words })));
}

function failure(tbody, columns, e) {
  emptyRow(tbody, columns, `Could not load: ${e.detail || e.message}`);
}

// ---- recent sweeps

export async function loadSweeps() {
  const tbody = byId('sweeps-rows');
  try {
    const { sweeps } = await api('GET', `api/v1/sweeps${query({ limit: 20 })}`);
    if (!sweeps.length) return emptyRow(tbody, 11, 'No sweeps yet.');
    replace(tbody, sweeps.map((x) => {
      const audit = h('button', { type: 'button', class: 'link', text: 'Actions',
        'aria-label': `Actions of sweep ${x.id}` });
      audit.addEventListener('click', () => showActionsOfSweep(x.id));
      return h('tr', { 'data-state': stateOf(x) }, cells(`#${x.id}`, time(x.started_ms), x.trigger,
        x.dry_run ? 'preview' : 'archive', stateOf(x), x.duration_ms ? duration(x.duration_ms) : '—',
        count(x.checked), count(x.missing), count(x.unknown), count(x.archived), x.archived > 0 ? audit : ''));
    }));
  } catch (e) {
    failure(tbody, 11, e);
  }
}

// ---- the audit trail

const trail = { filter: {}, cursors: [null], page: 0 };

async function loadActions() {
  const tbody = byId('actions-rows');
  const cursor = trail.cursors[trail.page];
  try {
    const answer = await api('GET', `api/v1/actions${query({ ...trail.filter, limit: PAGE, cursor })}`);
    trail.cursors.length = trail.page + 1;
    if (answer.next_cursor) trail.cursors.push(answer.next_cursor);
    byId('actions-newer').disabled = trail.page === 0;
    byId('actions-older').disabled = !answer.next_cursor;
    byId('actions-page').textContent = `page ${trail.page + 1}`;
    if (!answer.actions.length) return emptyRow(tbody, 6, 'No actions match.');
    replace(tbody, answer.actions.map((a) => h('tr', {}, cells(time(a.time_ms), a.action,
      a.cause === 'sweep' ? `sweep #${a.cause_id}` : `${a.cause} #${a.cause_id}`, String(a.media_id),
      h('span', { class: 'path', text: a.path }), a.detail || ''))));
  } catch (e) {
    failure(tbody, 6, e);
  }
}

function readActionFilter() {
  const form = byId('actions-filter');
  trail.filter = { sweep: form.elements.sweep.value.trim(), since: form.elements.since.value };
  trail.cursors = [null];
  trail.page = 0;
}

function showActionsOfSweep(id) {
  const form = byId('actions-filter');
  form.elements.sweep.value = String(id);
  readActionFilter();
  loadActions();
  byId('actions-title').scrollIntoView({ block: 'start' });
  form.elements.sweep.focus();
}

// ---- events

const events = { filter: { state: 'failed' }, cursors: [null], page: 0 };

function say(words, trouble) {
  const out = byId('events-result');
  out.className = `result ${trouble ? 'trouble' : 'ok'}`;
  out.textContent = words;
}

async function retry(body) {
  try {
    const answer = await api('POST', 'api/v1/events/retry', body);
    const skipped = answer.skipped || [];
    say(`Retried ${rows(answer.retried.length, 'event')}` +
      (skipped.length ? `; ${count(skipped.length)} skipped (not failed any more)` : '') + '.');
    await loadEvents();
  } catch (e) {
    say(`Retry failed: ${e.detail}`, true);
  }
}

function eventRow(e) {
  let action = '';
  if (e.state === 'failed') {
    action = h('button', { type: 'button', text: 'Retry', 'aria-label': `Retry event ${e.seq}` });
    action.addEventListener('click', () => retry({ seqs: [e.seq] }));
  }
  return h('tr', {}, cells(String(e.seq), time(e.time_ms), e.kind, h('span', { class: 'path', text: e.path }),
    e.state, count(e.attempts || 0), e.last_error || e.detail || '', action));
}

export async function loadEvents() {
  const tbody = byId('events-rows');
  const cursor = events.cursors[events.page];
  try {
    const answer = await api('GET', `api/v1/events${query({ ...events.filter, limit: PAGE, cursor })}`);
    events.cursors.length = events.page + 1;
    if (answer.next_cursor) events.cursors.push(answer.next_cursor);
    byId('events-newer').disabled = events.page === 0;
    byId('events-older').disabled = !answer.next_cursor;
    byId('events-page').textContent = `page ${events.page + 1}`;
    if (!answer.events.length) return emptyRow(tbody, 8, 'No events match.');
    replace(tbody, answer.events.map(eventRow));
  } catch (e) {
    failure(tbody, 8, e);
  }
}

function readEventFilter() {
  const form = byId('events-filter');
  events.filter = { state: form.elements.state.value, kind: form.elements.kind.value,
    path: form.elements.path.value.trim() };
  events.cursors = [null];
  events.page = 0;
}

// ---- charts

export async function loadCharts() {
  try {
    const history = await api('GET', `api/v1/history${query({ days: 28 })}`);
    replace(byId('chart-archived'), charts.archivedPerDay(history.days || []));
    replace(byId('chart-durations'), charts.sweepDurations(history.sweeps || []));
  } catch (e) {
    replace(byId('chart-archived'), h('p', { class: 'muted', text: `Could not load: ${e.detail}` }));
  }
}

function pager(state, load, newer, older) {
  byId(newer).addEventListener('click', () => {
    state.page = Math.max(0, state.page - 1);
    load();
  });
  byId(older).addEventListener('click', () => {
    if (state.cursors.length > state.page + 1) state.page += 1;
    load();
  });
}

export function init() {
  byId('actions-filter').addEventListener('submit', (ev) => {
    ev.preventDefault();
    readActionFilter();
    loadActions();
  });
  byId('events-filter').addEventListener('submit', (ev) => {
    ev.preventDefault();
    readEventFilter();
    loadEvents();
  });
  byId('events-retry-all').addEventListener('click', () => retry({ all: true }));
  pager(trail, loadActions, 'actions-newer', 'actions-older');
  pager(events, loadEvents, 'events-newer', 'events-older');
}

export async function loadAll() {
  await Promise.all([loadSweeps(), loadActions(), loadEvents(), loadCharts()]);
}

export { loadActions };
