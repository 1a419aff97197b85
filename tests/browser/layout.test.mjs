// SPDX-License-Identifier: MIT
// The panel with awkward data, at 1280×800 and 390×844: names of 200 characters without a
// space (the longest the API allows), a name holding bidi controls, and an account with
// hundreds of accesses. Nothing may stick out of the window or scroll sideways, client ids
// stay readable, user text is isolated from the text around it, and the filter box finds
// an access among hundreds. Screenshots of each step land in the artifacts dir.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  generatorToken, overflowProblems, screenshotter, serverAndBrowser, signIn,
} from './harness.mjs';

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];
const LONG_ENV = 'L'.repeat(200);
const LONG_ACCESS = 'W'.repeat(200);
const RLO = '\u202E'; // RIGHT-TO-LEFT OVERRIDE: "exe.txt" shows as "txt.exe"
const BIDI_NAME = `report${RLO}txt.exe`;
const MANY = 150;

let server;
let browser;
let admin;
const d = {}; // the data made before the tests

serverAndBrowser(async (suite) => {
  ({ server, browser, admin } = suite);
  const ok = (r) => {
    assert.ok(r.status < 300, JSON.stringify(r.body));
    return r.body;
  };
  d.long = ok(await admin('POST', '/accounts', { name: 'N'.repeat(200) })).id;
  const env = ok(await admin('POST', `/accounts/${d.long}/environments`,
    { name: LONG_ENV, is_main: true }));
  ok(await admin('POST', `/accounts/${d.long}/environments`, { name: 'production' }));
  d.longAccess = ok(await admin('POST', `/accounts/${d.long}/accesses`, {
    name: LONG_ACCESS, environments: [env.id],
    actions: ['campaign.list', 'campaign.create', 'campaign.read', 'campaign.update',
      'campaign.toggle', 'campaign.delete', 'environment.user.list'],
  })).client_id;
  d.bidiAccess = ok(await admin('POST', `/accounts/${d.long}/accesses`,
    { name: BIDI_NAME, actions: ['flag.list'] })).client_id;
  d.many = ok(await admin('POST', '/accounts', { name: 'Many accesses' })).id;
  d.manyIds = [];
  for (let i = 1; i <= MANY; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    d.manyIds.push(ok(await admin('POST', `/accounts/${d.many}/accesses`,
      { name, actions: ['flag.read'] })).client_id);
  }
});

