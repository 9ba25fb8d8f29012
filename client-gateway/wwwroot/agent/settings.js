/* ChatCluster integrations settings (I2, I4) for admins and owners: webhook endpoints with their delivery log, and
 * tenant API keys. Uses /api/settings/webhooks and /api/settings/api-keys with the console's bearer token; a secret is
 * in the creation answer only, so it is shown once here and never fetched again. */
(function () {
  'use strict';
  var SESSION = 'chatcluster.agent.session';
  var EVENTS = [
    ['conversation.started', 'Conversation started'], ['message.created', 'Message created'],
    ['conversation.assigned', 'Conversation assigned'], ['conversation.closed', 'Conversation closed'],
    ['conversation.rated', 'Rating given'], ['visitor.erased', 'Visitor erased']
  ];
  var SCOPES = [
    ['conversations:read', 'Read conversations'], ['conversations:write', 'Close and assign conversations'],
    ['messages:send', 'Send messages as a bot or agent'], ['webhooks:manage', 'Manage webhooks'], ['reports:read', 'Read reports']
  ];
  var section = document.getElementById('settings');
  var toggle = document.getElementById('settings-toggle');
  var hookForm = document.getElementById('webhook-form');
  var keyForm = document.getElementById('apikey-form');
  var shown = { hooks: '', keys: '' };   // last rendered JSON, so a poll that changed nothing leaves the page alone
  var logs = {};                          // webhookId -> {open, json} for the delivery logs being looked at
  var pollTimer = 0;

  function session() { try { return JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch (_) { return null; } }
  function isAdmin(s) { var r = s && s.agent && String(s.agent.role || '').toLowerCase(); return r === 'admin' || r === 'owner'; }
  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function when(iso) { try { return new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' }); } catch (_) { return String(iso); } }
  function label(pairs, value) { for (var i = 0; i < pairs.length; i++) if (pairs[i][0] === value) return pairs[i][1]; return value; }

  /** A problem-details answer in words: its detail (or title), any field errors, and the status when nothing else is said. */
  function problemText(status, p) {
    var text = (p && (p.detail || p.title)) || ('The request failed (HTTP ' + status + ').');
    if (p && p.errors && typeof p.errors === 'object') {
      Object.keys(p.errors).forEach(function (field) {
        [].concat(p.errors[field]).forEach(function (m) { text += ' ' + (field ? field + ': ' : '') + m; });
      });
    }
    if (status === 403 && p && p.code === 'forbidden') text = 'Only admins and owners can change integrations. ' + (p.detail || '');
    return text.trim();
  }

  function call(method, path, body) {
    var sess = session();
    var headers = { Authorization: 'Bearer ' + (sess && sess.token) };
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().catch(function () { return null; }).then(function (json) {
        if (r.ok) return json;
        var err = new Error(problemText(r.status, json));
        err.status = r.status;
        err.code = json && json.code;
        throw err;
      });
    }, function () { throw new Error('The gateway did not answer; check the connection and try again.'); });
  }

  // Shown only to admins and owners; checked again whenever the session may have changed (login, logout).
  function refreshToggle() { toggle.hidden = !isAdmin(session()); if (toggle.hidden && !section.hidden) show(false); }
  setInterval(refreshToggle, 1000);
  refreshToggle();

  function show(on) {
    section.hidden = !on;
    $('app').classList.toggle('configuring', on);
    toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    toggle.textContent = on ? 'Back to inbox' : 'Integrations';
    clearInterval(pollTimer);
    if (!on) return;
    document.dispatchEvent(new CustomEvent('chatcluster:view', { detail: 'settings' }));
    shown = { hooks: '', keys: '' };
    loadHooks(); loadKeys();
    // Deliveries and automatic disabling happen in the background: keep the lists current while they are on screen.
    pollTimer = setInterval(function () { loadHooks(); Object.keys(logs).forEach(loadLog); }, 2000);
    $('settings-title').focus();
  }
  toggle.addEventListener('click', function () { show(section.hidden); });
  document.addEventListener('chatcluster:view', function (e) { if (e.detail !== 'settings' && !section.hidden) show(false); });

  function checks(host, name, pairs) {
    pairs.forEach(function (p) {
      var l = h('label', { 'class': 'check' });
      l.appendChild(h('input', { type: 'checkbox', name: name, value: p[0] }));
      l.appendChild(document.createTextNode(' ' + p[1] + ' '));
      l.appendChild(h('code', {}, p[0]));
      host.appendChild(l);
    });
  }
  checks($('webhook-events'), 'events', EVENTS);
  checks($('apikey-scopes'), 'scopes', SCOPES);
  function checked(form, name) {
    return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
  }

  /** Shows a secret once, with a copy button; the answer that carried it is not kept anywhere else. */
  function once(host, intro, secret) {
    host.textContent = '';
    host.appendChild(h('p', {}, intro));
    var code = h('code', { 'class': 'secret' }, secret);
    host.appendChild(code);
    var copy = h('button', { type: 'button', 'class': 'quiet' }, 'Copy');
    copy.addEventListener('click', function () {
      var done = function () { copy.textContent = 'Copied'; };
      try { navigator.clipboard.writeText(secret).then(done, function () { copy.textContent = 'Select and copy it by hand'; }); }
      catch (_) { copy.textContent = 'Select and copy it by hand'; }
    });
    host.appendChild(copy);
    var hide = h('button', { type: 'button', 'class': 'quiet' }, 'I have stored it');
    hide.addEventListener('click', function () { host.hidden = true; host.textContent = ''; });
    host.appendChild(hide);
    host.hidden = false;
  }

  /** A destructive button that asks once more on the same spot instead of a dialog; the question survives a re-render. */
  var armedUntil = {};
  function confirmButton(key, text, again, action) {
    var b = h('button', { type: 'button', 'class': 'danger' }, text);
    var timer = 0;
    function look(armed) { b.textContent = armed ? again : text; b.classList.toggle('armed', armed); }
    function arm(ms) {
      look(true);
      timer = setTimeout(function () { delete armedUntil[key]; look(false); }, ms);
    }
    if ((armedUntil[key] || 0) > Date.now()) arm(armedUntil[key] - Date.now());
    b.addEventListener('click', function () {
      if (!((armedUntil[key] || 0) > Date.now())) { armedUntil[key] = Date.now() + 5000; arm(5000); return; }
      clearTimeout(timer);
      delete armedUntil[key];
      b.disabled = true;
      action();
    });
    return b;
  }

  // ---- webhooks ----
  hookForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var f = hookForm.elements;
    var body = { url: f.url.value.trim(), events: checked(hookForm, 'events'), includePersonalData: f.personal.checked };
    if (f.secret.value) body.secret = f.secret.value;
    $('webhook-error').textContent = '';
    call('POST', '/api/settings/webhooks', body).then(function (created) {
      hookForm.reset();
      once($('webhook-created'), 'Signing secret for ' + created.webhook.url + '. Copy it now: it is not shown again.', created.secret);
      loadHooks();
    }).catch(function (err) { $('webhook-error').textContent = err.message; });
  });

  function loadHooks() {
    return call('GET', '/api/settings/webhooks').then(function (list) {
      var json = JSON.stringify(list);
      if (json === shown.hooks) return;
      shown.hooks = json;
      renderHooks(list);
    }).catch(function (err) { $('webhook-error').textContent = err.message; });
  }

  function renderHooks(list) {
    var ul = $('webhooks');
    ul.textContent = '';
    if (!list.length) ul.appendChild(h('li', { 'class': 'none' }, 'No webhook endpoints yet.'));
    list.forEach(function (w) {
      var li = h('li', { 'class': 'endpoint' + (w.enabled ? '' : ' off'), 'data-webhook-id': w.webhookId });
      var head = h('div', { 'class': 'endpoint-head' });
      head.appendChild(h('code', { 'class': 'url' }, w.url));
      head.appendChild(h('span', { 'class': 'state', 'data-enabled': String(w.enabled) }, w.enabled ? 'Enabled' : 'Disabled'));
      li.appendChild(head);
      li.appendChild(h('p', { 'class': 'meta' }, 'Events: ' + w.events.map(function (t) { return label(EVENTS, t); }).join(', ') +
        ' · personal data ' + (w.includePersonalData ? 'included' : 'left out') + ' · ' + w.pending + ' queued · ' +
        w.consecutiveFailures + ' failed in a row · added ' + when(w.createdAt)));
      if (!w.enabled) li.appendChild(h('p', { 'class': 'reason' }, (w.disabledAt ? 'Since ' + when(w.disabledAt) + '. ' : '') + 'Why: ' + (w.disabledReason || 'no reason was recorded.')));
      var actions = h('div', { 'class': 'actions' });
      var open = !!(logs[w.webhookId] && logs[w.webhookId].open);
      var logButton = h('button', { type: 'button', 'class': 'quiet', 'aria-expanded': String(open), 'aria-controls': 'log-' + w.webhookId }, open ? 'Hide deliveries' : 'Deliveries');
      logButton.addEventListener('click', function () {
        if (logs[w.webhookId]) { delete logs[w.webhookId]; } else { logs[w.webhookId] = { open: true, json: '' }; loadLog(w.webhookId); }
        shown.hooks = '';
        loadHooks();
      });
      actions.appendChild(logButton);
      var flip = h('button', { type: 'button', 'class': 'quiet' }, w.enabled ? 'Disable' : 'Enable');
      flip.addEventListener('click', function () {
        flip.disabled = true;
        call('PATCH', '/api/settings/webhooks/' + encodeURIComponent(w.webhookId), { enabled: !w.enabled })
          .then(loadHooks, function (err) { $('webhook-error').textContent = err.message; flip.disabled = false; });
      });
      actions.appendChild(flip);
      actions.appendChild(confirmButton('delete:' + w.webhookId, 'Delete', 'Click again to delete', function () {
        call('DELETE', '/api/settings/webhooks/' + encodeURIComponent(w.webhookId)).then(function () {
          delete logs[w.webhookId];
          loadHooks();
        }, function (err) { $('webhook-error').textContent = err.message; loadHooks(); });
      }));
      li.appendChild(actions);
      var box = h('div', { 'class': 'deliveries', id: 'log-' + w.webhookId });
      box.hidden = !open;
      li.appendChild(box);
      ul.appendChild(li);
      if (open && logs[w.webhookId].list) renderLog(w.webhookId, logs[w.webhookId].list);
    });
  }

  function loadLog(webhookId) {
    call('GET', '/api/settings/webhooks/' + encodeURIComponent(webhookId) + '/deliveries').then(function (list) {
      var state = logs[webhookId];
      if (!state) return;
      var json = JSON.stringify(list);
      if (json === state.json && $('log-' + webhookId) && $('log-' + webhookId).childNodes.length) return;
      state.json = json;
      state.list = list;
      renderLog(webhookId, list);
    }).catch(function (err) {
      var box = $('log-' + webhookId);
      if (box) box.textContent = err.message;
    });
  }

  function renderLog(webhookId, list) {
    var box = $('log-' + webhookId);
    if (!box) return;
    box.textContent = '';
    box.appendChild(h('h4', {}, 'Recent deliveries'));
    if (!list.length) { box.appendChild(h('p', { 'class': 'meta' }, 'No deliveries yet: they appear here as events happen.')); return; }
    var table = h('table', {});
    var head = h('tr', {});
    ['Time', 'Event', 'Attempt', 'Status', 'Outcome', 'Error', 'Took'].forEach(function (c) { head.appendChild(h('th', { scope: 'col' }, c)); });
    table.appendChild(head);
    list.forEach(function (d) {
      var tr = h('tr', { 'data-outcome': d.outcome, 'data-delivery-id': d.deliveryId });
      tr.appendChild(h('td', {}, when(d.at)));
      tr.appendChild(h('td', {}, d.eventType));
      tr.appendChild(h('td', {}, String(d.attempt)));
      tr.appendChild(h('td', { 'class': 'status-code' }, d.statusCode == null ? 'no answer' : String(d.statusCode)));
      tr.appendChild(h('td', { 'class': 'outcome' }, d.outcome));
      tr.appendChild(h('td', {}, d.error || ''));
      tr.appendChild(h('td', {}, d.durationMs + ' ms'));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  // ---- API keys ----
  keyForm.addEventListener('submit', function (e) {
    e.preventDefault();
    $('apikey-error').textContent = '';
    call('POST', '/api/settings/api-keys', { name: keyForm.elements.name.value.trim(), scopes: checked(keyForm, 'scopes') }).then(function (created) {
      keyForm.reset();
      once($('apikey-created'), 'API key "' + created.key.name + '". Copy it now: it is not shown again, only its hash is kept.', created.secret);
      loadKeys();
    }).catch(function (err) { $('apikey-error').textContent = err.message; });
  });

  function loadKeys() {
    return call('GET', '/api/settings/api-keys').then(function (list) {
      var json = JSON.stringify(list);
      if (json === shown.keys) return;
      shown.keys = json;
      renderKeys(list);
    }).catch(function (err) { $('apikey-error').textContent = err.message; });
  }

  function renderKeys(list) {
    var ul = $('apikeys');
    ul.textContent = '';
    if (!list.length) ul.appendChild(h('li', { 'class': 'none' }, 'No API keys yet.'));
    list.forEach(function (k) {
      var li = h('li', { 'class': 'endpoint' + (k.revokedAt ? ' off' : ''), 'data-key-id': k.keyId });
      var head = h('div', { 'class': 'endpoint-head' });
      head.appendChild(h('strong', { 'class': 'name' }, k.name));
      head.appendChild(h('code', {}, k.keyId));
      head.appendChild(h('span', { 'class': 'state', 'data-revoked': String(!!k.revokedAt) }, k.revokedAt ? 'Revoked ' + when(k.revokedAt) : 'Active'));
      li.appendChild(head);
      li.appendChild(h('p', { 'class': 'meta' }, 'Scopes: ' + k.scopes.join(', ') + ' · made ' + when(k.createdAt) + ' by ' + k.createdBy));
      if (!k.revokedAt) {
        var actions = h('div', { 'class': 'actions' });
        actions.appendChild(confirmButton('revoke:' + k.keyId, 'Revoke', 'Click again to revoke', function () {
          call('DELETE', '/api/settings/api-keys/' + encodeURIComponent(k.keyId)).then(loadKeys, function (err) { $('apikey-error').textContent = err.message; loadKeys(); });
        }));
        li.appendChild(actions);
      }
      ul.appendChild(li);
    });
  }
})();
