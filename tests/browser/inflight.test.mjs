// SPDX-License-Identifier: MIT
// The panel under impatient or parallel use: a second click while a request is in flight
// does nothing (one access, not two), a slow answer for an account no longer selected is
// dropped, and signing in again in another tab leaves this tab working (or, when the
// browser has no session any more, sends it to the sign-in form with a clear message).
// Requests are slowed down with playwright's route interception so each race is certain.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { screenshotter, serverAndBrowser, signIn, sleep } from './harness.mjs';

const DELAY = 600; // ms a slowed request waits before going to the server

let server;
let browser;
let admin;

serverAndBrowser((suite) => ({ server, browser, admin } = suite));

async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  return page;
}

async function account(name) {
  const r = await admin('POST', '/accounts', { name });
  assert.equal(r.status, 201);
  return r.body.id;
}

async function access(acct, name) {
  const r = await admin('POST', `/accounts/${acct}/accesses`, { name, actions: ['flag.read'] });
  assert.equal(r.status, 201);
  return r.body.client_id;
}

// Slow down the requests of page matching method and pathname pattern; returns the list
// of those requests (method + path) as they are sent.
async function slowDown(page, method, pattern, delay = DELAY) {
  const seen = [];
  await page.route((url) => pattern.test(url.pathname), async (route) => {
    const req = route.request();
    if (req.method() !== method) return route.fallback();
    seen.push(`${req.method()} ${new URL(req.url()).pathname}`);
    await sleep(delay);
    return route.fallback();
  });
  return seen;
}

describe('requests in flight', () => {
  let context;
  let page;
  let shot;

  before(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await newPage(context);
    shot = screenshotter(page, 'inflight');
  });

  after(async () => {
    if (context) await context.close();
  });

  // Double-click button while its request (method, pathname pattern) is slowed down: the
  // button is disabled in flight, enabled again after, and one request went out.
  async function clickedTwice(button, method, pattern) {
    const seen = await slowDown(page, method, pattern);
    const done = page.waitForResponse((r) => r.request().method() === method &&
      pattern.test(new URL(r.url()).pathname));
    await page.locator(button).dblclick();
    assert.equal(await page.locator(button).isDisabled(), true, `${button} is disabled in flight`);
    await done;
    await sleep(DELAY + 200); // a second request, if any, would be seen by now
    await page.unrouteAll({ behavior: 'wait' });
    assert.equal(seen.length, 1, `${button}: ${seen.join(', ')}`);
    return seen;
  }

  test('sign-in goes out once', async () => {
    await page.goto(`${server.base}/admin/`);
    await page.fill('#signin-key', server.adminKey);
    await clickedTwice('#signin-form button[type=submit]', 'POST', /^\/admin\/session$/);
    await page.locator('#app-view').waitFor();
  });

  test('double-clicking Generate creates exactly one access', async () => {
    const acct = await account('Double click');
    await page.goto(`${server.base}/admin/#account=${acct}`);
    await page.reload();
    await page.locator('#access-form').waitFor();
    await page.fill('#access-name', 'once');
    await page.check('input[name=action][value="flag.list"]');
    await clickedTwice('#access-form button[type=submit]', 'POST', /\/accesses$/);
    await page.locator('#secret-dialog[open]').waitFor();
    await page.click('#secret-close');
    const list = await admin('GET', `/accounts/${acct}/accesses?include_revoked=true`);
    assert.equal(list.body.total_count, 1, JSON.stringify(list.body));
    await page.locator('#access-rows tr').first().waitFor();
    assert.equal(await page.locator('#access-form button[type=submit]').isEnabled(), true);
    await shot('generated-once');
  });

  test('creating an environment, an account, a token: one request each', async () => {
    await page.fill('#env-name', 'staging');
    await clickedTwice('#env-form button[type=submit]', 'POST', /\/environments$/);
    await page.locator('#env-list li', { hasText: 'staging' }).waitFor();

    await page.click('#account-new summary');
    await page.fill('#account-name', 'Created once');
    await clickedTwice('#account-form button[type=submit]', 'POST', /^\/admin\/v1\/accounts$/);
    const accounts = (await admin('GET', '/accounts')).body.items;
    assert.equal(accounts.filter((a) => a.name === 'Created once').length, 1);

    await page.fill('#token-client-id', '00000000-0000-4000-8000-000000000000');
    await page.fill('#token-secret', '0'.repeat(64));
    await clickedTwice('#token-form button[type=submit]', 'POST', /\/token$/);
    await page.locator('#token-error').filter({ hasText: '401' }).waitFor();
  });

  test('revoking and rotating: the access\'s buttons wait for the answer', async () => {
    const acct = await account('Revoke once');
    const keep = await access(acct, 'rotate me');
    const gone = await access(acct, 'revoke me');
    await page.goto(`${server.base}/admin/#account=${acct}`);
    await page.reload();
    const row = (id) => page.locator(`#access-rows tr[data-client-id="${id}"]`);
    await row(gone).waitFor();

    let seen = await slowDown(page, 'DELETE', /\/accesses\/[^/]+$/);
    await row(gone).getByRole('button', { name: /^Revoke/ }).click();
    await page.click('#confirm-ok');
    await sleep(DELAY / 3);
    assert.equal(await row(gone).getByRole('button', { name: /^Revoke/ }).isDisabled(), true);
    await row(gone).waitFor({ state: 'detached' });
    // the focus went to the row that took its place
    await page.waitForFunction((id) => document.activeElement.dataset.focus === `preview:${id}`, keep);
    await page.unrouteAll({ behavior: 'wait' });
    assert.deepEqual(seen, [`DELETE /admin/v1/accounts/${acct}/accesses/${gone}`]);

    seen = await slowDown(page, 'POST', /\/secret$/);
    await row(keep).getByRole('button', { name: /^Preview/ }).click();
    await page.click('#preview-rotate');
    await page.click('#confirm-ok');
    await sleep(DELAY / 3);
    // while the rotation is in flight, the same access cannot be rotated or revoked again
    assert.equal(await row(keep).getByRole('button', { name: /^Revoke/ }).isDisabled(), true);
    await page.locator('#secret-dialog[open]').waitFor();
    await page.click('#secret-close');
    await page.unrouteAll({ behavior: 'wait' });
    assert.equal(seen.length, 1);
    assert.equal(await row(keep).getByRole('button', { name: /^Revoke/ }).isEnabled(), true);
  });

  test('sign-out goes out once', async () => {
    await clickedTwice('#signout', 'DELETE', /^\/admin\/session$/);
    await page.locator('#signin-view').waitFor();
  });
});

