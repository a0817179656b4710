// The console in a real browser (ctest e2e_console_browser, run by console_browser.sh): Debian's
// chromium, headless, driven by playwright-core. Opens every page, fails on any console error,
// uncaught exception, failed request or HTTP error, checks the numbers shown against what
// console_browser.sh read from the topics itself (caselinkctl, kcat), and writes a screenshot of
// each page.
//
//   node console_browser.mjs <console base URL> <expected.json> <screenshot dir>
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, expectedFile, shots] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
const require = createRequire(join(process.env.CASELINK_WEB_PREFIX, 'package.json'));
const { chromium } = require('playwright-core');

const failures = [];
const fail = (what) => { failures.push(what); console.log('FAIL: ' + what); };
const check = (ok, what) => { if (!ok) fail(what); };

const profile = mkdtempSync(join(tmpdir(), 'caselink-console-chromium-'));
// A fresh profile directory every run (Playwright takes it as the persistent context's dir and
// passes it to Chromium as --user-data-dir).
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CASELINK_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] || await context.newPage();
let where = '';
page.on('console', (m) => { if (m.type() === 'error') fail(`${where}: console error: ${m.text()}`); });
page.on('pageerror', (e) => fail(`${where}: uncaught: ${e.message}`));
page.on('requestfailed', (r) => fail(`${where}: request failed: ${r.url()} ${r.failure()?.errorText}`));
page.on('response', (r) => { if (r.status() >= 400) fail(`${where}: HTTP ${r.status()} for ${r.url()}`); });
page.on('dialog', (d) => { fail(`${where}: a dialog opened (script ran from case data?): ${d.message()}`); d.dismiss(); });

// Opens a page, waits until console.js says it rendered, takes the screenshot.
async function open(name, path) {
  where = name;
  await page.goto(base + path, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 30000 });
  check(await page.evaluate(() => document.body.dataset.loaded) === 'yes', `${name}: the page did not render its data`);
  // ECharts drew into a canvas on every chart element of the page.
  const charts = await page.$$eval('.chart, .wide', (nodes) => nodes.map((n) => !!n.querySelector('canvas')));
  check(charts.every(Boolean), `${name}: a chart was not drawn (${charts})`);
  await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
  console.log(`page ${name}: ${path} ok, screenshot ${join(shots, name + '.png')}`);
}
const text = (selector) => page.$eval(selector, (n) => n.textContent.trim());
const columns = (selector, index) =>
  page.$$eval(selector + ' tbody tr', (rows, i) => rows.map((r) => r.children[i].textContent.trim()), index);

try {
  await open('cases', '/');
  const shownCount = Number(await text('#case-count'));
  const ids = await columns('#cases', 0);
  check(shownCount === ids.length, `cases: count ${shownCount} but ${ids.length} rows`);
  check(shownCount === expected.api_case_count, `cases: count ${shownCount}, the API says ${expected.api_case_count}`);
  for (const id of expected.case_ids) check(ids.includes(id), `cases: ${id} is not listed`);
  const missed = await columns('#cases', 7);
  for (const c of expected.cases) {
    const shown = Number(missed[ids.indexOf(c.case_id)]);
    check(shown === c.missed_count, `cases: ${c.key} shows ${shown} missed deadline(s), caselinkctl ${c.missed_count}`);
  }

  const state = expected.state_filter;
  await open('cases-by-state', '/?status=' + encodeURIComponent(state.status));
  check(Number(await text('#case-count')) === state.count,
    `cases ?status=${state.status}: shows ${await text('#case-count')}, caselinkctl case list --state says ${state.count}`);

  for (const c of expected.cases) {
    await open('case-' + c.key, '/case?id=' + encodeURIComponent(c.case_id));
    check(await text('#case-id') === c.case_id, `case ${c.key}: heading shows ${await text('#case-id')}`);
    const deadlineIds = await columns('#deadlines', 0);
    check(JSON.stringify(deadlineIds) === JSON.stringify(c.deadline_ids),
      `case ${c.key}: deadlines ${JSON.stringify(deadlineIds)}, caselinkctl shows ${JSON.stringify(c.deadline_ids)}`);
    const statuses = await columns('#deadlines', 2);
    check(JSON.stringify(statuses) === JSON.stringify(c.deadline_statuses),
      `case ${c.key}: deadline statuses ${JSON.stringify(statuses)}, expected ${JSON.stringify(c.deadline_statuses)}`);
    const events = (await columns('#timeline', 0)).length;
    check(events === c.timeline_length, `case ${c.key}: ${events} timeline rows, caselinkctl shows ${c.timeline_length}`);
    const chain = await text('#chain');
    check(chain.startsWith(c.chain_ok ? 'OK' : 'BROKEN'), `case ${c.key}: hash chain shows "${chain}"`);
    if (c.must_show_text) {
      const body = await page.evaluate(() => document.body.innerText);
      check(body.includes(c.must_show_text), `case ${c.key}: the text ${c.must_show_text} is not shown as text`);
      check(await page.$('img[src="x"]') === null, `case ${c.key}: markup from case data became an element`);
    }
  }

  await open('recommendations', '/recommendations');
  const recs = Number(await text('#rec-count'));
  check(recs === expected.recommendation_count, `recommendations: shows ${recs}, the snapshots hold ${expected.recommendation_count}`);
  check((await columns('#recommendations', 0)).length === recs, 'recommendations: rows differ from the count');

  await open('classcases', '/classcases');
  const ccs = Number(await text('#cc-count'));
  check(ccs === expected.class_case_count, `class cases: shows ${ccs}, kcat counted ${expected.class_case_count} ClassCaseOpened`);
  check((await columns('#classcases', 0)).length === ccs, 'class cases: rows differ from the count');

  await open('ops', '/ops');
  const ready = await columns('#services', 1);
  check(ready.length === expected.service_count && ready.every((r) => r === 'ready'),
    `ops: services ${JSON.stringify(ready)}, expected ${expected.service_count} ready`);
  const dlq = Number(await text('#dlq-total'));
  check(dlq === expected.dlq_count, `ops: ${dlq} dead letters shown, kcat counted ${expected.dlq_count}`);
} catch (e) {
  fail(`${where}: ${e.message}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failures.length === 0 ? 'console browser test: all checks passed' : `${failures.length} check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
