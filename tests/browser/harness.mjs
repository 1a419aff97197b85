// SPDX-License-Identifier: MIT
// Harness of the browser suite: a real `build/rcauth serve` on a fresh data dir and a free
// port with an admin key made by the CLI, Debian's headless Chromium through
// playwright-core, an admin client (Bearer) for setting up and checking from the outside,
// and screenshots into the artifacts dir. Nothing here is skipped when missing: a missing
// binary, browser or package throws, and the tests that need it fail.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = resolve(ROOT, process.env.RCAUTH_BIN || 'build/rcauth');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = resolve(ROOT, process.env.BROWSER_ARTIFACTS ||
  join(process.env.BUILD || 'build', 'test-artifacts', 'browser'));

// PITFALLS.md: what headless Chromium needs as root on this machine.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RCAUTH_')) env[k] = v;
  return env;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// A started server: {base, port, adminKey, dir, logText(), stop()}.
export async function startServer(extraArgs = []) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`make build\``);
  const dir = mkdtempSync(join(tmpdir(), 'rcauth-browser-'));
  const data = join(dir, 'data');
  const adminKey = execFileSync(BIN, ['admin-key', 'create', '--name', 'browser-test', '--data', data],
    { env: cleanEnv() }).toString().trim();
  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'a');
  const proc = spawn(BIN, ['serve', '--data', data, '--listen', `127.0.0.1:${port}`, ...extraArgs],
    { stdio: ['ignore', log, log], env: cleanEnv() });
  const base = `http://127.0.0.1:${port}`;
  const logText = () => readFileSync(logPath, 'utf8');
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await fetch(base + '/healthz')).status === 200) {
        return {
          base, port, adminKey, dir, logText,
          async stop() {
            proc.kill('SIGTERM');
            await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
            if (!process.env.BROWSER_KEEP) rmSync(dir, { recursive: true, force: true });
          },
        };
      }
    } catch (e) {
      // not listening yet
    }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`rcauth serve did not start; log:\n${logText()}`);
}

// The hooks of a test file that needs a server and a browser: they start both before its
// tests (then call ready({server, browser, admin})) and stop them after.
export function serverAndBrowser(ready) {
  const suite = {};
  before(async () => {
    suite.server = await startServer();
    suite.admin = adminClient(suite.server.base, suite.server.adminKey);
    suite.browser = await launchBrowser();
    await ready(suite);
  });
  after(async () => {
    if (suite.browser) await suite.browser.close();
    if (suite.server) await suite.server.stop();
  });
  return suite;
}

// The admin API with the Bearer key, for setup and for checks from outside the browser.
export function adminClient(base, key) {
  return async (method, path, body) => {
    const r = await fetch(`${base}/admin/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}

export async function launchBrowser() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed (${e.message}): run \`npm ci\` in tests/browser`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/install-deps.sh (Debian's chromium)`);
  }
  // A fresh profile every run: launchPersistentContext would reuse one; launch() makes a
  // temporary --user-data-dir of its own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export function screenshotter(page, prefix) {
  mkdirSync(ARTIFACTS, { recursive: true });
  let n = 0;
  return async (step) => {
    n += 1;
    const file = join(ARTIFACTS, `${prefix}-${String(n).padStart(2, '0')}-${step}.png`);
    // a modal dialog is drawn in the window: the window shows it as the user sees it
    const dialog = await page.evaluate(() => Boolean(document.querySelector('dialog[open]')));
    await page.screenshot({ path: file, fullPage: !dialog });
    return file;
  };
}

// Run a shell command line (the panel's curl command) and return {code, stdout, stderr}.
export function runShell(command) {
  return new Promise((ok) => {
    execFile('sh', ['-c', command], { timeout: 20000 }, (err, stdout, stderr) => {
      ok({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

export function decodeJwt(token) {
  const part = (p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const [h, p] = token.split('.');
  return { header: part(h), claims: part(p) };
}

// The heap of the page's JavaScript, as text (a V8 heap snapshot, taken after a full GC):
// what the page's scripts still hold.
export async function heapSnapshot(context, page) {
  const cdp = await context.newCDPSession(page);
  const chunks = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (e) => chunks.push(e.chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}

// A page of another origin: a plain HTTP server on another loopback port that answers html
// to everything. {url, close()}.
export function serveHtml(html) {
  const srv = createHttpServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${srv.address().port}/`,
    close: () => new Promise((done) => srv.close(done)),
  })));
}

// Sign in through the form at /admin/<hash> and wait for the signed-in page.
export async function signIn(page, server, hash = '') {
  await page.goto(`${server.base}/admin/${hash}`);
  await page.locator('#signin-view').waitFor();
  await page.fill('#signin-key', server.adminKey);
  await page.click('#signin-form button[type=submit]');
  await page.locator('#app-view').waitFor();
}

// Fill the token generator with clientId, secret and expiry (seconds) and wait for its
// token.
export async function generatorToken(page, clientId, secret, expiry) {
  await page.fill('#token-client-id', clientId);
  await page.fill('#token-secret', secret);
  await page.fill('#token-expiry', String(expiry));
  await page.click('#token-form button[type=submit]');
  await page.locator('#token-result').waitFor();
  return page.inputValue('#token-value');
}

// What sticks out of the window at this size: the page wider than the window, any shown
// element past its right edge, and any element that scrolls sideways (text fields, whose
// text scrolls inside them by design, apart). [] when everything fits.
export function overflowProblems(page) {
  return page.evaluate(() => {
    const out = [];
    const width = document.documentElement.clientWidth;
    const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '');
    if (document.documentElement.scrollWidth > window.innerWidth) {
      out.push(`page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
    }
    for (const e of document.querySelectorAll('body *')) {
      if (e.closest('[hidden], dialog:not([open]), .sr-only')) continue;
      const r = e.getBoundingClientRect();
      if (r.width <= 1 && r.height <= 1) continue; // nothing, or visually hidden (1 px)
      const left = r.left + window.scrollX;
      const right = r.right + window.scrollX;
      if (right > width + 1 || left < -1) out.push(`${name(e)} spans ${left}…${right}px`);
      if (!e.matches('input, textarea, select') && getComputedStyle(e).overflowX !== 'visible' &&
          e.scrollWidth > e.clientWidth + 1) {
        out.push(`${name(e)} scrolls sideways (${e.scrollWidth} > ${e.clientWidth})`);
      }
    }
    return out.slice(0, 10);
  });
}
