// Shared harness for the browser scenarios: Debian's Chromium driven by
// playwright-core (never a downloaded browser), login through the real
// form, waits on what the user sees, screenshots on failure.
//
// Environment: STASISQ_URL (the console, e.g. http://127.0.0.1:PORT/),
// STASISQ_ARTIFACTS (where screenshots go), STASISQ_PASSWORD (default
// "demo"), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const BASE = (process.env.STASISQ_URL || '').replace(/\/+$/, '');
export const ARTIFACTS = process.env.STASISQ_ARTIFACTS || path.resolve('artifacts');
export const PASSWORD = process.env.STASISQ_PASSWORD || 'demo';
// The demo's logins; STASISQ_USERS='{"sam":"ada"}' renames some for a
// server with other users (the ui package's dev server).
export const USERS = { alice: 'alice', bob: 'bob', sam: 'sam', sue: 'sue', ...JSON.parse(process.env.STASISQ_USERS || '{}') };

// Generous: the machine running this may be two busy cores.
export const WAIT = 20_000;

// Flags that work on the test machines (see TESTING.md): no sandbox as
// root, and nothing that tries to reach outside loopback. Playwright adds
// --headless and a fresh, empty --user-data-dir of its own per launch.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function log(...args) {
  const t = new Date().toISOString().slice(11, 23);
  console.log(t, ...args);
}

/**
 * run(name, fn) launches Chromium, calls fn(browser), and exits non-zero
 * with a screenshot of every open page if fn throws or the scenario runs
 * out of time.
 */
export async function run(name, fn, { timeout = 90_000 } = {}) {
  if (!BASE) {
    console.error('STASISQ_URL is not set');
    process.exit(2);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const started = Date.now();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // STASISQ_CHROMIUM_FLAGS adds flags (the browser phone tests: a fake
    // microphone, WebRTC on loopback).
    args: [...FLAGS, ...(process.env.STASISQ_CHROMIUM_FLAGS || '').split(' ').filter(Boolean)],
  });
  let failed = null;
  let timer;
  try {
    await Promise.race([
      fn(browser),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${name}: over ${timeout} ms`)), timeout); }),
    ]);
  } catch (e) {
    failed = e;
  } finally {
    clearTimeout(timer);
  }
  if (failed) {
    console.error(`FAIL ${name}: ${failed.stack || failed}`);
    let i = 0;
    for (const ctx of browser.contexts()) {
      for (const page of ctx.pages()) {
        const file = path.join(ARTIFACTS, `${name}-failure-${++i}.png`);
        try {
          await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
          console.error(`  screenshot of ${page.url()} in ${file}`);
        } catch (e) {
          console.error(`  no screenshot of ${page.url()}: ${e.message}`);
        }
      }
    }
  }
  await browser.close().catch(() => {});
  if (failed) process.exit(1);
  log(`ok ${name} (${Date.now() - started} ms)`);
}

/**
 * signIn opens a new browser context (its own cookies: a separate person)
 * and logs user in through the login form, landing on path.
 */
export async function signIn(browser, user, path) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(WAIT);
  ctx.setDefaultNavigationTimeout(WAIT);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(`[${user}] page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`[${user}] console error: ${m.text()}`); });
  await page.goto(`${BASE}/login?next=${encodeURIComponent(path)}`);
  await page.getByTestId('login-user').fill(user);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => u.pathname === path);
  log(`${user} signed in on ${path}`);
  return page;
}

/**
 * until polls fn (which may return a promise) until it returns a truthy
 * value, and returns it; it throws what(last value) after timeout.
 */
export async function until(what, fn, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'function' ? what(last) : what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The caller ids of a queue tile's cards, in the order the page shows them. */
export async function callerOrder(page, queue) {
  return page.locator(`[data-testid="queue-tile"][data-queue="${queue}"] [data-testid="caller-card"]`)
    .evaluateAll((els) => els.map((el) => el.dataset.callerId));
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
}

// step tells the Go test driving this script that it reached a point
// ("STEP name" on stdout); cue waits for the Go test's go-ahead, a line
// "name" on stdin. A script run by people and not by a test never cues.
export function step(name, data) {
  console.log(`STEP ${name}${data === undefined ? '' : ' ' + JSON.stringify(data)}`);
}

let stdinLines = null;
export async function cue(name, timeout = 60_000) {
  if (!stdinLines) {
    const readline = await import('node:readline');
    const rl = readline.createInterface({ input: process.stdin });
    stdinLines = { seen: [], waiters: [] };
    rl.on('line', (l) => {
      stdinLines.seen.push(l.trim());
      for (const w of stdinLines.waiters.splice(0)) w();
    });
  }
  const started = Date.now();
  while (!stdinLines.seen.includes(name)) {
    if (Date.now() - started > timeout) throw new Error(`no cue "${name}" from the test within ${timeout} ms`);
    await new Promise((r) => { stdinLines.waiters.push(r); setTimeout(r, 500); });
  }
  stdinLines.seen.splice(stdinLines.seen.indexOf(name), 1);
}
