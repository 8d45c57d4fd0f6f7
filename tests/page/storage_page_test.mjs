// The storage page in Debian's chromium, driven by playwright-core, against
// the daemon run.sh started. What an administrator does and depends on, step
// by step, each awaited with a deadline and saved as a screenshot:
//   01 the sign-in form; 02 a wrong password and a user without setup
//   access are turned away with the server's words; 03 signed in, the root's
//   card; 04 "Sync now" previews the rows whose files are gone (the hostile
//   file name shown as text, not markup); 05/06 "Archive N rows" runs the
//   sweep, the progress bar reaches its end, the result says what happened;
//   07 the root's last-sweep figures change without a reload (08: the top of
//   the page, the README's picture); 09 the audit
//   trail of that sweep lists every archived path; 10 signed out, the
//   session is gone; 11 the same page in dark mode.
// Environment (from run.sh): RECSYNC_PAGE_URL, RECSYNC_PAGE_ROOT,
// RECSYNC_PAGE_GONE (a file, one path a line), RECSYNC_PAGE_HOSTILE,
// RECSYNC_PAGE_ARTIFACTS.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this through tests/page/run.sh`);
  return value;
};
const url = env('RECSYNC_PAGE_URL');
const root = env('RECSYNC_PAGE_ROOT');
const gone = fs.readFileSync(env('RECSYNC_PAGE_GONE'), 'utf8').split('\n').filter(Boolean);
const hostile = env('RECSYNC_PAGE_HOSTILE');
const artifacts = env('RECSYNC_PAGE_ARTIFACTS');
const WAIT = { timeout: 30000 };
const count = (n) => new Intl.NumberFormat('en-US').format(n);

let shot = 0;
async function screenshot(page, name, options = {}) {
  shot += 1;
  const file = path.join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', ...options });
  return file;
}

function check(condition, words) {
  if (!condition) throw new Error(words);
}

// Every console error must be one the page expects: the 401 of the first
// session check and the 401/403 of the refused sign-ins.
function watchErrors(page, problems) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`a dialog opened (markup from the server ran?): ${d.message()}`);
    d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/Failed to load resource: the server responded with a status of 40[13]/.test(m.text())) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) problems.push(`a request left the page's base: ${r.url()}`);
  });
}

