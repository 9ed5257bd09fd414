// The page of `fimql serve` in a real browser (Debian's Chromium through playwright-core),
// checked against `fimql filter` on the sample export. Run by run.sh; environment:
// FIMQL (the binary), SAMPLE (the export, relative to the working directory), SCREENSHOT (where to save a picture of the page),
// CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const FIMQL = process.env.FIMQL;
const SAMPLE = process.env.SAMPLE;
let server;
let url;
let browser;
let page;
const problems = [];

const cliCount = (filter) => Number(execFileSync(FIMQL, ['filter', '--count', filter, SAMPLE]).toString().trim());
const firstNumber = (text) => Number((text.match(/\d+/) || ['NaN'])[0]);

// Starts `fimql serve` on `files`; the server and the URL it printed.
async function startServer(files) {
  const child = spawn(FIMQL, ['serve', '--port', '0', ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
  const printed = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fimql serve exited with ${code}`)));
  });
  assert.match(printed, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  return { child, printed };
}

before(async () => {
  ({ child: server, printed: url } = await startServer([SAMPLE]));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  // Any console error (a CSP violation among them) or page error fails the run.
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(url);
  assert.equal(new URL(page.url()).search, '', 'the token is gone from the address bar');
  await page.waitForSelector('[data-testid=count] .n');
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
});

async function typeFilter(text) {
  const input = page.getByTestId('filter');
  await input.fill('');
  await input.pressSequentially(text, { delay: 15 });
}

async function waitForCount(want) {
  await page.waitForFunction(
    (n) => {
      const c = document.querySelector('[data-testid=count]');
      return c && !c.classList.contains('stale') && Number((c.textContent.match(/\d+/) || [])[0]) === n;
    },
    want,
    { timeout: 15000 },
  );
}

test('a bad filter shows its diagnostic with code, help and the span marked', async () => {
  await typeFilter('actoin:Create');
  const item = page.locator('[data-testid=diagnostics] li[data-code=unknown-token]');
  await item.waitFor({ timeout: 10000 });
  const text = await item.textContent();
  assert.match(text, /error\[unknown-token\]/);
  assert.match(text, /did you mean `action`/);
  assert.equal(await page.locator('#backdrop mark').first().textContent(), 'actoin');
  // The did-you-mean, applied: the filter is fixed and its diagnostics go.
  await item.getByTestId('fix').click();
  assert.equal(await page.getByTestId('filter').inputValue(), 'action:Create');
  await waitForCount(cliCount('action:Create'));
  assert.equal(await page.locator('[data-testid=diagnostics] li').count(), 0);
});

test('an empty filter lists every event, and says so', async () => {
  await typeFilter('action:Create');
  await waitForCount(cliCount('action:Create'));
  await page.getByTestId('filter').fill('');
  const total = cliCount('NOT action:Create') + cliCount('action:Create');
  await waitForCount(total);
  const text = await page.getByTestId('count').textContent();
  assert.match(text, /no filter: every event/);
  assert.match(text, new RegExp(`of ${total} records`));
  assert.match(await page.locator('label[for=filter]').textContent(), /empty: every event/);
});

test('count, histogram, table and explain agree with fimql filter', async () => {
  const filter = 'action:Create';
  const want = cliCount(filter);
  assert.ok(want > 0);
  await typeFilter(filter);
  await waitForCount(want);
  assert.equal(await page.locator('[data-testid=diagnostics] li').count(), 0);
  assert.equal(firstNumber(await page.getByTestId('count').textContent()), want);
  const bars = page.locator('[data-testid=histogram] rect.bar');
  assert.ok((await bars.count()) > 0, 'histogram bars');
  const counts = await bars.evaluateAll((rs) => rs.map((r) => Number(r.dataset.count)));
  assert.equal(counts.reduce((a, b) => a + b, 0), want, 'histogram sums to the count');
  const rows = page.locator('[data-testid=events] tbody tr');
  assert.equal(await rows.count(), Math.min(want, 50));
  // The first row is the first event `fimql filter` prints.
  const first = JSON.parse(execFileSync(FIMQL, ['filter', '--limit', '1', filter, SAMPLE]).toString());
  await rows.first().click();
  await page.getByTestId('verdict').filter({ hasText: 'matches' }).waitFor({ timeout: 10000 });
  assert.equal(await page.getByTestId('verdict').textContent(), 'matches');
  const shown = JSON.parse(await page.getByTestId('event-json').textContent());
  assert.deepEqual(shown, first);
  const explain = await page.getByTestId('explain').textContent();
  assert.match(explain, /action/);
  assert.equal(await page.getByTestId('canonical').textContent(), 'action:Create');
  assert.match(await page.getByTestId('request').textContent(), /"filter": "action:Create"/);
});

test('completion offers token names and enum values', async () => {
  await typeFilter('sever');
  await page.locator('[data-testid=completions] li[data-insert="severity:"]').waitFor({ timeout: 5000 });
  await page.keyboard.press('Escape');
  await typeFilter('platform:LI');
  const value = page.locator('[data-testid=completions] li[data-insert="platform:LINUX"]');
  await value.waitFor({ timeout: 5000 });
  await page.keyboard.press('Tab');
  assert.equal(await page.getByTestId('filter').inputValue(), 'platform:LINUX');
  await waitForCount(cliCount('platform:LINUX'));
});

test('completions stay open when the filter is left and taken again at once', async () => {
  // The list closes 150 ms after the filter loses focus; typing again before then keeps it.
  await page.locator('h1').click();
  await typeFilter('sever');
  await page.waitForTimeout(400);
  const item = page.locator('[data-testid=completions] li[data-insert="severity:"]');
  assert.ok(await item.isVisible(), 'the completion list was closed by the earlier blur');
  await page.keyboard.press('Escape');
});

test('clicking a group-by bar adds its term to the filter', async () => {
  await typeFilter('severity>=1');
  await waitForCount(cliCount('severity>=1'));
  const group = page.locator('[data-testid=groups] .group').first();
  const value = await group.getAttribute('data-value');
  await group.click();
  const filter = await page.getByTestId('filter').inputValue();
  assert.equal(filter, `severity>=1 AND action:\`${value}\``);
  await waitForCount(cliCount(filter));
});

