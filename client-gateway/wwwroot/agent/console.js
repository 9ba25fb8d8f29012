/* ChatCluster agent console. Logs in over HTTP (POST /api/auth/login), keeps the bearer token in
 * sessionStorage (gone when the tab closes), then lives on one WebSocket (docs/protocol.md): the inbox from
 * welcome.conversations and "conversation" frames, conversations through join/resume, replies through send. */
(function () {
  'use strict';
  var SESSION = 'chatcluster.agent.session';
  var SEEN = 'chatcluster.agent.seen';

  function $(id) { return document.getElementById(id); }
  var el = {
    login: $('login'), loginForm: $('login-form'), loginError: $('login-error'), app: $('app'),
    connection: $('connection'), me: $('me'), presence: $('presence'), logout: $('logout'),
    inbox: $('inbox'), inboxCount: $('inbox-count'), team: $('team'),
    empty: $('empty'), conv: $('conv'), title: $('conv-title'), meta: $('conv-meta'), claim: $('claim'),
    close: $('close-conv'), log: $('log'), typing: $('typing'), reply: $('reply'), text: $('reply-text')
  };

  function read(store, key) { try { return JSON.parse(store.getItem(key) || 'null'); } catch (_) { return null; } }
  function write(store, key, value) { try { store.setItem(key, JSON.stringify(value)); } catch (_) { /* full or blocked */ } }

  var session = read(sessionStorage, SESSION);    // {token, tenantId, agent}
  var seen = read(sessionStorage, SEEN) || {};     // conversationId -> highest seq this agent has seen
  var me = { id: '', name: '' };
  var conversations = {};                          // id -> conversation view state
  var active = '';
  var team = {};
  var ws = null, gen = 0, attempt = 0, retryTimer = 0, pingTimer = 0, lastFrameAt = 0;
  var typingSentAt = 0, typingStopTimer = 0, typingShownTimer = 0;

  function conv(id) {
    return conversations[id] || (conversations[id] = {
      summary: { conversationId: id, status: 'open', lastSeq: 0 },
      watched: false, delivered: 0, messages: [], pending: [], visitorReadSeq: 0, typing: false
    });
  }

  // ---- login ----
  el.loginForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var form = el.loginForm.elements;
    el.loginError.textContent = '';
    var body = { tenantId: form.tenantId.value.trim(), email: form.email.value.trim(), password: form.password.value };
    if (!$('totp-row').hidden && form.totp.value.trim()) body.totp = form.totp.value.trim();
    api('POST', '/api/auth/login', body, null)
      .then(function (json) {
        session = { token: json.token, tenantId: json.tenantId, agent: json.agent };
        form.password.value = '';
        form.totp.value = '';
        $('totp-row').hidden = true;
        // The tenant requires two-step login and this agent has not set it up: the token only opens the enrolment.
        if (json.mfaEnrolmentRequired) { el.login.hidden = true; enrol(true); return; }
        write(sessionStorage, SESSION, session);
        start();
      })
      .catch(function (err) {
        if (err.code === 'totp_required' || err.code === 'invalid_totp' || err.code === 'totp_reused') {
          $('totp-row').hidden = false;
          form.totp.value = '';
          form.totp.focus();
        }
        el.loginError.textContent = err.message || 'Login failed.';
      });
  });

  el.logout.addEventListener('click', function () { logout(''); });

  /** JSON over HTTP; a problem becomes an Error with the protocol's code. */
  function api(method, path, body, token) {
    var headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (json) {
          if (r.ok) return json;
          var err = new Error(json.detail || json.title || 'Request failed (' + r.status + ').');
          err.code = json.code;
          throw err;
        });
      });
  }

  // ---- two-step login (TOTP) enrolment ----
  var enrolOnly = false;
  function enrol(required) {
    enrolOnly = required;
    $('mfa').hidden = false;
    el.app.hidden = true;
    $('mfa-error').textContent = '';
    $('mfa-cancel').hidden = required;
    $('mfa-intro').textContent = (required ? 'Your organisation requires two-step login. ' : '') +
      'Scan the QR code with an authenticator app (or enter the key by hand), then type the 6-digit code it shows.';
    api('POST', '/api/me/totp/enrol', null, session.token)
      .then(function (json) {
        $('mfa-qr').innerHTML = json.qrSvg; // drawn by our own gateway (QRCoder), not user content
        $('mfa-secret').textContent = json.secret;
        $('mfa-uri').textContent = json.otpAuthUri;
        $('mfa-form').elements.code.focus();
      })
      .catch(function (err) {
        $('mfa-error').textContent = err.code === 'conflict' ? 'Two-step login is already on for your account.' : err.message;
      });
  }
  $('mfa-open').addEventListener('click', function () { enrol(false); });
  $('mfa-cancel').addEventListener('click', function () { $('mfa').hidden = true; el.app.hidden = false; });
  $('mfa-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var code = $('mfa-form').elements.code;
    api('POST', '/api/me/totp/confirm', { code: code.value.trim() }, session.token)
      .then(function (json) {
        code.value = '';
        $('mfa').hidden = true;
        session.token = json.token;
        write(sessionStorage, SESSION, session);
        if (enrolOnly) start(); else el.app.hidden = false;
      })
      .catch(function (err) { $('mfa-error').textContent = err.message; code.focus(); });
  });

  function logout(message) {
    sessionStorage.removeItem(SESSION);
    session = null;
    clearTimeout(retryTimer);
    stopPing();
    if (ws) { var s = ws; ws = null; s.close(1000); }
    conversations = {};
    active = '';
    el.app.hidden = true;
    $('mfa').hidden = true;
    el.login.hidden = false;
    el.loginError.textContent = message;
    el.loginForm.elements.email.focus();
  }

  function start() {
    el.login.hidden = true;
    el.app.hidden = false;
    me.name = (session.agent && (session.agent.displayName || session.agent.email)) || '';
    el.me.textContent = me.name;
    connect();
  }

  // ---- socket ----
  function connect() {
    if (ws || !session) return;
    setConnection('Connecting…', false);
    var url = location.origin.replace(/^http/, 'ws') + '/ws';
    var sock;
    try { sock = new WebSocket(url, 'chatcluster.v1.json'); } catch (e) { retry(); return; }
    ws = sock;
    gen++;
    sock.onopen = function () {
      if (ws !== sock) return;
      lastFrameAt = Date.now();
      send({ type: 'hello', id: 'hello', role: 'agent', token: session.token });
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) return;
      lastFrameAt = Date.now();
      try { onFrame(JSON.parse(ev.data)); } catch (e) { console.error(e); }
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null;
      stopPing();
      retry();
    };
  }

  function retry(afterMs) {
    if (!session) return;
    var cap = Math.min(30000, 1000 * Math.pow(2, Math.min(attempt, 5)));
    var delay = afterMs != null ? afterMs : cap / 2 + Math.random() * cap / 2;
    attempt++;
    setConnection('Disconnected, reconnecting in ' + Math.round(delay / 1000) + ' s…', true);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function startPing(seconds) {
    stopPing();
    var every = Math.max(5, Math.min(25, seconds || 25)) * 1000;
    pingTimer = setInterval(function () {
      if (Date.now() - lastFrameAt > every * 2 + 5000 && ws) { var dead = ws; ws = null; dead.close(); retry(0); return; }
      send({ type: 'ping', t: Date.now() });
    }, every);
  }
  function stopPing() { clearInterval(pingTimer); }

  function setConnection(text, down) {
    el.connection.textContent = text;
    el.connection.className = 'connection' + (down ? ' down' : '');
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { if (!ws && session) { attempt = 0; connect(); } markSeen(); }
  });
  window.addEventListener('online', function () { if (!ws && session) { attempt = 0; connect(); } });

  // ---- frames ----
  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        attempt = 0;
        me.id = f.agentId;
        me.name = f.displayName || me.name;
        el.me.textContent = me.name;
        setConnection('Connected', false);
        startPing(f.heartbeatSeconds);
        (f.conversations || []).forEach(function (c) { conv(c.conversationId).summary = c; });
        // After a reconnect, pick every followed conversation up where it stopped, then resend unacked replies.
        Object.keys(conversations).forEach(function (id) {
          var c = conversations[id];
          if (c.watched) send({ type: 'resume', id: 'resume:' + id, conversationId: id, afterSeq: c.delivered });
          flush(c);
        });
        renderInbox();
        renderConversation();
        return;
      case 'conversation':
        onSummary(f.conversation);
        return;
      case 'inbox': // the latest snapshots of conversations whose messages moved, one frame per window
        (f.conversations || []).forEach(onSummary);
        return;
      case 'history':
        var h = conv(f.conversation.conversationId);
        h.watched = true;
        onSummary(f.conversation);
        (f.messages || []).forEach(function (m) { addMessage(h, m); });
        (f.readMarks || []).forEach(function (r) { onRead(h, r.reader, r.seq); });
        if (h.summary.conversationId === active) { renderConversation(); markSeen(); }
        renderInbox();
        return;
      case 'message':
        var c = conv(f.conversationId);
        addMessage(c, f);
        if (f.seq > (c.summary.lastSeq || 0)) c.summary.lastSeq = f.seq;
        if (f.sender && f.sender.kind === 'visitor') c.typing = false;
        if (f.conversationId === active) { renderConversation(); markSeen(); }
        renderInbox();
        return;
      case 'ack':
        var a = conv(f.conversationId);
        a.pending = a.pending.filter(function (p) { return p.cid !== f.clientMessageId; });
        if (el.connection.className.indexOf('down') >= 0 && ws && ws.readyState === 1) setConnection('Connected', false); // a retried send got through
        if (f.conversationId === active) renderConversation();
        return;
      case 'typing':
        if (!f.from || f.from.kind !== 'visitor') return;
        var t = conv(f.conversationId);
        t.typing = !!f.isTyping;
        if (f.conversationId === active) {
          renderTyping();
          clearTimeout(typingShownTimer);
          typingShownTimer = setTimeout(function () { t.typing = false; renderTyping(); }, 8000);
        }
        renderInbox();
        return;
      case 'read':
        var r = conv(f.conversationId);
        onRead(r, f.reader, f.seq);
        if (f.conversationId === active) renderConversation();
        return;
      case 'presence':
        if (f.scope !== 'agent') return;
        team[f.subjectId] = { name: f.displayName || f.subjectId, status: f.status };
        if (f.subjectId === me.id && f.status !== 'offline') el.presence.value = f.status;
        renderTeam();
        return;
      case 'reconnect':
        if (ws) { var old = ws; ws = null; old.close(); }
        retry(f.afterMs || 0);
        return;
      case 'error':
        onError(f);
        return;
    }
  }

  function onError(f) {
    if (f.code === 'invalid_token' || f.code === 'session_revoked' || f.code === 'not_authenticated') { logout('Your session ended: ' + f.message); return; }
    var id = String(f.id || '');
    if (id.indexOf('send:') === 0 && f.code !== 'unavailable' && f.code !== 'rate_limited') {
      var parts = id.split(':');
      var c = conversations[parts[1]];
      if (c) {
        c.pending.forEach(function (p) { if (p.cid === parts[2]) p.error = f.message; });
        renderConversation();
      }
      return;
    }
    if (id.indexOf('send:') === 0) {
      // unavailable or rate_limited: nothing was stored; send it again, same clientMessageId, after the hinted wait.
      var retryParts = id.split(':');
      var rc = conversations[retryParts[1]];
      if (rc) {
        rc.pending.forEach(function (p) { if (p.cid === retryParts[2]) p.sentOn = 0; });
        setTimeout(function () { if (ws && ws.readyState === 1) flush(rc); }, f.retryAfterMs || 1000);
      }
    }
    setConnection(f.message, true);
  }

  function onSummary(s) {
    if (!s) return;
    var c = conv(s.conversationId);
    c.summary = s;
    if (s.status === 'closed') c.typing = false;
    renderInbox();
    if (s.conversationId === active) renderHeader();
  }

  function addMessage(c, m) {
    if (m.seq <= c.delivered) return; // the server sends each message once per socket; this guards replays
    c.messages.push(m);
    c.delivered = m.seq;
    c.pending = c.pending.filter(function (p) { return p.cid !== m.clientMessageId; });
  }

  function onRead(c, reader, seq) {
    if (reader && reader.kind === 'visitor' && seq > c.visitorReadSeq) c.visitorReadSeq = seq;
  }

  // ---- opening, replying, closing ----
  function open(id) {
    active = id;
    var c = conv(id);
    var s = c.summary;
    if (!c.watched) {
      // Open conversations are claimed by opening them; someone else's or a closed one is only looked at.
      var claim = s.status === 'open' || (s.status === 'assigned' && s.assignedAgentId === me.id);
      send(claim ? { type: 'join', id: 'join:' + id, conversationId: id, afterSeq: 0 }
                 : { type: 'resume', id: 'resume:' + id, conversationId: id, afterSeq: 0 });
    }
    renderInbox();
    renderConversation();
    loadVisitor(id);
    el.text.focus();
  }

  // ---- visitor panel (coarse details; each read is audited by the gateway) ----
  function loadVisitor(id) {
    var dl = $('visitor-details');
    dl.textContent = '';
    $('insights').textContent = '';
    api('GET', '/api/conversations/' + encodeURIComponent(id) + '/visitor', null, session.token)
      .then(function (v) {
        if (active !== id) return;
        [['Name', v.name], ['Email', v.email], ['Network', v.ipNetwork], ['Page', v.pageUrl], ['Browser', v.browser]]
          .forEach(function (pair) {
            var dt = document.createElement('dt'); dt.textContent = pair[0];
            var dd = document.createElement('dd'); dd.textContent = pair[1] || '—';
            dl.appendChild(dt); dl.appendChild(dd);
          });
      })
      .catch(function (err) { if (active === id) dl.textContent = err.message; });
  }

  // ---- AI insights (A2): asked for on demand, never sent automatically ----
  $('insights-load').addEventListener('click', function () {
    var id = active, box = $('insights');
    if (!id) return;
    box.textContent = 'Analysing…';
    api('GET', '/api/conversations/' + encodeURIComponent(id) + '/insights', null, session.token)
      .then(function (a) {
        if (active !== id) return;
        box.textContent = '';
        if (a.status !== 'ok') { box.textContent = a.message || a.status; return; }
        var dl = document.createElement('dl');
        [['Sentiment', a.sentiment + (a.score != null ? ' (' + a.score.toFixed(2) + ')' : '')], ['Summary', a.summary],
         ['Provider', a.provider + ' · ' + a.redactions + ' masked']].forEach(function (pair) {
          var dt = document.createElement('dt'); dt.textContent = pair[0];
          var dd = document.createElement('dd'); dd.textContent = pair[1] || '—';
          dl.appendChild(dt); dl.appendChild(dd);
        });
        box.appendChild(dl);
      })
      .catch(function (err) { if (active === id) box.textContent = err.message; });
  });

  // ---- transfer to another agent (T3) ----
  $('transfer').addEventListener('submit', function (e) {
    e.preventDefault();
    var to = $('transfer-to').value;
    if (active && to) send({ type: 'transfer', id: 'transfer:' + active, conversationId: active, toAgentId: to });
  });
  function renderTransfer() {
    var select = $('transfer-to'), c = conv(active), s = c.summary;
    var current = select.value;
    select.textContent = '';
    Object.keys(team).forEach(function (id) {
      if (id === s.assignedAgentId) return;
      var o = document.createElement('option');
      o.value = id;
      o.textContent = team[id].name + (id === me.id ? ' (you)' : '') + ' · ' + team[id].status;
      select.appendChild(o);
    });
    if (current) select.value = current;
    $('transfer').hidden = s.status === 'closed' || !select.options.length;
  }

  function flush(c) {
    c.pending.forEach(function (p) {
      if (p.sentOn === gen) return;
      if (send({ type: 'send', id: 'send:' + c.summary.conversationId + ':' + p.cid, conversationId: c.summary.conversationId, clientMessageId: p.cid, text: p.text })) p.sentOn = gen;
    });
  }

  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  el.reply.addEventListener('submit', function (e) { e.preventDefault(); reply(); });
  el.text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); reply(); }
  });
  el.text.addEventListener('input', function () {
    if (!active) return;
    var now = Date.now();
    if (now - typingSentAt > 3000) { typingSentAt = now; send({ type: 'typing', conversationId: active, isTyping: true }); }
    clearTimeout(typingStopTimer);
    typingStopTimer = setTimeout(stopTyping, 4000);
  });
  el.text.addEventListener('blur', stopTyping);

  function stopTyping() {
    clearTimeout(typingStopTimer);
    if (!typingSentAt || !active) return;
    typingSentAt = 0;
    send({ type: 'typing', conversationId: active, isTyping: false });
  }

  function reply() {
    var text = el.text.value.trim();
    if (!text || !active) return;
    var c = conv(active);
    c.pending.push({ cid: newId(), text: text, at: Date.now(), sentOn: 0 });
    el.text.value = '';
    stopTyping();
    flush(c);
    renderConversation();
  }

  el.close.addEventListener('click', function () {
    if (active) send({ type: 'close', id: 'close:' + active, conversationId: active });
  });
  el.claim.addEventListener('click', function () {
    if (active) send({ type: 'join', id: 'join:' + active, conversationId: active, afterSeq: conv(active).delivered });
  });
  el.presence.addEventListener('change', function () { send({ type: 'presence', status: el.presence.value }); });
  el.log.addEventListener('scroll', markSeen);

  function markSeen() {
    if (!active || document.visibilityState === 'hidden') return;
    var c = conv(active);
    if (c.delivered > (seen[active] || 0)) {
      seen[active] = c.delivered;
      write(sessionStorage, SEEN, seen);
      renderInbox();
    }
    // Tell the visitor how far we have read (the grain ignores marks that don't move forward).
    var lastVisitor = 0;
    c.messages.forEach(function (m) { if (m.sender.kind === 'visitor') lastVisitor = m.seq; });
    if (lastVisitor > (c.myReadSeq || 0)) {
      c.myReadSeq = lastVisitor;
      send({ type: 'read', conversationId: active, seq: lastVisitor });
    }
  }

  // ---- rendering ----
  function visitorLabel(s) { return s.visitorName || 'Visitor ' + String(s.visitorId || '').slice(0, 6); }
  function time(ms) { try { return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); } catch (_) { return ''; } }
  function statusText(s) {
    if (s.status === 'closed') return 'Closed';
    if (s.status === 'open') return 'Waiting for an agent';
    if (s.assignedAgentId === me.id) return 'Assigned to you';
    return 'Assigned to ' + ((team[s.assignedAgentId] && team[s.assignedAgentId].name) || 'another agent');
  }

  function renderInbox() {
    var list = Object.keys(conversations).map(function (id) { return conversations[id]; });
    list.sort(function (a, b) {
      var ca = a.summary.status === 'closed', cb = b.summary.status === 'closed';
      if (ca !== cb) return ca ? 1 : -1;
      return (b.summary.lastActivityAt || 0) - (a.summary.lastActivityAt || 0);
    });
    el.inbox.textContent = '';
    var live = 0;
    list.forEach(function (c) {
      var s = c.summary;
      if (s.status !== 'closed') live++;
      var li = document.createElement('li');
      li.className = s.status;
      li.setAttribute('data-conversation-id', s.conversationId);
      var b = document.createElement('button');
      b.type = 'button';
      if (s.conversationId === active) b.setAttribute('aria-current', 'true');
      var unread = Math.max(0, (s.lastSeq || 0) - (seen[s.conversationId] || 0));
      var name = span('name', visitorLabel(s));
      var badge = span('badge', unread ? String(unread) : '');
      badge.setAttribute('data-unread', String(unread));
      var status = span('status', c.typing ? 'typing…' : statusText(s));
      b.appendChild(name);
      b.appendChild(badge);
      b.appendChild(status);
      b.setAttribute('aria-label', visitorLabel(s) + ', ' + statusText(s) + (unread ? ', ' + unread + ' unread' : ''));
      b.addEventListener('click', function () { open(s.conversationId); });
      li.appendChild(b);
      el.inbox.appendChild(li);
    });
    el.inboxCount.textContent = '(' + live + ')';
  }

  function span(cls, text) { var s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }

  function renderTeam() {
    el.team.textContent = '';
    Object.keys(team).forEach(function (id) {
      var li = document.createElement('li');
      li.setAttribute('data-status', team[id].status);
      // "unknown": the gateways cannot hear each other (Redis is down), so the last status may be stale.
      li.textContent = team[id].name + (id === me.id ? ' (you)' : '') + ': ' + (team[id].status === 'unknown' ? 'status unknown' : team[id].status);
      el.team.appendChild(li);
    });
  }

  function renderHeader() {
    var c = conv(active), s = c.summary;
    el.title.textContent = visitorLabel(s);
    el.meta.textContent = statusText(s) + ' · started ' + time(s.startedAt) + ' · id ' + s.conversationId;
    el.close.hidden = s.status === 'closed';
    el.claim.hidden = !(s.status === 'assigned' && s.assignedAgentId !== me.id);
    el.reply.hidden = s.status === 'closed';
    renderTransfer();
  }

  function renderTyping() {
    var c = active && conv(active);
    el.typing.textContent = c && c.typing ? visitorLabel(c.summary) + ' is typing…' : '';
  }

  function renderConversation() {
    el.empty.hidden = !!active;
    el.conv.hidden = !active;
    if (!active) return;
    var c = conv(active);
    renderHeader();
    renderTyping();
    var atBottom = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight < 40;
    el.log.textContent = '';
    c.messages.forEach(function (m) {
      var mine = m.sender.kind === 'agent';
      var state = mine ? (m.seq <= c.visitorReadSeq ? 'read' : 'sent') : '';
      el.log.appendChild(row(mine, m.sender.name || (mine ? 'Agent' : visitorLabel(c.summary)), m.text, m.sentAt, state, m.seq));
    });
    c.pending.forEach(function (p) {
      el.log.appendChild(row(true, me.name, p.text, p.at, p.error ? 'failed' : 'sending', 0, p.error));
    });
    if (atBottom || c.pending.length) el.log.scrollTop = el.log.scrollHeight;
  }

  function row(mine, who, text, at, state, seq, error) {
    var li = document.createElement('li');
    li.className = 'msg ' + (mine ? 'mine' : 'theirs');
    if (seq) li.setAttribute('data-seq', String(seq));
    if (state) li.setAttribute('data-state', state);
    li.appendChild(span('who', who + ' · ' + time(at)));
    var p = document.createElement('p');
    p.className = 'text';
    p.textContent = text;
    li.appendChild(p);
    if (state) li.appendChild(span('state', error ? 'Not sent: ' + error : state === 'read' ? 'Read' : state === 'sent' ? 'Sent' : 'Sending…'));
    return li;
  }

  // ---- start ----
  if (session && session.token) start();
  else { el.login.hidden = false; el.loginForm.elements.email.focus(); }
})();