for (const size of SIZES) {
  describe(`long names, bidi names and many accesses at ${size.width}×${size.height}`, () => {
    let context;
    let page;
    let shot;
    const w = {};

    before(async () => {
      context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      context.setDefaultTimeout(10000);
      page = await context.newPage();
      shot = screenshotter(page, `layout-${size.name}`);
    });

    after(async () => {
      if (context) await context.close();
    });

    async function fits(step) {
      await shot(step);
      assert.deepEqual(await overflowProblems(page), [], step);
    }

    // How many lines of text an element takes.
    function lines(locator) {
      return locator.evaluate((e) => {
        const r = e.getBoundingClientRect();
        return Math.round(r.height / parseFloat(getComputedStyle(e).lineHeight));
      });
    }

    test('a page holding 200-character names fits the window', async () => {
      await signIn(page, server, `#account=${d.long}`);
      await page.locator(`#access-rows tr[data-client-id="${d.longAccess}"]`).waitFor();
      await page.locator('#env-list li', { hasText: LONG_ENV }).waitFor();
      await fits('long-names');
    });

    test('client ids stay readable: one or two lines, and the columns keep a usable width', async () => {
      const row = page.locator(`#access-rows tr[data-client-id="${d.longAccess}"]`);
      const id = row.locator('td[data-label="Client id"] code');
      assert.ok(await lines(id) <= 2, `the client id takes ${await lines(id)} lines`);
      const name = row.locator('td[data-label="Name"]');
      const width = (await name.boundingBox()).width;
      assert.ok(width >= 90, `the name column is ${width}px wide`);
    });

    test('the preview and the confirmation of a long name stay inside the window', async () => {
      const row = page.locator(`#access-rows tr[data-client-id="${d.longAccess}"]`);
      await row.getByRole('button', { name: /^Preview/ }).click();
      await page.locator('#preview-dialog[open]').waitFor();
      await fits('long-preview');
      await page.click('#preview-close');
      await row.getByRole('button', { name: /^Revoke/ }).click();
      await page.locator('#confirm-dialog[open]').waitFor();
      assert.ok((await page.locator('#confirm-title').textContent()).includes(LONG_ACCESS));
      await fits('long-confirm');
      await page.click('#confirm-cancel');
      await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    });

    test('creating an access with a long name: the one-time dialog names it and fits', async () => {
      w.name = 'X'.repeat(200);
      await page.fill('#access-name', w.name);
      await page.check(`#access-env-options input[type=checkbox] >> nth=0`);
      await page.check('input[name=action][value="flag.list"]');
      await page.click('#access-form button[type=submit]');
      await page.locator('#secret-dialog[open]').waitFor();
      assert.ok((await page.locator('#secret-title').textContent()).includes(w.name));
      w.clientId = await page.inputValue('#secret-client-id');
      w.secret = await page.inputValue('#secret-value');
      await fits('long-secret-dialog');
      await page.click('#secret-close');
      await page.locator('#secret-dialog').waitFor({ state: 'hidden' });
      await page.locator(`#access-rows tr[data-client-id="${w.clientId}"]`).waitFor();
      await fits('long-created');
    });

    test('decoded claims wrap, and iat and exp are also shown as UTC times', async () => {
      await generatorToken(page, w.clientId, w.secret, 3600);
      const claims = JSON.parse(await page.locator('#token-claims').textContent()).claims;
      const utc = (s) => new Date(s * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
      const times = await page.locator('#token-times').innerText();
      assert.ok(times.includes(utc(claims.iat)), times);
      assert.ok(times.includes(utc(claims.exp)), times);
      await page.locator('#token-claims').scrollIntoViewIfNeeded();
      await fits('long-token');
      await page.click('#token-clear');
    });

    test('a name with bidi controls is isolated wherever it is shown', async () => {
      const row = page.locator(`#access-rows tr[data-client-id="${d.bidiAccess}"]`);
      await row.getByRole('button', { name: /^Revoke/ }).click();
      await page.locator('#confirm-dialog[open]').waitFor();
      // every text holding the override sits in a <bdi> (or, where only plain text goes,
      // between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE); attributes likewise
      const leaks = await page.evaluate((rlo) => {
        const bad = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          if (!n.data.includes(rlo)) continue;
          const inOption = n.parentElement.closest('option');
          if (inOption ? !/\u2068[^\u2069]*\u202E/.test(n.data) : !n.parentElement.closest('bdi')) {
            bad.push(n.parentElement.outerHTML.slice(0, 120));
          }
        }
        for (const e of document.querySelectorAll('*')) {
          for (const a of e.attributes) {
            if (a.value.includes(rlo) && !/\u2068[^\u2069]*\u202E/.test(a.value)) bad.push(`${a.name}="${a.value}"`);
          }
        }
        return bad;
      }, RLO);
      assert.deepEqual(leaks, []);
      const title = await page.locator('#confirm-title').textContent();
      assert.ok(title.includes(BIDI_NAME), title);
      await shot('bidi-confirm');
      await page.click('#confirm-cancel');
      await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    });

    test('hundreds of accesses: the list stays readable and the filter finds one', async () => {
      await page.selectOption('#account-select', d.many);
      const rows = page.locator('#access-rows tr');
      await page.waitForFunction((n) => document.querySelectorAll('#access-rows tr').length === n, MANY);
      await fits('many');
      await page.fill('#access-filter', 'svc-017');
      await page.waitForFunction(() => document.querySelectorAll('#access-rows tr').length === 1);
      assert.equal(await rows.first().getAttribute('data-client-id'), d.manyIds[16]);
      // by client id too, whatever its case
      await page.fill('#access-filter', d.manyIds[99].slice(0, 13).toUpperCase());
      await page.waitForFunction(() => document.querySelectorAll('#access-rows tr').length === 1);
      assert.equal(await rows.first().getAttribute('data-client-id'), d.manyIds[99]);
      await fits('many-filtered');
      await page.fill('#access-filter', 'no such access');
      await page.waitForFunction(() => document.querySelectorAll('#access-rows tr').length === 0);
      assert.match(await page.locator('#access-empty').innerText(), /No access matches/);
      await page.fill('#access-filter', '');
      await page.waitForFunction((n) => document.querySelectorAll('#access-rows tr').length === n, MANY);
    });
  });
}
