// SPDX-License-Identifier: MIT
// The rcauth panel (SPEC §8, docs/panel.md). Plain JavaScript, no framework, no build step.
// It signs in at /admin/session (an HttpOnly cookie the script never sees, plus a CSRF token
// kept only in this script's memory) and then calls the admin API /admin/v1 like any
// client. A client secret lives only in the one-time dialog and is wiped when it closes;
// nothing is ever written to localStorage or sessionStorage.
'use strict';

(function () {
  const API = '/admin/v1';
  const SESSION = '/admin/session';
  const PAGE_MAX = 1000;

  const state = {
    csrf: null, // the session's CSRF token: memory only
    accounts: [],
    account: null, // the selected account id
    envs: [],
    catalog: [],
    accesses: [],
  };

  const $ = (id) => document.getElementById(id);

  // ---- DOM helpers: text always goes through textContent, never innerHTML -------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c);
    }
    return e;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function notice(text) {
    $('notice').textContent = text || '';
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : 'never';
  }

  // ---- the admin API -------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // method + path (+ JSON body) → the parsed answer (null for 204). A 401 means the
  // session is gone: back to the sign-in form.
  async function call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    let r;
    try {
      r = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'the server cannot be reached');
    }
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (r.ok) return data;
    const why = (data && (data.error_description || data.error)) || 'HTTP ' + r.status;
    if (r.status === 401 && path !== SESSION) {
      signedOut('Your session has ended: sign in again.');
    }
    throw new ApiError(r.status, why);
  }

  // Every item of a list endpoint, page by page.
  async function listAll(path) {
    const items = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; ; page++) {
      const d = await call('GET', `${path}${sep}_page=${page}&_max_per_page=${PAGE_MAX}`);
      items.push(...d.items);
      if (d.items.length === 0 || items.length >= d.total_count) return items;
    }
  }

  function accountPath(rest) {
    return `${API}/accounts/${encodeURIComponent(state.account)}${rest || ''}`;
  }

  // Run an async action for a form: errors go to the form's alert line.
  function guarded(errorId, fn) {
    return async (ev) => {
      if (ev) ev.preventDefault();
      const err = errorId ? $(errorId) : null;
      if (err) err.textContent = '';
      try {
        await fn(ev);
      } catch (e) {
        if (e.status === 401) return;
        if (err) err.textContent = e.message;
        else notice(e.message);
      }
    };
  }

  // ---- dialogs: <dialog> gives the focus trap and Escape; we give focus back -----------

  const openers = new WeakMap();

  function openDialog(d, focus) {
    openers.set(d, document.activeElement);
    d.showModal();
    if (focus) focus.focus();
  }

  function closeDialog(d) {
    if (d.open) d.close();
  }

  function restoreFocus(d) {
    const back = openers.get(d);
    if (back && document.contains(back) && !back.disabled) back.focus();
  }

  for (const d of document.querySelectorAll('dialog')) {
    d.addEventListener('close', () => restoreFocus(d));
  }

  // A yes/no question; resolves to true when confirmed.
  function confirmAction(title, text, okLabel) {
    const d = $('confirm-dialog');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    return new Promise((resolve) => {
      let answer = false;
      const ok = () => {
        answer = true;
        closeDialog(d);
      };
      const cancel = () => closeDialog(d);
      d.addEventListener('close', function done() {
        d.removeEventListener('close', done);
        $('confirm-ok').removeEventListener('click', ok);
        $('confirm-cancel').removeEventListener('click', cancel);
        resolve(answer);
      });
      $('confirm-ok').addEventListener('click', ok);
      $('confirm-cancel').addEventListener('click', cancel);
      openDialog(d, $('confirm-cancel'));
    });
  }

  // ---- the one-time secret -------------------------------------------------------------

  // Shows a client secret once. The caller passes the API answer and drops its own
  // reference; the value then lives only in the dialog's field until it closes.
  function showSecret(title, answer) {
    $('secret-title').textContent = title;
    $('secret-client-id').value = answer.client_id;
    $('secret-value').value = answer.client_secret;
    delete answer.client_secret;
    openDialog($('secret-dialog'), $('secret-copy'));
  }

  function forgetSecret() {
    $('secret-value').value = '';
    $('secret-client-id').value = '';
    resetCopyButtons($('secret-dialog'));
  }

  // The close button, Escape, or anything else: the secret goes with the dialog, at once
  // (the close event itself comes a task later).
  $('secret-close').addEventListener('click', () => {
    forgetSecret();
    closeDialog($('secret-dialog'));
  });
  $('secret-dialog').addEventListener('cancel', forgetSecret);
  $('secret-dialog').addEventListener('close', forgetSecret);

  // ---- copy buttons --------------------------------------------------------------------

  async function copyText(field) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(field.value);
      return;
    }
    // Plain HTTP on a non-loopback host has no Clipboard API: the older way.
    field.focus();
    field.select();
    if (!document.execCommand('copy')) throw new Error('copy refused');
  }

  function resetCopyButtons(root) {
    for (const b of root.querySelectorAll('button[data-copy]')) {
      if (b.dataset.label) b.textContent = b.dataset.label;
    }
  }

  document.addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-copy]');
    if (!b) return;
    b.dataset.label = b.dataset.label || b.textContent;
    try {
      await copyText($(b.dataset.copy));
      b.textContent = 'Copied';
    } catch (e) {
      b.textContent = 'Copy failed: select and copy by hand';
    }
    setTimeout(() => {
      if (b.dataset.label) b.textContent = b.dataset.label;
    }, 2500);
  });

  // ---- session -------------------------------------------------------------------------

  function signedIn(session) {
    state.csrf = session.csrf_token;
    $('whoami-name').textContent = session.admin_key_name || session.admin_key_id;
    show($('whoami'), true);
    show($('signin-view'), false);
    show($('app-view'), true);
  }

  // Forget everything the page knew, then show the sign-in form.
  function signedOut(message) {
    state.csrf = null;
    state.accounts = [];
    state.account = null;
    state.envs = [];
    state.accesses = [];
    for (const d of document.querySelectorAll('dialog')) closeDialog(d);
    clearTokenGenerator();
    for (const f of document.querySelectorAll('form')) f.reset();
    $('account-select').replaceChildren();
    $('env-list').replaceChildren();
    $('access-rows').replaceChildren();
    show($('account-view'), false);
    show($('app-view'), false);
    show($('whoami'), false);
    show($('signin-view'), true);
    notice(message || '');
    $('signin-key').focus();
  }

  $('signin-form').addEventListener('submit', guarded('signin-error', async () => {
    const key = $('signin-key');
    if (!key.value.trim()) throw new Error('Enter an admin key.');
    let session;
    try {
      session = await call('POST', SESSION, { admin_key: key.value.trim() });
    } catch (e) {
      if (e.status === 401) throw new Error('This admin key is unknown or revoked.');
      throw e;
    } finally {
      key.value = '';
    }
    signedIn(session);
    notice('');
    await loadAll();
  }));

  $('signout').addEventListener('click', guarded(null, async () => {
    try {
      await call('DELETE', SESSION);
    } finally {
      signedOut('Signed out.');
    }
  }));

  // ---- accounts and environments -------------------------------------------------------

  async function loadAll() {
    const [catalog, accounts] = await Promise.all([
      listAll(`${API}/actions`),
      listAll(`${API}/accounts`),
    ]);
    state.catalog = catalog;
    state.accounts = accounts;
    renderActionGroups();
    const wanted = new URLSearchParams(location.hash.slice(1)).get('account');
    const pick = accounts.find((a) => a.id === wanted) || accounts[0];
    renderAccounts(pick ? pick.id : null);
    await selectAccount(pick ? pick.id : null);
  }

  function renderAccounts(selected) {
    const s = $('account-select');
    s.replaceChildren(...state.accounts.map((a) =>
      el('option', { value: a.id, selected: a.id === selected, text: `${a.name} (${a.id})` })));
    if (!state.accounts.length) {
      s.append(el('option', { value: '', text: 'No account yet: create one below' }));
      $('account-new').open = true;
    }
  }

  async function selectAccount(id) {
    state.account = id;
    show($('account-view'), Boolean(id));
    if (!id) return;
    history.replaceState(null, '', '#account=' + encodeURIComponent(id));
    await Promise.all([loadEnvs(), loadAccesses()]);
  }

  $('account-select').addEventListener('change', guarded(null, async (ev) => {
    await selectAccount(ev.target.value);
  }));

  $('account-form').addEventListener('submit', guarded('account-error', async () => {
    const body = { name: $('account-name').value.trim() };
    const id = $('account-id').value.trim();
    if (id) body.id = id;
    const a = await call('POST', `${API}/accounts`, body);
    $('account-form').reset();
    $('account-new').open = false;
    state.accounts.push(a);
    renderAccounts(a.id);
    await selectAccount(a.id);
    notice(`Account “${a.name}” created.`);
  }));

  async function loadEnvs() {
    state.envs = await listAll(accountPath('/environments'));
    renderEnvs();
  }

  function envName(id) {
    const e = state.envs.find((x) => x.id === id);
    return e ? e.name : id;
  }

  function renderEnvs() {
    $('env-list').replaceChildren(...state.envs.map((e) =>
      el('li', {}, el('strong', { text: e.name }), ' ', el('code', { text: e.id }),
        e.is_main ? el('span', { class: 'badge', text: 'main' }) : null)));
    show($('env-empty'), state.envs.length === 0);
    // the access form's choices follow, keeping what was ticked
    const ticked = new Set(selectedValues('env'));
    $('access-env-options').replaceChildren(...state.envs.map((e) =>
      el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'env', value: e.id, checked: ticked.has(e.id) }),
        ` ${e.name}`)));
    if (!state.envs.length) {
      $('access-env-options').append(
        el('p', { class: 'hint', text: 'This account has no environment yet.' }));
    }
  }

  $('env-form').addEventListener('submit', guarded('env-error', async () => {
    const body = { name: $('env-name').value.trim(), is_main: $('env-main').checked };
    const e = await call('POST', accountPath('/environments'), body);
    $('env-form').reset();
    await loadEnvs();
    notice(`Environment “${e.name}” created.`);
  }));

  // ---- the access form -----------------------------------------------------------------

  function selectedValues(name) {
    return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  }

  // "environment.user.put" belongs to resource "environment.user".
  function resourceOf(action) {
    return action.slice(0, action.lastIndexOf('.'));
  }

  function renderActionGroups() {
    const groups = new Map();
    for (const a of state.catalog) {
      const r = resourceOf(a);
      if (!groups.has(r)) groups.set(r, []);
      groups.get(r).push(a);
    }
    const boxes = [];
    for (const [resource, actions] of groups) {
      const id = 'group-' + resource.replace(/[^a-z0-9_]/gi, '-');
      const all = el('input', { type: 'checkbox', id: id + '-all', 'data-group': resource });
      const items = actions.map((a) => el('label', { class: 'check', title: a },
        el('input', { type: 'checkbox', name: 'action', value: a, 'data-group': resource }),
        ` ${a.slice(resource.length + 1)}`));
      boxes.push(el('fieldset', { class: 'group', id },
        el('legend', { text: resource }),
        el('label', { class: 'check all', for: id + '-all' }, all, ` All ${resource} actions`),
        el('div', { class: 'options' }, ...items)));
    }
    $('action-groups').replaceChildren(...boxes);
  }

  function syncGroup(resource) {
    const boxes = [...document.querySelectorAll(`input[name="action"][data-group="${resource}"]`)];
    const all = document.querySelector(`input[data-group="${resource}"]:not([name])`);
    const n = boxes.filter((b) => b.checked).length;
    all.checked = n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  }

  $('action-groups').addEventListener('change', (ev) => {
    const t = ev.target;
    const resource = t.dataset.group;
    if (!resource) return;
    if (!t.name) {
      for (const b of document.querySelectorAll(`input[name="action"][data-group="${resource}"]`)) {
        b.checked = t.checked;
      }
    }
    syncGroup(resource);
  });

  $('access-form').addEventListener('submit', guarded('access-error', async () => {
    const name = $('access-name').value.trim();
    const actions = selectedValues('action');
    if (!name) throw new Error('Give the access a name.');
    if (!actions.length) throw new Error('Select at least one action.');
    const answer = await call('POST', accountPath('/accesses'),
      { name, environments: selectedValues('env'), actions });
    $('access-form').reset();
    for (const all of document.querySelectorAll('#action-groups input:not([name])')) {
      all.indeterminate = false;
    }
    showSecret('Access created', answer);
    await loadAccesses();
  }));

  // ---- the accesses list, preview, revoke, rotate --------------------------------------

  async function loadAccesses() {
    const revoked = $('show-revoked').checked ? '?include_revoked=true' : '';
    state.accesses = await listAll(accountPath('/accesses' + revoked));
    renderAccesses();
  }

  $('show-revoked').addEventListener('change', guarded(null, loadAccesses));

  function envText(envs) {
    return envs.length ? envs.map(envName).join(', ') : 'All environments';
  }

  function cell(label, ...content) {
    return el('td', { 'data-label': label }, ...content);
  }

  function renderAccesses() {
    const rows = state.accesses.map((a) => {
      const manage = el('div', { class: 'buttons' },
        el('button', { type: 'button', class: 'secondary', text: 'Preview',
          'aria-label': `Preview ${a.name}`, onclick: () => preview(a.client_id) }));
      if (!a.revoked_at) {
        manage.append(el('button', { type: 'button', class: 'danger', text: 'Revoke',
          'aria-label': `Revoke ${a.name}`, onclick: () => revoke(a) }));
      }
      return el('tr', { class: a.revoked_at ? 'revoked' : null, 'data-client-id': a.client_id },
        cell('Name', el('span', { text: a.name }),
          a.revoked_at ? el('span', { class: 'badge revoked', text: 'revoked' }) : null),
        cell('Client id', el('code', { text: a.client_id })),
        cell('Environments', envText(a.environments)),
        cell('Actions', el('span', { class: 'actions-text', text: a.actions.join(' ') })),
        cell('Created', when(a.created_at)),
        cell('Last used', when(a.last_used_at)),
        cell('Manage', manage));
    });
    $('access-rows').replaceChildren(...rows);
    show($('access-empty'), rows.length === 0);
  }

  function detail(term, ...value) {
    return [el('dt', { text: term }), el('dd', {}, ...value)];
  }

  let previewed = null;

  async function preview(clientId) {
    const a = await call('GET', accountPath('/accesses/' + encodeURIComponent(clientId)))
      .catch((e) => { notice(e.message); return null; });
    if (!a) return;
    previewed = a;
    $('preview-title').textContent = a.name;
    $('preview-body').replaceChildren(
      ...detail('Client id', el('code', { text: a.client_id })),
      ...detail('Account', el('code', { text: a.account_id })),
      ...detail('Environments', envText(a.environments)),
      ...detail('Actions', el('ul', { class: 'plain' },
        ...a.actions.map((x) => el('li', {}, el('code', { text: x }))))),
      ...detail('Created', when(a.created_at)),
      ...detail('Last used', when(a.last_used_at)),
      ...detail('Revoked', a.revoked_at ? when(a.revoked_at) : 'no'),
      ...detail('Client secret', 'never shown again; rotate it to get a new one'));
    show($('preview-rotate'), !a.revoked_at);
    show($('preview-revoke'), !a.revoked_at);
    openDialog($('preview-dialog'), $('preview-close'));
  }

  $('preview-close').addEventListener('click', () => closeDialog($('preview-dialog')));
  $('preview-revoke').addEventListener('click', () => {
    closeDialog($('preview-dialog'));
    revoke(previewed);
  });
  $('preview-rotate').addEventListener('click', () => {
    closeDialog($('preview-dialog'));
    rotate(previewed);
  });

  async function revoke(a) {
    const yes = await confirmAction(`Revoke “${a.name}”?`,
      'Every token this access obtained stops working at once, and it can obtain no more. ' +
      'This cannot be undone.', 'Revoke access');
    if (!yes) return;
    await guarded(null, async () => {
      await call('DELETE', accountPath('/accesses/' + encodeURIComponent(a.client_id)));
      await loadAccesses();
      notice(`Access “${a.name}” revoked.`);
    })();
  }

  async function rotate(a) {
    const yes = await confirmAction(`Rotate the secret of “${a.name}”?`,
      'The current client secret stops working at once. Tokens already issued stay valid.',
      'Rotate secret');
    if (!yes) return;
    await guarded(null, async () => {
      const answer = await call('POST',
        accountPath('/accesses/' + encodeURIComponent(a.client_id) + '/secret'));
      showSecret('New client secret', answer);
      await loadAccesses();
    })();
  }

  // ---- the token generator -------------------------------------------------------------

  function b64urlJson(part) {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  // POSIX shell single quotes: ' becomes '\''.
  function shq(s) {
    return "'" + String(s).replace(/'/g, "'\\''") + "'";
  }

  function clearTokenGenerator() {
    $('token-form').reset();
    $('token-value').value = '';
    $('token-curl').value = '';
    $('token-claims').textContent = '';
    $('token-error').textContent = '';
    show($('token-result'), false);
  }

  $('token-clear').addEventListener('click', clearTokenGenerator);

  $('token-form').addEventListener('submit', guarded('token-error', async () => {
    const clientId = $('token-client-id').value.trim();
    const secret = $('token-secret').value.trim();
    const expiry = $('token-expiry').value.trim();
    if (!clientId || !secret) throw new Error('Enter a client id and its secret.');
    if (!/^[0-9]+$/.test(expiry)) throw new Error('The expiry is a whole number of seconds, 0 or more.');
    const url = `${location.origin}/${encodeURIComponent(state.account)}/token?expires_in=${expiry}`;
    const body = JSON.stringify({
      grant_type: 'client_credentials', scope: '*', client_id: clientId, client_secret: secret,
    });
    show($('token-result'), false);
    let r;
    try {
      r = await fetch(url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
        credentials: 'omit', cache: 'no-store',
      });
    } catch (e) {
      throw new Error('the server cannot be reached');
    }
    const d = await r.json().catch(() => ({}));
    if (r.status !== 200 || !d.access_token) {
      throw new Error(`${r.status}: ${d.error || 'error'}${d.error_description ? ' — ' + d.error_description : ''}`);
    }
    const [header, payload] = d.access_token.split('.');
    $('token-value').value = d.access_token;
    $('token-claims').textContent = JSON.stringify(
      { header: b64urlJson(header), claims: b64urlJson(payload) }, null, 2);
    $('token-curl').value = `curl -s -X POST ${shq(url)} -H 'Content-Type: application/json' ` +
      `--data-raw ${shq(body)}`;
    show($('token-result'), true);
  }));

  // ---- start ---------------------------------------------------------------------------

  async function start() {
    let session = null;
    try {
      session = await call('GET', SESSION);
    } catch (e) {
      signedOut(e.status === 401 ? '' : e.message);
      return;
    }
    signedIn(session);
    await guarded(null, loadAll)();
  }

  start();
})();
