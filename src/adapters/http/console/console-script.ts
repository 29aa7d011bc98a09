// The auditor console's script, served as /console.js so the page's policy can be script-src 'self'.
// Plain browser JavaScript, no build step. Everything it shows comes from the /v1 API with the
// user's key, and enters the page as text (textContent, attributes): never as HTML.
// Amounts stay the API's strings; only the history plot turns them into numbers, for coordinates.

export const CONSOLE_SCRIPT = String.raw`'use strict';
(function () {
  var KEY_STORAGE = 'ledger-console-key';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var MAX_LAYERS = 6;
  var MAX_STATEMENT_PAGES = 20;
  var FAR_EFFECTIVE = '9000-12-31';

  var state = { key: null, ledger: null, auditor: null, balance: null, tokens: {}, pending: 0 };
  var $ = function (id) { return document.getElementById(id); };

  // ---- DOM helpers: text only --------------------------------------------------------------
  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) { if (child !== null && child !== undefined) node.append(child); });
    return node;
  }
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, String(attributes[name])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function setStatus(panel, text, kind) {
    var node = panel.querySelector('[data-status]');
    node.textContent = text;
    node.dataset.kind = kind || '';
  }
  function cell(text, sub, className) {
    var td = el('td', className, [String(text)]);
    if (sub) td.append(el('span', 'sub', [sub]));
    return td;
  }
  function field(list, name, label, value, className) {
    var dd = el('dd', className, [value === null || value === undefined ? '' : String(value)]);
    dd.dataset.field = name;
    list.append(el('dt', '', [label]), dd);
  }
  function postingsText(transaction) {
    return (transaction.postings || []).map(function (p) {
      return p.direction + ' ' + p.accountId + ' ' + p.amount + ' ' + (p.currency || '');
    }).join('; ');
  }
  function touches(transaction, accountId) {
    return (transaction.postings || []).some(function (p) { return p.accountId === accountId; });
  }

  // ---- the API ------------------------------------------------------------------------------
  // Every call counts in body[data-pending] until its panel is drawn: tests and users can tell
  // when the page has settled.
  function track(promise) {
    state.pending += 1;
    document.body.dataset.pending = String(state.pending);
    return promise.finally(function () {
      state.pending -= 1;
      document.body.dataset.pending = String(state.pending);
    });
  }
  function describeProblem(status, body) {
    if (body && body.code) return body.code + ' (' + status + '): ' + (body.detail || body.title || '');
    return 'HTTP ' + status;
  }
  async function api(path, params) {
    var url = new URL(path, location.origin);
    Object.keys(params || {}).forEach(function (name) {
      var value = params[name];
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    });
    var response;
    try {
      response = await fetch(url, { headers: { Authorization: 'Bearer ' + state.key, Accept: 'application/json' }, cache: 'no-store' });
    } catch (error) {
      return { status: 0, body: null, problem: 'The service cannot be reached: ' + (error && error.message) };
    }
    var body = null;
    try { body = await response.json(); } catch (ignored) { body = null; }
    if (response.status === 401) signOut('The key was refused (401 UNAUTHORIZED): sign in again with a valid key.');
    return { status: response.status, body: body, problem: response.ok ? null : describeProblem(response.status, body) };
  }
  function ledgerPath(suffix) { return '/v1/ledgers/' + encodeURIComponent(state.ledger.id) + (suffix || ''); }
  function accountPath(accountId, suffix) { return ledgerPath('/accounts/' + encodeURIComponent(accountId) + suffix); }

  // A panel's answer is drawn only if no later request for that panel was made meanwhile.
  function begin(panel) { state.tokens[panel] = (state.tokens[panel] || 0) + 1; return state.tokens[panel]; }
  function current(panel, token) { return state.tokens[panel] === token; }

  // ---- signing in and out -------------------------------------------------------------------
  function signIn(key) {
    state.key = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('sign-in').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    $('session-note').textContent = 'Signed in (key kept in this tab only)';
    $('ledger-id').focus();
  }
  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    state.key = null;
    state.ledger = null;
    $('console').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('session-note').textContent = '';
    $('sign-in-status').textContent = message || '';
  }

  // ---- the ledger and its accounts ----------------------------------------------------------
  async function openLedger(ledgerId) {
    var panel = $('pick-panel');
    setStatus(panel, 'Opening ' + ledgerId + '...');
    var answer = await api('/v1/ledgers/' + encodeURIComponent(ledgerId));
    if (answer.status === 404) return setStatus(panel, 'Ledger ' + ledgerId + ' does not exist, or this key may not read it.', 'error');
    if (answer.problem) return setStatus(panel, answer.problem, 'error');
    state.ledger = answer.body;
    var slider = $('recorded-position');
    slider.max = String(state.ledger.head);
    slider.value = String(state.ledger.head);
    $('recorded-position-value').textContent = String(state.ledger.head);
    setStatus(panel, state.ledger.name + ' (' + state.ledger.id + ', ' + state.ledger.timezone + '): head position ' + state.ledger.head +
      ', closed through ' + (state.ledger.closedThrough || 'no date'), 'ok');
    var accounts = await listAccounts();
    var select = $('account');
    select.replaceChildren();
    accounts.forEach(function (account) {
      var option = el('option', '', [account.id + ' (' + account.currency + ', ' + account.normalBalance + ')']);
      option.value = account.id;
      select.append(option);
    });
    select.disabled = accounts.length === 0;
    if (accounts.length === 0) setStatus(panel, 'The ledger has no accounts yet.', 'error');
    state.auditor = await probeAuditor();
    showAccess();
    await Promise.all([refresh(), state.auditor ? verifyChain() : null]);
  }
  async function listAccounts() {
    var accounts = [];
    var cursor;
    for (var page = 0; page < MAX_STATEMENT_PAGES; page += 1) {
      var answer = await api(ledgerPath('/accounts'), { limit: 1000, cursor: cursor });
      if (answer.problem) { setStatus($('pick-panel'), answer.problem, 'error'); break; }
      accounts = accounts.concat(answer.body.items);
      cursor = answer.body.nextCursor;
      if (!cursor) break;
    }
    return accounts;
  }
  // The key's role says whether it may read the auditors' reports; a reader key is then never
  // sent to them, and their panels say what they need.
  async function probeAuditor() {
    var answer = await api('/v1/keys/current', {});
    return answer.status === 200 && (answer.body.role === 'auditor' || answer.body.role === 'admin');
  }
  function showAccess() {
    document.querySelectorAll('.auditor-only').forEach(function (panel) {
      panel.dataset.access = state.auditor ? 'granted' : 'needs-auditor';
      panel.querySelector('.needs-auditor').hidden = state.auditor;
      panel.querySelector('.panel-body').hidden = !state.auditor;
    });
  }

  // ---- the chosen pair of timelines ---------------------------------------------------------
  function recordedCoordinate() {
    var at = $('recorded-as-of').value.trim();
    if (at) return { recordedAsOf: at };
    return { recordedAsOfPosition: $('recorded-position').value };
  }
  function coordinates() {
    var chosen = recordedCoordinate();
    var effective = $('effective-as-of').value.trim();
    if (effective) chosen.effectiveAsOf = effective;
    return chosen;
  }
  async function refresh() {
    var accountId = $('account').value;
    if (!state.ledger || !accountId) return;
    await showBalance(accountId);
    await Promise.all([showHistory(accountId), state.auditor ? showReversals(accountId) : null]);
  }

  // ---- balances -----------------------------------------------------------------------------
  async function showBalance(accountId) {
    var panel = $('balance-panel');
    var token = begin('balance');
    var list = $('balance');
    setStatus(panel, 'Loading...');
    var answer = await api(accountPath(accountId, '/balance'), coordinates());
    if (!current('balance', token)) return;
    list.replaceChildren();
    if (answer.problem) { state.balance = null; return setStatus(panel, answer.problem, 'error'); }
    var b = answer.body;
    state.balance = b;
    setStatus(panel, b.accountId + ' effective as of ' + b.asOf.effectiveAt + ', as known at position ' + b.asOf.position +
      ' (recorded ' + (b.asOf.recordedAt || 'never') + ')');
    field(list, 'ledgerBalance', 'Ledger balance', b.ledgerBalance + ' ' + b.currency, 'amount');
    field(list, 'availableBalance', 'Available balance', b.availableBalance + ' ' + b.currency, 'amount');
    field(list, 'posted.debits', 'Posted debits', b.posted.debits);
    field(list, 'posted.credits', 'Posted credits', b.posted.credits);
    field(list, 'pending.debits', 'Held debits (active holds)', b.pending.debits);
    field(list, 'pending.credits', 'Held credits (active holds)', b.pending.credits);
    field(list, 'scheduled.debits', 'Scheduled debits (known, effective later)', b.scheduled.debits);
    field(list, 'scheduled.credits', 'Scheduled credits (known, effective later)', b.scheduled.credits);
    field(list, 'normalBalance', 'Normal balance', b.normalBalance);
    field(list, 'asOf.position', 'As of position', b.asOf.position);
    field(list, 'asOf.recordedAt', 'As of recorded time', b.asOf.recordedAt);
    field(list, 'asOf.effectiveAt', 'As of effective time', b.asOf.effectiveAt);
  }

  // ---- history: effective time across, knowledge as layers ----------------------------------
  async function statement(accountId, recorded) {
    var items = [];
    var cursor;
    for (var page = 0; page < MAX_STATEMENT_PAGES; page += 1) {
      var params = Object.assign({ effectiveTo: FAR_EFFECTIVE, limit: 1000, cursor: cursor }, recorded);
      var answer = await api(accountPath(accountId, '/entries'), params);
      if (answer.problem) return { problem: answer.problem };
      items = items.concat(answer.body.items);
      cursor = answer.body.nextCursor;
      if (!cursor) return { items: items, complete: true };
    }
    return { items: items, complete: false };
  }
  async function showHistory(accountId) {
    var panel = $('history-panel');
    var token = begin('history');
    setStatus(panel, 'Loading...');
    // Every posting on the account as the head knows it: the effective range, and the commits
    // that changed the account's history (its knowledge layers).
    var all = await statement(accountId, { recordedAsOfPosition: state.ledger.head });
    if (!current('history', token)) return;
    if (all.problem) return setStatus(panel, all.problem, 'error');
    var recordedTimes = [];
    all.items.forEach(function (item) { if (recordedTimes.indexOf(item.recordedAt) < 0) recordedTimes.push(item.recordedAt); });
    recordedTimes.sort();
    if (recordedTimes.length > MAX_LAYERS) recordedTimes = [recordedTimes[0]].concat(recordedTimes.slice(-(MAX_LAYERS - 1)));
    var layers = await Promise.all(recordedTimes.map(function (recordedAt) {
      return statement(accountId, { recordedAsOf: recordedAt }).then(function (answer) { return { recordedAt: recordedAt, answer: answer }; });
    }));
    if (!current('history', token)) return;
    var failed = layers.filter(function (layer) { return layer.answer.problem; })[0];
    if (failed) return setStatus(panel, failed.answer.problem, 'error');
    drawHistory(layers, all.items);
    setStatus(panel, all.items.length === 0 ? 'No postings on this account.' :
      layers.length + ' knowledge layer(s) over ' + all.items.length + ' posting(s) as the head knows them' +
      (all.complete ? '' : ' (the first ' + all.items.length + ' only)') + '.');
  }
  function timeMs(timestamp) {
    // Coordinates only: Date keeps milliseconds, the API gives microseconds.
    return Date.parse(String(timestamp).replace(/(\.\d{3})\d+/, '$1'));
  }
  function drawHistory(layers, allItems) {
    var plot = $('history');
    var legend = $('history-legend');
    plot.replaceChildren();
    legend.replaceChildren();
    if (allItems.length === 0) return;
    var W = 800, H = 260, left = 90, right = 20, top = 14, bottom = 34;
    var times = allItems.map(function (item) { return timeMs(item.effectiveAt); });
    var chosenEffective = state.balance ? timeMs(state.balance.asOf.effectiveAt) : NaN;
    var x0 = Math.min.apply(null, times), x1 = Math.max.apply(null, times);
    var span = Math.max(x1 - x0, 86400000);
    x0 -= span * 0.08; x1 += span * 0.08;
    // The one place amounts become numbers: pixel coordinates of the plot. Labels show the strings.
    var points = [];
    layers.forEach(function (layer) { layer.answer.items.forEach(function (item) { points.push(item.runningBalance); }); });
    var values = points.map(Number);
    var low = Math.min.apply(null, values.concat([0])), high = Math.max.apply(null, values.concat([0]));
    if (high === low) high = low + 1;
    var lowLabel = points[values.indexOf(low)] || '0', highLabel = points[values.indexOf(high)] || '0';
    var x = function (ms) { return left + (ms - x0) / (x1 - x0) * (W - left - right); };
    var y = function (v) { return top + (high - v) / (high - low) * (H - top - bottom); };
    plot.append(svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: H - bottom }));
    plot.append(svg('line', { class: 'axis', x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }));
    plot.append(svg('line', { class: 'zero', x1: left, y1: y(0), x2: W - right, y2: y(0) }));
    plot.append(svg('text', { x: left - 6, y: y(high) + 4, 'text-anchor': 'end' }, highLabel));
    plot.append(svg('text', { x: left - 6, y: y(low) + 4, 'text-anchor': 'end' }, lowLabel));
    if (low !== 0 && high !== 0) plot.append(svg('text', { x: left - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'));
    var first = allItems.reduce(function (a, b) { return timeMs(b.effectiveAt) < timeMs(a.effectiveAt) ? b : a; });
    var last = allItems.reduce(function (a, b) { return timeMs(b.effectiveAt) > timeMs(a.effectiveAt) ? b : a; });
    plot.append(svg('text', { x: x(timeMs(first.effectiveAt)), y: H - 12, 'text-anchor': 'middle' }, first.effectiveAt.slice(0, 16)));
    if (last !== first) plot.append(svg('text', { x: x(timeMs(last.effectiveAt)), y: H - 2, 'text-anchor': 'middle' }, last.effectiveAt.slice(0, 16)));
    if (chosenEffective >= x0 && chosenEffective <= x1) {
      plot.append(svg('line', { class: 'marker', x1: x(chosenEffective), y1: top, x2: x(chosenEffective), y2: H - bottom }));
    }
    var chosenRecorded = state.balance && state.balance.asOf.recordedAt;
    var currentIndex = -1;
    layers.forEach(function (layer, i) { if (chosenRecorded && layer.recordedAt <= chosenRecorded) currentIndex = i; });
    layers.forEach(function (layer, i) {
      var d = 'M' + x(x0).toFixed(1) + ',' + y(0).toFixed(1);
      layer.answer.items.forEach(function (item) {
        d += ' H' + x(timeMs(item.effectiveAt)).toFixed(1) + ' V' + y(Number(item.runningBalance)).toFixed(1);
      });
      d += ' H' + x(x1).toFixed(1);
      var className = 'layer c' + (i % 6) + (i === currentIndex ? ' current' : '');
      var path = svg('path', { class: className, d: d, 'data-recorded-at': layer.recordedAt });
      var closing = layer.answer.items.length ? layer.answer.items[layer.answer.items.length - 1].runningBalance : '0';
      path.append(svg('title', {}, 'As known at ' + layer.recordedAt + ': ' + closing + ' at the end'));
      plot.append(path);
      var position = layer.answer.items.reduce(function (p, item) { return Math.max(p, item.position); }, 0);
      var entry = el('li', 'c' + (i % 6) + (i === currentIndex ? ' current' : ''),
        ['as known at ' + layer.recordedAt + ' (position ' + position + '): ends at ' + closing + (i === currentIndex ? ' (chosen)' : '')]);
      legend.append(entry);
    });
  }

  // ---- reversals ----------------------------------------------------------------------------
  async function showReversals(accountId) {
    var panel = $('reversals-panel');
    var token = begin('reversals');
    setStatus(panel, 'Loading...');
    var answer = await api(ledgerPath('/reversals'), Object.assign({ limit: 200 }, recordedCoordinate()));
    if (!current('reversals', token)) return;
    var body = $('reversals');
    body.replaceChildren();
    if (answer.problem) return setStatus(panel, answer.problem, 'error');
    answer.body.items.forEach(function (item) {
      var row = el('tr', touches(item.original, accountId) ? 'touches' : '', [
        cell(item.original.id, postingsText(item.original) + ' | effective ' + item.original.effectiveAt + ', recorded ' + item.original.recordedAt),
        cell(item.reversal.id, 'position ' + item.reversal.position),
        cell(item.replacement ? item.replacement.id : 'none', item.replacement ? postingsText(item.replacement) : 'a plain reversal'),
        cell(item.reason),
        cell(item.actor),
        cell(item.recordedAt),
        cell(item.effectiveAt),
      ]);
      body.append(row);
    });
    var count = answer.body.items.length;
    setStatus(panel, count + ' reversal(s) known at position ' + answer.body.asOf.position +
      (answer.body.nextCursor ? ' (the first ' + count + ' only)' : '') + '; highlighted: those touching ' + accountId + '.');
  }

  // ---- restatements -------------------------------------------------------------------------
  async function showRestatements() {
    var panel = $('restatements-panel');
    var token = begin('restatements');
    setStatus(panel, 'Loading...');
    var answer = await api(ledgerPath('/restatements'), {
      recordedFrom: $('restate-from').value.trim(), recordedTo: $('restate-to').value.trim(), effectiveAsOf: $('restate-effective').value.trim(),
    });
    if (!current('restatements', token)) return;
    var entries = $('restated-entries');
    var accounts = $('restated-accounts');
    entries.replaceChildren();
    accounts.replaceChildren();
    if (answer.problem) return setStatus(panel, answer.problem, 'error');
    var r = answer.body;
    r.entries.forEach(function (t) {
      var links = [t.reverses ? 'reverses ' + t.reverses : '', t.corrects ? 'corrects ' + t.corrects : ''].filter(Boolean).join(', ');
      entries.append(el('tr', '', [cell(t.id, t.reason || t.description || ''), cell(links || 'none'), cell(t.position), cell(t.recordedAt), cell(t.effectiveAt), cell(postingsText(t))]));
    });
    r.accounts.forEach(function (a) {
      accounts.append(el('tr', a.before === a.after ? '' : 'changed', [cell(a.accountId), cell(a.currency), cell(a.before, '', 'amount'), cell(a.after, '', 'amount')]));
    });
    setStatus(panel, r.entries.length + ' entr' + (r.entries.length === 1 ? 'y' : 'ies') + ' recorded in (' + r.recordedFrom + ', ' + r.recordedTo +
      '] (positions ' + r.fromPosition + ' to ' + r.toPosition + ') effective at or before ' + r.effectiveAsOf + '.');
  }

  // ---- the hash chain -----------------------------------------------------------------------
  async function verifyChain() {
    var panel = $('chain-panel');
    var token = begin('chain');
    setStatus(panel, 'Verifying...');
    var answers = await Promise.all([api(ledgerPath('/verify')), api(ledgerPath('/digest')), api(ledgerPath(''))]);
    if (!current('chain', token)) return;
    var verdict = answers[0], digest = answers[1], ledger = answers[2];
    var list = $('digest');
    list.replaceChildren();
    if (verdict.problem) return setStatus(panel, verdict.problem, 'error');
    var head = ledger.body ? ledger.body.head : null;
    if (verdict.body.ok && verdict.body.checkedThrough === head) {
      setStatus(panel, 'The hash chain verifies up to the head: positions 1 to ' + head + '.', 'ok');
    } else if (verdict.body.ok) {
      setStatus(panel, 'The hash chain verifies through position ' + verdict.body.checkedThrough + '; the head is now ' + head + '.', 'ok');
    } else {
      setStatus(panel, 'The hash chain does NOT verify: first bad position ' + verdict.body.firstBadPosition +
        ' (good through ' + verdict.body.checkedThrough + ').', 'error');
    }
    if (digest.problem) return field(list, 'digest', 'Digest', digest.problem);
    field(list, 'digest.position', 'Head position', digest.body.position);
    field(list, 'digest.recordedAt', 'Recorded at', digest.body.recordedAt);
    field(list, 'digest.hash', 'Hash (keep it outside the system)', digest.body.hash);
  }

  // ---- wiring ---------------------------------------------------------------------------------
  function on(id, type, handler) {
    $(id).addEventListener(type, function (event) {
      if (type === 'submit') event.preventDefault();
      track(Promise.resolve().then(handler)).catch(function (error) {
        // A bug of the page, not an answer of the service: say so where the user looks.
        $('session-note').textContent = 'The console failed: ' + (error && error.message);
        throw error;
      });
    });
  }
  function start() {
    on('sign-in-form', 'submit', function () { signIn($('key').value.trim()); $('key').value = ''; });
    $('sign-out').addEventListener('click', function () { signOut('Signed out.'); });
    on('ledger-form', 'submit', function () { return openLedger($('ledger-id').value.trim()); });
    on('account', 'change', refresh);
    on('coordinates-form', 'submit', refresh);
    $('recorded-position').addEventListener('input', function () { $('recorded-position-value').textContent = $('recorded-position').value; });
    on('recorded-position', 'change', refresh);
    on('restatements-form', 'submit', showRestatements);
    $('restate-from-chosen').addEventListener('click', function () {
      if (state.balance && state.balance.asOf.recordedAt) $('restate-from').value = state.balance.asOf.recordedAt;
    });
    on('verify', 'click', verifyChain);
    var saved = sessionStorage.getItem(KEY_STORAGE);
    if (saved) signIn(saved);
  }
  start();
})();
`;