test('an event is explained as written in its file, integers beyond 2^53 too', async () => {
  // 2^53 + 1, which a JavaScript number cannot hold (it reads 2^53).
  const big = '9007199254740993';
  const dir = mkdtempSync(join(tmpdir(), 'fimql-serve-'));
  const file = join(dir, 'big.ndjson');
  writeFileSync(file, `{"data":{"action":"Create","size":${big},"name":"big.bin"}}\n`);
  const { child, printed } = await startServer([file]);
  const other = await browser.newPage();
  try {
    await other.goto(printed);
    await other.waitForSelector('[data-testid=count] .n');
    const filter = `file.size:${big}`;
    assert.equal(Number(execFileSync(FIMQL, ['filter', '--count', filter, file]).toString().trim()), 1);
    await other.getByTestId('filter').fill(filter);
    await other.waitForFunction(
      (f) => {
        const c = document.querySelector('[data-testid=count]');
        const canonical = document.querySelector('[data-testid=canonical]');
        return c && !c.classList.contains('stale') && canonical && canonical.textContent === f;
      },
      filter,
      { timeout: 15000 },
    );
    await other.locator('[data-testid=events] tbody tr').first().click();
    await other.getByTestId('verdict').filter({ hasText: /match/ }).waitFor({ timeout: 10000 });
    assert.equal(await other.getByTestId('verdict').textContent(), 'matches');
    // The event and the value the term found, with all their digits.
    assert.match(await other.getByTestId('event-json').textContent(), new RegExp(`"size": ${big}\\b`));
    assert.match(await other.getByTestId('explain').textContent(), new RegExp(big));
  } finally {
    await other.close();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the page as a user sees it, without console errors', async () => {
  await typeFilter('severity>=3 AND NOT type:Registry');
  await waitForCount(cliCount('severity>=3 AND NOT type:Registry'));
  await page.locator('[data-testid=events] tbody tr').nth(1).click();
  await page.getByTestId('verdict').filter({ hasText: 'matches' }).waitFor({ timeout: 10000 });
  if (process.env.SCREENSHOT) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  }
  assert.deepEqual(problems, [], 'no console errors (a CSP violation would be one)');
});