async function signIn(page, username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signInSteps(page) {
  await page.goto(url);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
  check(!(await page.getByRole('button', { name: 'Sign out' }).isVisible()), 'Sign out shows before signing in');
  await screenshot(page, 'sign-in');

  await signIn(page, 'Admin', 'not-the-password');
  await page.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor(WAIT);
  await signIn(page, 'viewer', 'watch-only');
  await page.getByRole('alert').filter({ hasText: 'administrator' }).waitFor(WAIT);
  await screenshot(page, 'sign-in-refused');

  // The keyboard alone: Enter in the password field submits the form.
  await page.getByLabel('Username').fill('Admin');
  await page.getByLabel('Password').fill('bluecherry');
  await page.getByLabel('Password').press('Enter');
  await page.getByText('Signed in as Admin').waitFor(WAIT);
  check(!(await page.getByRole('heading', { name: 'Sign in' }).isVisible()), 'the sign-in form stayed');
}

function rootCard(page) {
  return page.getByRole('article', { name: root, exact: true });
}

async function previewSteps(page) {
  const card = rootCard(page);
  await card.waitFor(WAIT);
  await card.locator('[data-fact="last-sweep"]').filter({ hasText: '0 rows archived' }).waitFor(WAIT);
  await screenshot(page, 'storage');

  await page.getByRole('button', { name: 'Sync now' }).click();
  const archive = page.getByRole('button', { name: `Archive ${count(gone.length)} rows`, exact: true });
  await archive.waitFor(WAIT);
  const preview = page.locator('#sync-preview');
  await preview.getByText(`${count(gone.length)} rows would be archived`).first().waitFor(WAIT);
  // The hostile name is shown, as text; no element came of it.
  await preview.getByText(hostile, { exact: true }).waitFor(WAIT);
  check(await page.locator('img').count() === 0, 'a file name became an <img> element');
  // Nothing changed yet: the root's last sweep is the preview, and says so.
  await card.locator('[data-fact="last-sweep"]').filter({ hasText: 'preview' })
    .filter({ hasText: `${count(gone.length)} rows would be archived` }).waitFor(WAIT);
  await screenshot(page, 'preview', { fullPage: true });
  return archive;
}

async function archiveSteps(page, archive) {
  // Every value the bar takes, as it takes it.
  await page.evaluate(() => {
    const bar = document.getElementById('sync-progress-bar');
    window.progressSeen = [];
    new MutationObserver(() => window.progressSeen.push(bar.getAttribute('aria-valuenow')))
      .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  await archive.click();
  // The bar of this sweep, not the preview's: its label names the archiving sweep.
  const label = page.locator('#sync-progress-label');
  await label.filter({ hasText: /^Archiving, sweep #\d+/ }).waitFor(WAIT);
  await page.getByRole('progressbar', { name: 'Sweep progress' }).waitFor(WAIT);
  await screenshot(page, 'archiving');
  await label.filter({ hasText: /^Archiving, sweep #\d+ \(done\)$/ }).waitFor(WAIT);
  await page.locator('#sync-progress-bar[data-state="done"][aria-valuenow="100"]').waitFor(WAIT);
  const seen = await page.evaluate(() => window.progressSeen);
  check(seen.length > 0 && seen[seen.length - 1] === '100', `the bar's values were ${JSON.stringify(seen)}`);
  check(seen.every((v, i) => i === 0 || Number(v) >= Number(seen[i - 1])), `the bar went back: ${JSON.stringify(seen)}`);

  const result = page.locator('#sync-result');
  await result.getByText(`Archived ${count(gone.length)} rows of missing recordings under ${root}.`, { exact: true })
    .waitFor(WAIT);
  await screenshot(page, 'result');
  const sweepId = Number(/#(\d+)/.exec(await label.textContent())[1]);

  // The root's figures, without a reload.
  await rootCard(page).locator('[data-fact="last-sweep"]')
    .filter({ hasText: `#${sweepId}` }).filter({ hasText: `${count(gone.length)} rows archived` }).waitFor(WAIT);
  await screenshot(page, 'storage-updated', { fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'storage-page');  // the README's picture (docs/img/storage-page.png)
  return sweepId;
}

async function auditSteps(page, sweepId) {
  await page.getByRole('button', { name: `Actions of sweep ${sweepId}`, exact: true }).click();
  const table = page.getByRole('table', { name: 'Audit trail' });
  await table.getByRole('row').filter({ hasText: `sweep #${sweepId}` }).nth(gone.length - 1).waitFor(WAIT);
  const rows = table.getByRole('row').filter({ hasText: `sweep #${sweepId}` });
  check(await rows.count() === gone.length, `the audit trail lists ${await rows.count()} rows of sweep ${sweepId}`);
  for (const p of gone) await table.getByText(p, { exact: true }).waitFor(WAIT);
  await table.scrollIntoViewIfNeeded();
  await screenshot(page, 'audit-trail');
}

async function signOutSteps(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
  check(!(await page.getByRole('button', { name: 'Sign out' }).isVisible()), 'Sign out stayed after signing out');
  check(await rootCard(page).count() === 0, 'the root card stayed on the page after signing out');
  const status = await page.evaluate(async () => (await fetch('api/v1/status')).status);
  check(status === 401, `after signing out, api/v1/status answered ${status}`);
  await screenshot(page, 'signed-out');
}

async function darkMode(browser, problems) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  const page = await context.newPage();
  watchErrors(page, problems);
  await page.goto(url);
  await signIn(page, 'Admin', 'bluecherry');
  await rootCard(page).waitFor(WAIT);
  await page.getByRole('table', { name: 'Recent sweeps' }).getByRole('row').nth(2).waitFor(WAIT);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(background !== 'rgb(245, 246, 248)', 'dark mode kept the light background');
  await screenshot(page, 'dark', { fullPage: true });
  await context.close();
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
const problems = [];
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  watchErrors(page, problems);
  await signInSteps(page);
  const archive = await previewSteps(page);
  const sweepId = await archiveSteps(page, archive);
  await auditSteps(page, sweepId);
  await signOutSteps(page);
  await darkMode(browser, problems);
  check(problems.length === 0, problems.join('\n'));
  console.log(`page test: ${shot} screenshots in ${artifacts}`);
} catch (e) {
  if (page) await page.screenshot({ path: path.join(artifacts, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(`page test failed: ${e.message}`);
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
