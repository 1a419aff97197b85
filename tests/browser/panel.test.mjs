// SPDX-License-Identifier: MIT
// The web panel in headless Chromium against the real binary (issue 5's acceptance list),
// walked once at 1280×800 and once at 390×844, with a screenshot of each step in the
// artifacts dir (build/test-artifacts/browser/). The steps of one size run in order and
// share the page; a failed step makes the later ones fail, never skip.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  decodeJwt, generatorToken, heapSnapshot, runShell, screenshotter, serveHtml, serverAndBrowser,
} from './harness.mjs';

const HEX64 = /^[0-9a-f]{64}$/;
const ACTIONS = ['campaign.read', 'campaign.toggle', 'flag.list']; // catalog order
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

let server;
let browser;
let admin;

serverAndBrowser((suite) => ({ server, browser, admin } = suite));

async function verifyToken(token) {
  const r = await fetch(`${server.base}/token?access_token=${token}`);
  return { status: r.status, body: await r.json() };
}

async function tokenRequest(account, clientId, secret, expiresIn) {
  const r = await fetch(`${server.base}/${account}/token?expires_in=${expiresIn}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', scope: '*', client_id: clientId,
      client_secret: secret }),
  });
  return { status: r.status, body: await r.json() };
}

for (const size of SIZES) {
  describe(`panel at ${size.width}×${size.height}`, () => {
    let context;
    let page;
    let shot;
    const responses = []; // {url, method, status, body} of every answer after the creation
    const reading = []; // the body reads still in flight
    let recording = false;
    const w = {}; // what the steps hand each other

    before(async () => {
      context = await browser.newContext({
        viewport: { width: size.width, height: size.height },
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
      context.setDefaultTimeout(10000);
      page = await context.newPage();
      page.on('response', (r) => reading.push(record(r)));
      shot = screenshotter(page, size.name);
    });

    async function record(r) {
      const req = r.request();
      const isCreation = req.method() === 'POST' && /\/accesses$/.test(new URL(r.url()).pathname) &&
        r.status() === 201;
      if (isCreation) {
        recording = true;
        return;
      }
      if (!recording) return;
      let body = '';
      try {
        body = (await r.body()).toString('utf8');
      } catch (e) {
        body = ''; // 204, 304: no body
      }
        responses.push({ url: r.url(), method: req.method(), status: r.status(), body });
    }

    after(async () => {
      if (context) await context.close();
    });

    // Readable at this size: nothing wider than the window.
    async function assertNoSideScroll() {
      const [scroll, inner] = await page.evaluate(() =>
        [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(scroll <= inner, `page is ${scroll}px wide in a ${inner}px window`);
    }

    async function step(name) {
      await assertNoSideScroll();
      await shot(name);
    }

    test('sign in with the admin key', async () => {
      await page.goto(`${server.base}/admin/`);
      await page.locator('#signin-view').waitFor();
      await step('signin');
      await page.fill('#signin-key', 'rcak_' + '0'.repeat(64));
      await page.click('#signin-form button[type=submit]');
      await page.locator('#signin-error').filter({ hasText: 'unknown or revoked' }).waitFor();
      await page.fill('#signin-key', server.adminKey);
      await page.click('#signin-form button[type=submit]');
      await page.locator('#app-view').waitFor();
      assert.equal(await page.inputValue('#signin-key'), '', 'the key field is emptied');
      // the focus lands on the first useful control: the account picker, or the new-account
      // form when there is no account yet
      const accounts = (await admin('GET', '/accounts')).body.total_count;
      await page.waitForFunction((id) => document.activeElement.id === id,
        accounts ? 'account-select' : 'account-name');
      await step('signed-in');
    });

    test('create an account and environments', async () => {
      const name = `Panel ${size.name}`;
      await page.locator('#account-select option').first().waitFor({ state: 'attached' });
      if ((await page.locator('#account-new').getAttribute('open')) === null) {
        await page.click('#account-new summary');
      }
      await page.fill('#account-name', name);
      await page.click('#account-form button[type=submit]');
      // (the view may show another account already: wait for the new one to be picked)
      await page.locator('#account-select option:checked', { hasText: name })
        .waitFor({ state: 'attached' });
      await page.locator('#account-view').waitFor();
      w.account = await page.locator('#account-select').inputValue();
      await page.locator('#notice', { hasText: `Account “${name}” created.` }).waitFor();

      for (const [env, main] of [['production', true], ['staging', false]]) {
        await page.fill('#env-name', env);
        await page.setChecked('#env-main', main);
        await page.click('#env-form button[type=submit]');
        await page.locator('#env-list li', { hasText: env }).waitFor();
        await page.locator('#notice', { hasText: `Environment “${env}” created.` }).waitFor();
      }
      const envs = (await admin('GET', `/accounts/${w.account}/environments`)).body.items;
      w.staging = envs.find((e) => e.name === 'staging').id;
      assert.ok(envs.find((e) => e.name === 'production').is_main);
      await page.locator(`#access-env-options input[value="${w.staging}"]`).waitFor();
      await step('environments');
    });

    test('every control has a label', async () => {
      const unlabelled = await page.evaluate(() => {
        const bad = [];
        for (const c of document.querySelectorAll('input, select, textarea')) {
          if (!c.labels.length && !c.getAttribute('aria-label')) bad.push(c.id || c.outerHTML);
        }
        for (const b of document.querySelectorAll('button')) {
          if (!(b.getAttribute('aria-label') || b.textContent.trim())) bad.push(b.outerHTML);
        }
        return bad;
      });
      assert.deepEqual(unlabelled, []);
      // "none = all" is said next to the environments
      const hint = await page.locator('#access-envs-hint').textContent();
      assert.match(hint, /None selected means all environments/);
    });

    test('create an access limited to one environment with three actions', async () => {
      await page.fill('#access-name', `CI pipeline ${size.name}`);
      await page.check(`#access-env-options input[value="${w.staging}"]`);
      // select-all of a group ticks every action of it; unticking it clears them again
      await page.check('#group-campaign-all');
      assert.equal(await page.locator('input[name=action][data-group=campaign]:checked').count(), 6);
      await page.uncheck('#group-campaign-all');
      assert.equal(await page.locator('input[name=action]:checked').count(), 0);
      for (const a of ACTIONS) await page.check(`input[name=action][value="${a}"]`);
      assert.equal(await page.locator('#group-campaign-all').evaluate((e) => e.indeterminate), true);
      await step('access-form');
      await page.click('#access-form button[type=submit]');
      await page.locator('#secret-dialog[open]').waitFor();
      // the notice no longer speaks of the last environment: it names this access
      assert.equal(await page.locator('#notice').textContent(), `Access “CI pipeline ${size.name}” created.`);
      assert.equal(await page.locator('#secret-title').textContent(),
        `Access “CI pipeline ${size.name}” created`);
      w.secret = await page.inputValue('#secret-value');
      w.clientId = await page.inputValue('#secret-client-id');
      assert.match(w.secret, HEX64);
      assert.match(w.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const warning = (await page.locator('#secret-warning').textContent()).replace(/\s+/g, ' ');
      assert.match(warning, /cannot be shown again once this dialog is closed/);
      // keyboard: the dialog has the focus, on its copy button
      assert.equal(await page.evaluate(() => document.activeElement.id), 'secret-copy');
      // Escape (even twice, with nothing else in between) does not close it: closing it is
      // deliberate, with a button that says what it means
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Escape');
        await page.waitForTimeout(100);
        assert.equal(await page.locator('#secret-dialog').evaluate((d) => d.open), true, `Escape ${i + 1}`);
        assert.equal(await page.inputValue('#secret-value'), w.secret);
      }
      assert.equal(await page.locator('#secret-close').textContent(), 'I have stored the secret — close');
      await step('secret-dialog');
    });

    test('the copy button puts the secret on the clipboard', async () => {
      await page.click('#secret-copy');
      await page.locator('#secret-copy', { hasText: 'Copied' }).waitFor();
      // and screen readers hear it: a live region inside the dialog (outside, the modal
      // dialog makes it inert)
      const live = page.locator('#secret-dialog [aria-live="polite"]');
      assert.equal(await live.textContent(), 'Client secret copied to the clipboard.');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), w.secret);
      await page.click('[data-copy="secret-client-id"]');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), w.clientId);
    });

    test('closing the dialog forgets the secret: not in the page, storage, heap or any answer', async () => {
      if (size.name === 'phone') { // the keyboard path: Tab to the close button, Enter
        await page.focus('#secret-copy');
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'secret-close');
        await page.keyboard.press('Enter');
      } else {
        await page.click('#secret-close');
      }
      await page.locator('#secret-dialog').waitFor({ state: 'hidden' });
      assert.equal(await page.inputValue('#secret-value'), '');
      // the focus goes back to the form's button (when the close event has run), not lost
      await page.waitForFunction(() => document.activeElement.textContent === 'Generate');
      const row = page.locator(`#access-rows tr[data-client-id="${w.clientId}"]`);
      await row.waitFor();
      await row.getByRole('button', { name: /^Preview/ }).click();
      await page.locator('#preview-dialog[open]').waitFor();
      assert.equal(await page.locator('#notice').textContent(), '', 'an old notice is cleared');
      const previewText = await page.locator('#preview-body').innerText();
      assert.ok(previewText.includes(w.clientId));
      assert.ok(previewText.includes('staging'));
      for (const a of ACTIONS) assert.ok(previewText.includes(a), a);
      await step('preview');

      const everywhere = await page.evaluate(() => {
        const values = [...document.querySelectorAll('input, textarea, select')].map((e) => e.value);
        return [document.documentElement.outerHTML, document.body.innerText, ...values,
          JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })].join('\n');
      });
      assert.ok(!everywhere.includes(w.secret), 'the secret is still in the page');
      // the clipboard read above made a copy in the page's heap: overwrite the clipboard
      await page.evaluate(() => navigator.clipboard.writeText('-'));
      const heap = await heapSnapshot(context, page);
      assert.ok(heap.length > 100000, 'a heap snapshot was taken');
      assert.ok(!heap.includes(w.secret), 'the page\'s JavaScript still holds the secret');

      await Promise.all(reading);
      assert.ok(responses.some((r) => /\/accesses$/.test(new URL(r.url).pathname)), 'the list');
      assert.ok(responses.some((r) => r.url.includes(`/accesses/${w.clientId}`)), 'the preview');
      for (const r of responses) {
        assert.ok(!r.body.includes(w.secret), `${r.method} ${r.url} (${r.status}) holds the secret`);
      }
      await page.click('#preview-close');
      await page.locator('#preview-dialog').waitFor({ state: 'hidden' });
    });

    test('the secret obtains a token with exactly those actions and that environment', async () => {
      const r = await tokenRequest(w.account, w.clientId, w.secret, 1800);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.scope, `${ACTIONS.join(' ')} env:${w.staging}`);
      w.token = r.body.access_token;
      const v = await verifyToken(w.token);
      assert.equal(v.status, 200);
      assert.deepEqual(v.body.actions, ACTIONS);
      assert.deepEqual(v.body.environments, [w.staging]);
      assert.equal(v.body.account, w.account);
    });

    test('the token generator gets a token and its curl command works', async () => {
      const token = await generatorToken(page, w.clientId, w.secret, 600);
      const { header, claims } = decodeJwt(token);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(claims.scope, `${ACTIONS.join(' ')} env:${w.staging}`);
      assert.equal(claims.exp - claims.iat, 600);
      const shown = JSON.parse(await page.locator('#token-claims').textContent());
      assert.deepEqual(shown.claims, claims);
      assert.equal((await verifyToken(token)).status, 200);
      w.pageToken = token;
      await page.click('[data-copy="token-value"]');
      await page.locator('[data-copy="token-value"]', { hasText: 'Copied' }).waitFor();
      assert.equal(await page.locator('#token-result [aria-live="polite"]').textContent(),
        'Token copied to the clipboard.');
      await step('token-generator');

      const curl = await page.inputValue('#token-curl');
      assert.match(curl, /^curl /);
      const run = await runShell(curl);
      assert.equal(run.code, 0, run.stderr);
      const answer = JSON.parse(run.stdout);
      assert.ok(answer.access_token, run.stdout);
      assert.equal(answer.scope, `${ACTIONS.join(' ')} env:${w.staging}`);
      assert.equal(answer.expires_in, 600);
      w.curlToken = answer.access_token;
      assert.equal((await verifyToken(w.curlToken)).status, 200);
      await page.click('#token-clear');
      assert.equal(await page.inputValue('#token-secret'), '');
      assert.equal(await page.locator('#token-result').isHidden(), true);
    });

    test('revoke asks first, then the access shows revoked and its tokens fail', async () => {
      const row = page.locator(`#access-rows tr[data-client-id="${w.clientId}"]`);
      // Escape on the question revokes nothing
      await row.getByRole('button', { name: /^Revoke/ }).click();
      await page.locator('#confirm-dialog[open]').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-cancel');
      await page.keyboard.press('Escape');
      await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
      assert.equal((await verifyToken(w.token)).status, 200);

      await row.getByRole('button', { name: /^Revoke/ }).click();
      await page.locator('#confirm-dialog[open]').waitFor();
      await step('revoke-confirm');
      await page.click('#confirm-ok');
      await row.waitFor({ state: 'detached' });
      await page.locator('#notice', { hasText: `Access “CI pipeline ${size.name}” revoked.` }).waitFor();
      // the only access is gone from the list, which says so, and where the focus went
      const empty = (await page.locator('#access-empty').textContent()).replace(/\s+/g, ' ');
      assert.equal(empty, 'No active access (1 revoked — show them).');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'accesses-title');
      await page.locator('#access-empty').getByRole('button', { name: 'show them' }).click();
      assert.equal(await page.isChecked('#show-revoked'), true);
      const revoked = page.locator(`#access-rows tr.revoked[data-client-id="${w.clientId}"]`);
      await revoked.waitFor();
      // when it was revoked, to the minute, as the page writes times
      const at = (await admin('GET', `/accounts/${w.account}/accesses/${w.clientId}`)).body.revoked_at;
      assert.equal(await revoked.locator('.badge.revoked').textContent(), 'revoked');
      const shown = await page.evaluate((iso) => new Date(iso).toLocaleString(), at);
      assert.equal(await revoked.locator('.revoked-at').textContent(), `Revoked ${shown}`);
      assert.equal(await revoked.getByRole('button', { name: /^Revoke/ }).count(), 0);
      await step('revoked');
      for (const t of [w.token, w.pageToken, w.curlToken]) {
        const v = await verifyToken(t);
        assert.equal(v.status, 401, JSON.stringify(v.body));
      }
      const audit = (await admin('GET', `/accounts/${w.account}/audit`)).body.items;
      const me = (await page.request.get(`${server.base}/admin/session`)).json();
      const keyId = (await me).admin_key_id;
      for (const ev of ['access.created', 'access.revoked']) {
        const e = audit.find((x) => x.event === ev && x.subject === w.clientId);
        assert.ok(e, ev);
        assert.equal(e.actor, keyId, `${ev} is by the signed-in admin key`);
      }
    });

    test('rotating the secret shows the new one once', async () => {
      await page.uncheck('#show-revoked');
      await page.fill('#access-name', `Rotated ${size.name}`);
      await page.check('input[name=action][value="flag.read"]');
      await page.click('#access-form button[type=submit]');
      await page.locator('#secret-dialog[open]').waitFor();
      const clientId = await page.inputValue('#secret-client-id');
      const first = await page.inputValue('#secret-value');
      await page.click('#secret-close');
      const row = page.locator(`#access-rows tr[data-client-id="${clientId}"]`);
      await row.getByRole('button', { name: /^Preview/ }).click();
      await page.click('#preview-rotate');
      await page.locator('#confirm-dialog[open]').waitFor();
      await page.click('#confirm-ok');
      await page.locator('#secret-dialog[open]').waitFor();
      assert.equal(await page.locator('#secret-title').textContent(),
        `New client secret for “Rotated ${size.name}”`);
      const second = await page.inputValue('#secret-value');
      assert.match(second, HEX64);
      assert.notEqual(second, first);
      await step('rotated');
      await page.click('#secret-close');
      assert.equal(await page.inputValue('#secret-value'), '');
      assert.equal((await tokenRequest(w.account, clientId, first, 60)).status, 401);
      assert.equal((await tokenRequest(w.account, clientId, second, 60)).status, 200);
    });

    test('a state-changing call without the CSRF token, or from another origin, is refused', async () => {
      const session = await (await page.request.get(`${server.base}/admin/session`)).json();
      const csrf = session.csrf_token;
      const url = `${server.base}/admin/v1/accounts`;
      const count = async () => (await admin('GET', '/accounts')).body.total_count;
      const before = await count();
      // the session cookie alone
      let r = await page.request.post(url, { data: { name: 'no token' } });
      assert.equal(r.status(), 403);
      r = await page.request.post(url, { data: { name: 'bad token' },
        headers: { 'X-CSRF-Token': 'A'.repeat(43) } });
      assert.equal(r.status(), 403);
      // the right token from a foreign origin
      r = await page.request.post(url, { data: { name: 'foreign' },
        headers: { 'X-CSRF-Token': csrf, Origin: 'https://evil.example' } });
      assert.equal(r.status(), 403);
      // from the panel's own page, without the header
      const status = await page.evaluate(async () => (await fetch('/admin/v1/accounts', {
        method: 'POST', body: '{"name":"in-page"}', headers: { 'Content-Type': 'application/json' },
      })).status);
      assert.equal(status, 403);
      // a real page of another origin on the same host (same site: the cookie goes along)
      const evilServer = await serveHtml('<!doctype html><title>elsewhere</title>');
      const evil = await context.newPage();
      const seen = [];
      evil.on('response', (x) => { if (x.url() === url) seen.push(x.status()); });
      await evil.goto(evilServer.url);
      await evil.evaluate(async (target) => {
        await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'Content-Type': 'text/plain' }, body: '{"name":"cross-origin"}' });
      }, url);
      await evil.close();
      await evilServer.close();
      assert.deepEqual(seen, [403]);
      assert.equal(await count(), before, 'nothing was created');
      // the same call done right is accepted, so the refusals above were about CSRF
      r = await page.request.post(url, { data: { name: `with token ${size.name}` },
        headers: { 'X-CSRF-Token': csrf, Origin: server.base } });
      assert.equal(r.status(), 201);
    });

    test('after sign-out the session cookie cannot call the admin API', async () => {
      const cookie = (await context.cookies(`${server.base}/admin/`))
        .find((c) => c.name === 'rcauth_session');
      assert.ok(cookie, 'a session cookie');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.path, '/admin');
      assert.ok(cookie.expires > Date.now() / 1000, 'the cookie has an expiry');
      assert.equal(await page.evaluate(() => document.cookie), '', 'the script cannot read it');
      await page.click('#signout');
      await page.locator('#signin-view').waitFor();
      await step('signed-out');
      const old = `rcauth_session=${cookie.value}`;
      for (const path of ['/admin/v1/accounts', '/admin/session']) {
        const r = await fetch(server.base + path, { headers: { Cookie: old } });
        assert.equal(r.status, 401, path);
      }
      const r = await page.request.get(`${server.base}/admin/v1/accounts`);
      assert.equal(r.status(), 401);
      // the page itself shows the sign-in form after a reload
      await page.reload();
      await page.locator('#signin-view').waitFor();
    });
  });
}