describe('answers for an account no longer selected', () => {
  test('switching accounts quickly shows only the selected account\'s accesses', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await newPage(context);
      const a = await account('Slow A');
      const b = await account('Fast B');
      const aIds = [await access(a, 'A one'), await access(a, 'A two')];
      const bIds = [await access(b, 'B one')];
      await admin('POST', `/accounts/${a}/environments`, { name: 'a-env' });
      await admin('POST', `/accounts/${b}/environments`, { name: 'b-env' });
      await signIn(page, server, `#account=${b}`);
      await page.locator(`#access-rows tr[data-client-id="${bIds[0]}"]`).waitFor();

      // A's lists answer late: select A, then B at once
      const slow = new RegExp(`^/admin/v1/accounts/${a}/(accesses|environments)$`);
      await slowDown(page, 'GET', slow, 1200);
      const late = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(`${a}/accesses`));
      await page.selectOption('#account-select', a);
      await page.selectOption('#account-select', b);
      await late;
      await sleep(300);
      const rows = await page.locator('#access-rows tr').evaluateAll((trs) =>
        trs.map((t) => t.dataset.clientId));
      assert.deepEqual(rows, bIds, 'only B\'s accesses are listed');
      const envs = await page.locator('#env-list').innerText();
      assert.ok(envs.includes('b-env') && !envs.includes('a-env'), envs);
      assert.equal(await page.inputValue('#account-select'), b);
      for (const id of aIds) assert.equal(await page.locator(`tr[data-client-id="${id}"]`).count(), 0);
    } finally {
      await context.close();
    }
  });
});

describe('two tabs of one browser', () => {
  test('signing in again in another tab keeps this tab working', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const acct = await account('Two tabs');
      const first = await newPage(context);
      const other = await newPage(context);
      await signIn(first, server, `#account=${acct}`);
      await first.locator('#env-form').waitFor();

      // the other tab signs out and in again: the browser now holds another session
      await other.goto(`${server.base}/admin/`);
      await other.locator('#app-view').waitFor();
      await other.click('#signout');
      await other.locator('#signin-view').waitFor();
      await other.fill('#signin-key', server.adminKey);
      await other.click('#signin-form button[type=submit]');
      await other.locator('#app-view').waitFor();

      await first.fill('#env-name', 'after-the-other-tab');
      await first.click('#env-form button[type=submit]');
      await first.locator('#env-list li', { hasText: 'after-the-other-tab' }).waitFor();
      assert.equal(await first.locator('#env-error').textContent(), '');
      assert.equal(await first.locator('#app-view').isVisible(), true);

      // the other tab signs in again once more, and this time the session is gone by the
      // time this tab asks for it: back to the sign-in form, saying why
      await other.click('#signout');
      await other.locator('#signin-view').waitFor();
      await other.fill('#signin-key', server.adminKey);
      await other.click('#signin-form button[type=submit]');
      await other.locator('#app-view').waitFor();
      await first.route('**/admin/session', (route) => (route.request().method() === 'GET'
        ? route.fulfill({ status: 401, contentType: 'application/json',
          body: '{"error":"invalid_token","error_description":"no panel session"}' })
        : route.fallback()));
      await first.fill('#env-name', 'never');
      await first.click('#env-form button[type=submit]');
      await first.locator('#signin-view').waitFor();
      assert.match(await first.locator('#notice').textContent(), /sign in again/i);
      const envs = (await admin('GET', `/accounts/${acct}/environments`)).body.items;
      assert.deepEqual(envs.map((e) => e.name), ['after-the-other-tab']);
    } finally {
      await context.close();
    }
  });
});
