// The storage page: signs in with a Bluecherry administrator account, then
// shows the roots, "Sync now" and the history, kept fresh by the daemon's
// event stream (and a slow refresh, should the stream be down).

import { api, setCsrf, whenSignedOut } from './api.js';
import { byId, h, replace, show } from './dom.js';
import { count } from './format.js';
import * as history from './history.js';
import * as roots from './roots.js';
import * as stream from './stream.js';
import * as sync from './sync.js';

const REFRESH_MS = 30000;
let refreshTimer = 0;
let rootsPending = null;
let rootsAgain = false;

function statusLine(status) {
  const parts = [status.ready ? 'ready' : 'starting'];
  parts.push(status.database && status.database.connected ? 'database connected' : 'database unreachable');
  if (status.events) parts.push(`${count(status.events.pending)} pending, ${count(status.events.failed)} failed events`);
  if (status.sweep && status.sweep.running) parts.push('a sweep is running');
  return `recsync ${status.version || ''} · ${parts.join(' · ')}`;
}

function showStatus(status) {
  byId('daemon-status').textContent = statusLine(status);
  const degraded = byId('degraded');
  const lines = status.degraded || [];
  replace(degraded, lines.length ? [h('h2', { text: 'Needs attention' }), h('ul', {}, lines.map((l) => h('li', { text: l })))] : []);
  show(degraded, lines.length > 0);
}

// One roots request at a time; a call while one is out asks for one more.
async function loadRoots() {
  if (rootsPending) {
    rootsAgain = true;
    return rootsPending;
  }
  rootsPending = (async () => {
    do {
      rootsAgain = false;
      try {
        const answer = await api('GET', 'api/v1/roots');
        roots.render(byId('roots'), answer.roots || [], (paths) => sync.preview(paths), sync.isBusy());
      } catch (e) {
        if (e.status !== 401) replace(byId('roots'), h('p', { class: 'result trouble', text: `Could not load the storage roots: ${e.detail}` }));
      }
    } while (rootsAgain);
  })();
  try {
    await rootsPending;
  } finally {
    rootsPending = null;
  }
}

async function loadStatus() {
  try {
    const status = await api('GET', 'api/v1/status');
    showStatus(status);
    return status;
  } catch {
    return null;
  }
}

// A sweep running when the page opens is followed, not doubled.
async function adoptRunningSweep() {
  try {
    const { sweeps } = await api('GET', 'api/v1/sweeps?limit=5');
    const running = sweeps.find((x) => x.state === 'running' || x.state === 'queued');
    if (running) sync.adopt(running.id);
  } catch {
    // the history shows the error
  }
}

function refreshAll() {
  loadStatus();
  loadRoots();
  history.loadAll();
}

function signedIn(session) {
  setCsrf(session.csrf);
  byId('user').textContent = session.user;
  show(byId('sign-in'), false);
  show(byId('who'), true);
  show(byId('app'), true);
  sync.reset();
  stream.open();
  loadStatus().then((status) => {
    if (status && status.sweep && status.sweep.running) adoptRunningSweep();
  });
  loadRoots();
  history.loadAll();
  clearInterval(refreshTimer);
  refreshTimer = setInterval(refreshAll, REFRESH_MS);
  byId('sync-now').focus();
}

function signedOut(message) {
  setCsrf('');
  stream.close();
  clearInterval(refreshTimer);
  show(byId('app'), false);
  show(byId('who'), false);
  // Nothing of the session stays on the page.
  replace(byId('roots'));
  for (const id of ['sweeps-rows', 'actions-rows', 'events-rows', 'chart-archived', 'chart-durations']) replace(byId(id));
  sync.reset();
  byId('daemon-status').textContent = '';
  byId('sign-in-error').textContent = message || '';
  byId('password').value = '';
  show(byId('sign-in'), true);
  byId('username').focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const form = ev.target;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  byId('sign-in-error').textContent = '';
  try {
    const session = await api('POST', 'api/v1/session',
      { username: form.elements.username.value, password: form.elements.password.value });
    signedIn(session);
  } catch (e) {
    byId('sign-in-error').textContent = e.detail;
    byId('password').select();
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await api('DELETE', 'api/v1/session');
  } catch {
    // signed out either way
  }
  signedOut('Signed out.');
}

function init() {
  byId('sign-in-form').addEventListener('submit', signIn);
  byId('sign-out').addEventListener('click', signOut);
  whenSignedOut(() => signedOut('Your session ended; sign in again.'));
  sync.init(() => {
    loadRoots();
    loadStatus();
    history.loadAll();
  });
  history.init();
  stream.subscribe('status', (status) => {
    showStatus(status);
    loadRoots();
  });
  stream.subscribe('sweep', (s) => {
    if (s.state === 'running') sync.adopt(s.id);
  });
  stream.subscribe('events', () => loadRoots());
  api('GET', 'api/v1/session').then(signedIn, () => signedOut(''));
}

init();
