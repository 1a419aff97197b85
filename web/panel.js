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
    keyId: null, // the admin key this tab signed in with
    accounts: [],
    account: null, // the selected account id
    envs: [],
    catalog: [],
    accesses: null, // the selected account's, revoked ones included; null until loaded
    busy: new Set(), // client ids with a revocation or rotation in flight
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

  // A name someone chose, isolated from the text around it (<bdi>): bidi controls in it
  // (U+202E…) cannot reorder what follows. Quoted, for sentences.
  function userText(s) {
    return el('bdi', { text: s });
  }

  function quoted(s) {
    return ['“', userText(s), '”'];
  }

  // The same where only plain text goes (<option>, aria-label): FSI … PDI (UAX #9).
  function isolated(s) {
    return `\u2068${s}\u2069`;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  // The page's one notice line: each action replaces it (or clears it when it starts).
  function notice(...parts) {
    $('notice').replaceChildren(...parts.flat());
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : 'never';
  }

  // Seconds since the epoch as "2026-12-04 08:00:00 UTC".
  function utc(seconds) {
    return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  // ---- the admin API -------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function request(method, path, body) {
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
    const why = (data && (data.error_description || data.error)) || 'HTTP ' + r.status;
    return { r, data, why };
  }

  // method + path (+ JSON body) → the parsed answer (null for 204). A 401 means the
  // session is gone: back to the sign-in form. A 403 about the CSRF token means the browser
  // now holds another session (signed in again in another tab): take that session's token
  // and try once more — a refused call changed nothing.
  async function call(method, path, body) {
    let { r, data, why } = await request(method, path, body);
    if (r.status === 403 && /CSRF/.test(why)) {
      await adoptSession();
      ({ r, data, why } = await request(method, path, body));
    }
    if (r.ok) return data;
    if (r.status === 401 && path !== SESSION) {
      signedOut('Your session has ended: sign in again.');
    }
    throw new ApiError(r.status, why);
  }

  // The browser's current session, read again. Signed in with the same admin key: its CSRF
  // token is ours from now on. With another key, this tab says so rather than act under
  // it unasked. Not signed in: back to the sign-in form.
  async function adoptSession() {
    const { r, data } = await request('GET', SESSION);
    if (r.status === 401) {
      signedOut('This browser signed out or in again elsewhere and the session here ended: ' +
        'sign in again.');
      throw new ApiError(401, 'signed out');
    }
    if (!r.ok) throw new ApiError(r.status, 'the session cannot be read');
    const sameKey = data.admin_key_id === state.keyId;
    signedIn(data);
    if (!sameKey) {
      throw new ApiError(403, `This browser is now signed in with another admin key ` +
        `(${data.admin_key_name || data.admin_key_id}, from another tab): try again.`);
    }
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

  // Account-scoped answers can come back out of order (a quick switch of account, a slow
  // answer): each load takes a ticket, and only the newest ticket of its kind is applied.
  // Selecting an account or signing out voids every ticket in flight.
  const tickets = {};
  let ticketSeq = 0;

  async function latest(kind, load, apply) {
    const mine = (tickets[kind] = ++ticketSeq);
    const data = await load();
    if (tickets[kind] === mine) apply(data);
  }

  function voidTickets() {
    for (const kind of Object.keys(tickets)) tickets[kind] = ++ticketSeq;
  }

  // Run an async handler: errors go to the form's alert line (or the notice).
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

  // A state-changing action of a form or a button: it clears the notice (the action says
  // its own outcome), disables the form's buttons (or the button) until its requests are
  // answered, and ignores being started again meanwhile (double clicks, Enter twice).
  function action(errorId, fn) {
    let running = false;
    const run = guarded(errorId, fn);
    return async (ev) => {
      if (ev) ev.preventDefault();
      if (running) return;
      running = true;
      const source = ev && ev.currentTarget;
      const buttons = source instanceof HTMLFormElement ? [...source.querySelectorAll('button')]
        : source instanceof HTMLButtonElement ? [source] : [];
      const focused = document.activeElement;
      notice();
      for (const b of buttons) b.disabled = true;
      try {
        await run(ev);
      } finally {
        for (const b of buttons) b.disabled = false;
        running = false;
        keepFocus(focused);
      }
    };
  }

  // A disabled button drops the focus: give it back when nothing else took it.
  function keepFocus(node) {
    const lost = !document.activeElement || document.activeElement === document.body;
    if (lost && !document.querySelector('dialog[open]') && node && document.contains(node) &&
        !node.closest('[hidden]')) {
      node.focus();
    }
  }

  // ---- dialogs: <dialog> gives the focus trap and Escape; we give focus back -----------

  const openers = new WeakMap();

  // Opens d modally; opener (default: what has the focus) gets the focus back on close.
  function openDialog(d, focus, opener) {
    const active = document.activeElement !== document.body ? document.activeElement : null;
    openers.set(d, opener || active);
    d.showModal();
    if (focus) focus.focus();
  }

  function closeDialog(d) {
    if (d.open) d.close();
  }

  // A row's buttons are made anew when the list is drawn again: an opener that left the
  // page is found again by its data-focus key.
  function byFocusKey(key) {
    return key ? document.querySelector(`[data-focus="${CSS.escape(key)}"]`) : null;
  }

  function findAgain(node) {
    if (!node || document.contains(node)) return node;
    return byFocusKey(node.dataset && node.dataset.focus);
  }

  function restoreFocus(d) {
    const back = findAgain(openers.get(d));
    if (back && !back.disabled) back.focus();
  }

  // A yes/no question; resolves to true when confirmed.
  function confirmAction(title, text, okLabel, opener) {
    const d = $('confirm-dialog');
    $('confirm-title').replaceChildren(...title);
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
      openDialog(d, $('confirm-cancel'), opener);
    });
  }

  // ---- the one-time secret -------------------------------------------------------------

  let secretShown = false;

  // Shows a client secret once. The caller passes the API answer and drops its own
  // reference; the value then lives only in the dialog's field until it closes.
  function showSecret(title, answer, opener) {
    $('secret-title').replaceChildren(...title);
    $('secret-client-id').value = answer.client_id;
    $('secret-value').value = answer.client_secret;
    delete answer.client_secret;
    secretShown = true;
    openDialog($('secret-dialog'), $('secret-copy'), opener);
  }

  function forgetSecret() {
    secretShown = false;
    $('secret-value').value = '';
    $('secret-client-id').value = '';
    resetCopyButtons($('secret-dialog'));
  }

  // Only the deliberate button closes it (and sign-out): Escape is refused, and should a
  // browser close it anyway (Chromium closes a dialog on a second Escape without user
  // activation in between), it opens again with the secret still there.
  $('secret-close').addEventListener('click', () => {
    forgetSecret();
    closeDialog($('secret-dialog'));
  });
  $('secret-dialog').addEventListener('cancel', (ev) => ev.preventDefault());
  $('secret-dialog').addEventListener('close', () => {
    if (secretShown) $('secret-dialog').showModal();
  });

  for (const d of document.querySelectorAll('dialog')) {
    d.addEventListener('close', () => {
      if (!d.open) restoreFocus(d);
    });
  }

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
    for (const s of root.querySelectorAll('.copy-status')) s.textContent = '';
  }

  // The button says "Copied"; the live region next to it tells screen readers what was.
  document.addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-copy]');
    if (!b) return;
    b.dataset.label = b.dataset.label || b.textContent;
    const status = b.closest('dialog, section').querySelector('.copy-status');
    const what = b.dataset.label.replace(/^Copy /, '');
    try {
      await copyText($(b.dataset.copy));
      b.textContent = 'Copied';
      status.textContent = `${what[0].toUpperCase()}${what.slice(1)} copied to the clipboard.`;
    } catch (e) {
      b.textContent = 'Copy failed: select and copy by hand';
      status.textContent = `The ${what} could not be copied: select it and copy it by hand.`;
    }
    setTimeout(() => {
      if (b.dataset.label) b.textContent = b.dataset.label;
    }, 2500);
  });

  // ---- session -------------------------------------------------------------------------

  function signedIn(session) {
    state.csrf = session.csrf_token;
    state.keyId = session.admin_key_id;
    $('whoami-name').textContent = session.admin_key_name || session.admin_key_id;
    show($('whoami'), true);
    show($('signin-view'), false);
    show($('app-view'), true);
  }

  // Forget everything the page knew, then show the sign-in form.
  function signedOut(message) {
    voidTickets();
    state.csrf = null;
    state.keyId = null;
    state.accounts = [];
    state.account = null;
    state.envs = [];
    state.accesses = null;
    forgetSecret();
    for (const d of document.querySelectorAll('dialog')) closeDialog(d);
    clearTokenGenerator();
    for (const f of document.querySelectorAll('form')) f.reset();
    $('account-select').replaceChildren();
    $('env-list').replaceChildren();
    $('access-rows').replaceChildren();
    $('access-filter').value = '';
    show($('account-view'), false);
    show($('app-view'), false);
    show($('whoami'), false);
    show($('signin-view'), true);
    notice(message || '');
    $('signin-key').focus();
  }

  $('signin-form').addEventListener('submit', action('signin-error', async () => {
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
    await loadAll();
  }));

  $('signout').addEventListener('click', action(null, async () => {
    try {
      await call('DELETE', SESSION);
    } finally {
      signedOut('Signed out.');
    }
  }));

  // ---- accounts and environments -------------------------------------------------------

  // After sign-in (or a reload), the focus goes to the first useful control: the account
  // picker, or the new-account form when there is no account yet.
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
    $(pick ? 'account-select' : 'account-name').focus();
    await selectAccount(pick ? pick.id : null);
  }

  function renderAccounts(selected) {
    const s = $('account-select');
    s.replaceChildren(...state.accounts.map((a) => el('option',
      { value: a.id, selected: a.id === selected, text: `${isolated(a.name)} (${a.id})` })));
    if (!state.accounts.length) {
      s.append(el('option', { value: '', text: 'No account yet: create one below' }));
      $('account-new').open = true;
    }
  }

  async function selectAccount(id) {
    voidTickets();
    state.account = id;
    state.envs = [];
    state.accesses = null;
    $('access-filter').value = '';
    renderEnvs();
    renderAccesses();
    show($('account-view'), Boolean(id));
    if (!id) return;
    history.replaceState(null, '', '#account=' + encodeURIComponent(id));
    await Promise.all([loadEnvs(), loadAccesses()]);
  }

  $('account-select').addEventListener('change', guarded(null, async (ev) => {
    notice();
    await selectAccount(ev.target.value);
  }));

  $('account-form').addEventListener('submit', action('account-error', async () => {
    const body = { name: $('account-name').value.trim() };
    const id = $('account-id').value.trim();
    if (id) body.id = id;
    const a = await call('POST', `${API}/accounts`, body);
    $('account-form').reset();
    $('account-new').open = false;
    state.accounts.push(a);
    renderAccounts(a.id);
    notice('Account ', quoted(a.name), ' created.');
    $('account-select').focus();
    await selectAccount(a.id);
  }));

  function loadEnvs() {
    return latest('envs', () => listAll(accountPath('/environments')), (envs) => {
      state.envs = envs;
      renderEnvs();
      renderAccesses(); // environment names in the rows
    });
  }

  function envName(id) {
    const e = state.envs.find((x) => x.id === id);
    return e ? e.name : id;
  }

  function renderEnvs() {
    $('env-list').replaceChildren(...state.envs.map((e) =>
      el('li', {}, el('strong', {}, userText(e.name)), ' ', el('code', { text: e.id }),
        e.is_main ? el('span', { class: 'badge', text: 'main' }) : null)));
    show($('env-empty'), state.envs.length === 0);
    // the access form's choices follow, keeping what was ticked
    const ticked = new Set(selectedValues('env'));
    $('access-env-options').replaceChildren(...state.envs.map((e) =>
      el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'env', value: e.id, checked: ticked.has(e.id) }),
        ' ', userText(e.name))));
    if (!state.envs.length) {
      $('access-env-options').append(
        el('p', { class: 'hint', text: 'This account has no environment yet.' }));
    }
  }

  $('env-form').addEventListener('submit', action('env-error', async () => {
    const body = { name: $('env-name').value.trim(), is_main: $('env-main').checked };
    const e = await call('POST', accountPath('/environments'), body);
    $('env-form').reset();
    notice('Environment ', quoted(e.name), ' created.');
    await loadEnvs();
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

  $('access-form').addEventListener('submit', action('access-error', async (ev) => {
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
    notice('Access ', quoted(answer.name), ' created.');
    // a secret is shown whatever happened meanwhile (another account selected…): it is
    // the only time it can be
    showSecret(['Access ', ...quoted(answer.name), ' created'], answer, ev.submitter);
    await loadAccesses();
  }));

  // ---- the accesses list, preview, revoke, rotate --------------------------------------

  // Always with the revoked ones: the list can then say how many there are, and the "Show
  // revoked accesses" box needs no new request.
  function loadAccesses() {
    return latest('accesses', () => listAll(accountPath('/accesses?include_revoked=true')),
      (items) => {
        state.accesses = items;
        renderAccesses();
      });
  }

  $('show-revoked').addEventListener('change', () => renderAccesses());
  $('access-filter').addEventListener('input', () => renderAccesses());

  function envText(envs) {
    if (!envs.length) return ['All environments'];
    return envs.flatMap((id, i) => (i ? [', ', userText(envName(id))] : [userText(envName(id))]));
  }

  // One element inside: on phones the cell is a grid of its label and its content.
  function cell(label, ...content) {
    return el('td', { 'data-label': label }, el('div', {}, ...content.flat()));
  }

  function matches(a, filter) {
    return !filter || a.name.toLowerCase().includes(filter) ||
      a.client_id.toLowerCase().includes(filter);
  }

  function row(a) {
    const busy = state.busy.has(a.client_id);
    const manage = el('div', { class: 'buttons' },
      el('button', { type: 'button', class: 'secondary', text: 'Preview',
        'data-focus': 'preview:' + a.client_id, 'aria-label': `Preview ${isolated(a.name)}`,
        onclick: (ev) => preview(a.client_id, ev.currentTarget) }));
    if (!a.revoked_at) {
      manage.append(el('button', { type: 'button', class: 'danger', text: 'Revoke',
        'data-focus': 'revoke:' + a.client_id, 'aria-label': `Revoke ${isolated(a.name)}`,
        disabled: busy, onclick: () => revoke(a) }));
    }
    return el('tr', { class: a.revoked_at ? 'revoked' : null, 'data-client-id': a.client_id },
      cell('Name', userText(a.name), a.revoked_at ? [
        el('span', { class: 'badge revoked', text: 'revoked' }),
        el('span', { class: 'hint revoked-at', text: `Revoked ${when(a.revoked_at)}` })] : null),
      cell('Client id', el('code', { text: a.client_id })),
      cell('Environments', envText(a.environments)),
      cell('Actions', el('span', { class: 'actions-text', text: a.actions.join(' ') })),
      cell('Created', when(a.created_at)),
      cell('Last used', when(a.last_used_at)),
      cell('Manage', manage));
  }

  // The rows that pass the filter (and the revoked box), and a line saying what is hidden.
  function renderAccesses() {
    const all = state.accesses || [];
    const showRevoked = $('show-revoked').checked;
    const filter = $('access-filter').value.trim().toLowerCase();
    const revoked = all.filter((a) => a.revoked_at).length;
    const listed = all.filter((a) => showRevoked || !a.revoked_at);
    const shown = listed.filter((a) => matches(a, filter));
    const focus = document.activeElement?.dataset?.focus;
    $('access-rows').replaceChildren(...shown.map(row));
    if (focus && byFocusKey(focus)) byFocusKey(focus).focus();
    const empty = $('access-empty');
    if (shown.length) {
      empty.replaceChildren();
    } else if (listed.length) {
      empty.replaceChildren('No access matches ', ...quoted($('access-filter').value.trim()), '.');
    } else if (revoked) {
      empty.replaceChildren(`No active access (${revoked} revoked — `,
        el('button', { type: 'button', class: 'link', text: 'show them',
          onclick: () => {
            $('show-revoked').checked = true;
            renderAccesses();
            $('show-revoked').focus();
          } }), ').');
    } else {
      empty.replaceChildren(state.accesses ? 'No access yet.' : 'Loading…');
    }
    show(empty, shown.length === 0);
    $('access-count').textContent = filter
      ? `${shown.length} of ${listed.length} accesses match the filter.` : '';
  }

  function detail(term, ...value) {
    return [el('dt', { text: term }), el('dd', {}, ...value.flat())];
  }

  let previewed = null;

  function preview(clientId, opener) {
    notice();
    return latest('preview', () => call('GET', accountPath('/accesses/' + encodeURIComponent(clientId)))
      .catch((e) => {
        if (e.status !== 401) notice(e.message);
        return null;
      }), (a) => {
      if (!a) return;
      previewed = a;
      $('preview-title').replaceChildren(userText(a.name));
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
      const busy = state.busy.has(a.client_id);
      for (const b of [$('preview-rotate'), $('preview-revoke')]) {
        show(b, !a.revoked_at);
        b.disabled = busy;
      }
      openDialog($('preview-dialog'), $('preview-close'), opener);
    });
  }

  $('preview-close').addEventListener('click', () => closeDialog($('preview-dialog')));
  $('preview-revoke').addEventListener('click', () => {
    closeDialog($('preview-dialog'));
    revoke(previewed);
  });
  $('preview-rotate').addEventListener('click', () => {
    const opener = openers.get($('preview-dialog'));
    closeDialog($('preview-dialog'));
    rotate(previewed, opener);
  });

  // One revocation or rotation per access at a time: its buttons are disabled meanwhile.
  async function busyWith(a, fn) {
    if (state.busy.has(a.client_id)) return;
    state.busy.add(a.client_id);
    renderAccesses();
    try {
      await fn();
    } finally {
      state.busy.delete(a.client_id);
      renderAccesses();
    }
  }

  // After a revocation the row's Revoke button is gone: the focus goes to the same row
  // (shown revoked), else the row that took its place, else the list's heading.
  function focusAfterRevoke(clientId, index) {
    const rows = [...$('access-rows').rows];
    const same = rows.find((r) => r.dataset.clientId === clientId);
    const next = same || rows[Math.min(index, rows.length - 1)];
    const button = next && next.querySelector('button');
    (button || $('accesses-title')).focus();
  }

  async function revoke(a) {
    if (state.busy.has(a.client_id)) return;
    notice();
    const yes = await confirmAction(['Revoke ', ...quoted(a.name), '?'],
      'Every token this access obtained stops working at once, and it can obtain no more. ' +
      'This cannot be undone.', 'Revoke access');
    if (!yes) return;
    const index = [...$('access-rows').rows].findIndex((r) => r.dataset.clientId === a.client_id);
    await busyWith(a, guarded(null, async () => {
      await call('DELETE', accountPath('/accesses/' + encodeURIComponent(a.client_id)));
      await loadAccesses();
      notice('Access ', quoted(a.name), ' revoked.');
    }));
    focusAfterRevoke(a.client_id, Math.max(index, 0));
  }

  async function rotate(a, opener) {
    if (state.busy.has(a.client_id)) return;
    notice();
    const yes = await confirmAction(['Rotate the secret of ', ...quoted(a.name), '?'],
      'The current client secret stops working at once. Tokens already issued stay valid.',
      'Rotate secret', opener);
    if (!yes) return;
    await busyWith(a, guarded(null, async () => {
      const answer = await call('POST',
        accountPath('/accesses/' + encodeURIComponent(a.client_id) + '/secret'));
      notice('The secret of ', quoted(a.name), ' was rotated.');
      showSecret(['New client secret for ', ...quoted(a.name)], answer, opener);
      await loadAccesses();
    }));
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
    $('token-times').replaceChildren();
    $('token-error').textContent = '';
    resetCopyButtons($('token-result'));
    show($('token-result'), false);
  }

  $('token-clear').addEventListener('click', clearTokenGenerator);

  // The times of a token, readable: "Issued at (iat)  2026-12-04 08:00:00 UTC".
  function tokenTimes(claims) {
    const names = { iat: 'Issued at', nbf: 'Not before', exp: 'Expires' };
    const out = [];
    for (const [k, label] of Object.entries(names)) {
      if (Number.isInteger(claims[k])) out.push(...detail(`${label} (${k})`, utc(claims[k])));
    }
    if (!Number.isInteger(claims.exp)) out.push(...detail('Expires', 'never'));
    return out;
  }

  $('token-form').addEventListener('submit', action('token-error', async () => {
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
    const claims = b64urlJson(payload);
    $('token-value').value = d.access_token;
    $('token-times').replaceChildren(...tokenTimes(claims));
    $('token-claims').textContent = JSON.stringify({ header: b64urlJson(header), claims }, null, 2);
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
