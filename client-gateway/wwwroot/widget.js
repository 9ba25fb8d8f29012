/* ChatCluster website widget (docs/widget.md). One tag embeds it:
 *   <script src="https://GATEWAY/widget.js" data-site-key="KEY" async></script>
 * Vanilla JS, no framework. It lives in a shadow DOM so the host page's CSS can't reach it, never sets a
 * cookie (W2: its state is in localStorage under "chatcluster.<siteKey>."), and catches its own errors so
 * it can never break the host page. Protocol: docs/protocol.md (JSON frames, subprotocol chatcluster.v1.json). */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[data-site-key][src*="widget.js"]');
  if (!script) return;
  var siteKey = script.getAttribute('data-site-key') || '';
  var HOST_ID = 'chatcluster-widget';
  if (!siteKey || document.getElementById(HOST_ID)) return; // no key, or embedded twice

  // Host page's own code must never see our errors: every entry point goes through guard().
  function guard(fn) {
    return function () {
      try { return fn.apply(this, arguments); } catch (e) { report(e); }
    };
  }
  function report(e) { try { console.warn('[chatcluster]', e); } catch (_) { /* no console */ } }

  var TEXT = {
    en: {
      open: 'Open chat', close: 'Close chat', title: 'Chat with us',
      online: "We're online", offline: 'Leave a message', away: 'Back soon: leave a message', unknown: 'Team status unknown: write to us anyway',
      connecting: 'Connecting…', unavailable: 'Chat unavailable, retrying…',
      notAllowed: 'Chat is not available on this website.', badKey: 'Chat is not set up correctly on this website.',
      intro: 'Introduce yourself (optional)', name: 'Name', email: 'Email',
      notice: 'Your email is used only to send you a transcript of this chat.', privacy: 'Privacy',
      placeholder: 'Write a message…', send: 'Send', sending: 'Sending…', sent: 'Sent', read: 'Read',
      typing: '{name} is typing…', agent: 'Agent', you: 'You', ended: 'This chat has ended.',
      again: 'Start a new chat', messages: 'Messages', theme: 'Switch theme', language: 'Deutsch',
      langCode: 'DE', tooLong: 'This message is too long.', failed: 'Not sent: ', unread: 'new message',
      empty: 'Ask us anything. A member of the team will answer here.',
      rate: 'How was this chat?', star: '{n} of 5 stars', comment: 'Comment (optional)', rateSend: 'Send rating',
      thanks: 'Thank you for your feedback.', pickScore: 'Choose from 1 to 5 stars.',
      tConfirm: 'We mailed you a code. Enter it to receive the transcript:', tCode: 'Code', tSend: 'Confirm',
      tPending: 'The transcript will be mailed to you when the chat ends.', tSent: 'The transcript was mailed to you.',
      tLimited: 'No transcript will be sent for this chat.'
    },
    de: {
      open: 'Chat öffnen', close: 'Chat schließen', title: 'Chatten Sie mit uns',
      online: 'Wir sind online', offline: 'Hinterlassen Sie eine Nachricht', away: 'Gleich zurück: schreiben Sie uns', unknown: 'Teamstatus unbekannt: schreiben Sie uns trotzdem',
      connecting: 'Verbinde…', unavailable: 'Chat nicht erreichbar, neuer Versuch…',
      notAllowed: 'Der Chat ist auf dieser Website nicht verfügbar.', badKey: 'Der Chat ist auf dieser Website falsch eingerichtet.',
      intro: 'Stellen Sie sich vor (freiwillig)', name: 'Name', email: 'E-Mail',
      notice: 'Ihre E-Mail-Adresse dient nur dazu, Ihnen das Gesprächsprotokoll zu senden.', privacy: 'Datenschutz',
      placeholder: 'Nachricht schreiben…', send: 'Senden', sending: 'Wird gesendet…', sent: 'Gesendet', read: 'Gelesen',
      typing: '{name} schreibt…', agent: 'Mitarbeiter', you: 'Sie', ended: 'Dieser Chat ist beendet.',
      again: 'Neuen Chat beginnen', messages: 'Nachrichten', theme: 'Farbschema wechseln', language: 'English',
      langCode: 'EN', tooLong: 'Diese Nachricht ist zu lang.', failed: 'Nicht gesendet: ', unread: 'neue Nachricht',
      empty: 'Fragen Sie uns. Jemand aus dem Team antwortet hier.',
      rate: 'Wie war dieser Chat?', star: '{n} von 5 Sternen', comment: 'Kommentar (freiwillig)', rateSend: 'Bewertung senden',
      thanks: 'Danke für Ihre Rückmeldung.', pickScore: 'Wählen Sie 1 bis 5 Sterne.',
      tConfirm: 'Wir haben Ihnen einen Code gesendet. Geben Sie ihn ein, um das Protokoll zu erhalten:', tCode: 'Code', tSend: 'Bestätigen',
      tPending: 'Das Protokoll wird Ihnen nach dem Chat gesendet.', tSent: 'Das Protokoll wurde Ihnen gesendet.',
      tLimited: 'Für diesen Chat wird kein Protokoll gesendet.'
    }
  };

  // ---- storage: localStorage only, namespaced by site key; a blocked storage degrades to memory ----
  var PREFIX = 'chatcluster.' + siteKey + '.';
  var memory = {};
  var store = {
    get: function (k) {
      try { var v = window.localStorage.getItem(PREFIX + k); return v === null ? undefined : v; } catch (_) { return memory[k]; }
    },
    set: function (k, v) {
      if (v === undefined || v === null) { this.del(k); return; }
      memory[k] = String(v);
      try { window.localStorage.setItem(PREFIX + k, String(v)); } catch (_) { /* private mode: memory only */ }
    },
    del: function (k) {
      delete memory[k];
      try { window.localStorage.removeItem(PREFIX + k); } catch (_) { /* ignore */ }
    },
    json: function (k, fallback) {
      try { var v = this.get(k); return v ? JSON.parse(v) : fallback; } catch (_) { return fallback; }
    }
  };

  var gateway = script.getAttribute('data-gateway') || new URL(script.src, location.href).origin;
  var socketUrl = gateway.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws';
  var privacyUrl = script.getAttribute('data-privacy-url');
  var askContact = script.getAttribute('data-prechat') !== 'off';
  // A signed-in user the site vouches for (I3, docs/integrations.md); without a valid signature the chat stays anonymous.
  var identity = script.getAttribute('data-user-id') && script.getAttribute('data-user-signature') ? {
    userId: script.getAttribute('data-user-id'), signature: script.getAttribute('data-user-signature'),
    name: script.getAttribute('data-user-name') || undefined, email: script.getAttribute('data-user-email') || undefined
  } : undefined;

  function pickLang() {
    var wanted = [store.get('lang'), script.getAttribute('data-lang')].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || '').slice(0, 2).toLowerCase();
      if (TEXT[code]) return code;
    }
    return 'en';
  }
  var lang = pickLang();
  function t(key, vars) {
    var s = (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key;
    return s.replace(/\{(\w+)\}/g, function (_, name) { return vars && vars[name] != null ? vars[name] : ''; });
  }

  // ---- state ----
  var state = {
    phase: 'idle',          // idle | connecting | ready | down | refused
    refusal: '',            // text shown when the gateway refused us for good
    conversationId: store.get('conversationId'),
    status: 'open',         // of the current conversation
    lastSeq: 0,             // highest seq shown on this page: a reload shows nothing yet, so resumes from 0
    seenSeq: Number(store.get('lastSeq') || 0), // highest seq the visitor has seen, across reloads
    readSeq: 0,             // highest seq we told the server we read
    agentReadSeq: 0,        // highest seq an agent read
    team: 'offline',
    pending: store.json('outbox', []),  // own messages not yet acknowledged: {cid, text, at}
    starting: false,
    transcript: '',         // of the current conversation: pending | awaiting_confirmation | sent | limited | failed
    hint: ''                // a one-off problem to show (e.g. the server refused the email address)
  };
  var rows = {};            // clientMessageId -> row element, for own messages
  var bySeq = {};           // seq -> row element
  var ws = null, gen = 0, attempt = 0, retryTimer = 0, flushTimer = 0, pingTimer = 0, lastFrameAt = 0;
  var inflight = {};        // clientMessageId -> connection generation it was last sent on
  var typingSentAt = 0, typingStopTimer = 0, typingShownTimer = 0;

  // ---- DOM ----
  var host = document.createElement('div');
  host.id = HOST_ID;
  host.setAttribute('data-site-key', siteKey);
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  root.innerHTML =
    '<style>' + CSS() + '</style>' +
    '<div class="cc" part="widget">' +
    '<section class="panel" role="dialog" aria-modal="false" hidden>' +
    '<header><div class="who"><h2 class="title"></h2><p class="presence" role="status"></p></div>' +
    '<button type="button" class="icon lang"></button>' +
    '<button type="button" class="icon theme">◐</button>' +
    '<button type="button" class="icon close">✕</button></header>' +
    '<p class="notice" role="alert" hidden></p>' +
    '<ol class="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0"></ol>' +
    '<p class="typing" aria-live="polite"></p>' +
    // The transcript address may need the code mailed to it (issue 15); the outcome is said in one line.
    '<form class="tconfirm" hidden><label><span class="l-tconfirm"></span> <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" size="7">' +
    '</label> <button type="submit" class="t-send"></button><span class="t-msg" role="status" aria-live="polite"></span></form>' +
    '<p class="tnote" role="status" hidden></p>' +
    '<div class="ended" hidden><p></p>' +
    // Rating at close (1–5 stars, optional comment): native radios keep it keyboard operable and announced.
    '<form class="rate"><fieldset><legend class="l-rate"></legend><div class="stars">' +
    '<label><input type="radio" name="score" value="1"><span aria-hidden="true">★</span><span class="sr s-1"></span></label>' +
    '<label><input type="radio" name="score" value="2"><span aria-hidden="true">★</span><span class="sr s-2"></span></label>' +
    '<label><input type="radio" name="score" value="3"><span aria-hidden="true">★</span><span class="sr s-3"></span></label>' +
    '<label><input type="radio" name="score" value="4"><span aria-hidden="true">★</span><span class="sr s-4"></span></label>' +
    '<label><input type="radio" name="score" value="5"><span aria-hidden="true">★</span><span class="sr s-5"></span></label>' +
    '</div><label class="c-wrap"><span class="l-comment"></span><input name="comment" type="text" maxlength="1000" autocomplete="off"></label>' +
    '<button type="submit" class="rate-send"></button></fieldset><p class="rate-msg" role="status" aria-live="polite"></p></form>' +
    '<button type="button" class="again"></button></div>' +
    '<form class="contact" hidden><fieldset><legend class="l-intro"></legend>' +
    '<label><span class="l-name"></span><input name="name" autocomplete="name" maxlength="100"></label>' +
    '<label><span class="l-email"></span><input name="email" type="email" autocomplete="email" maxlength="254"></label>' +
    '<p class="fine"><span class="why"></span> <a class="privacy" target="_blank" rel="noopener"></a></p>' +
    '</fieldset></form>' +
    '<form class="composer"><label class="sr l-msg" for="cc-text"></label>' +
    '<textarea id="cc-text" rows="1" maxlength="8000"></textarea>' +
    '<button type="submit" class="send"></button></form>' +
    '</section>' +
    '<button type="button" class="launcher" aria-expanded="false"><svg class="i-chat" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
    '<svg class="i-close" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg><span class="dot" aria-hidden="true"></span></button>' +
    '</div>';
  function $(sel) { return root.querySelector(sel); }
  var el = {
    wrap: $('.cc'), panel: $('.panel'), launcher: $('.launcher'), title: $('.title'), presence: $('.presence'),
    theme: $('.theme'), lang: $('.lang'), close: $('.close'), notice: $('.notice'), log: $('.log'), typing: $('.typing'),
    ended: $('.ended'), again: $('.again'), contact: $('.contact'), composer: $('.composer'),
    text: $('textarea'), send: $('.send')
  };
  el.panel.id = 'cc-panel';
  el.launcher.setAttribute('aria-controls', 'cc-panel');

  function applyText() {
    el.wrap.setAttribute('lang', lang);
    el.title.textContent = t('title');
    el.panel.setAttribute('aria-label', t('title'));
    el.launcher.setAttribute('aria-label', el.panel.hidden ? t('open') : t('close'));
    el.close.setAttribute('aria-label', t('close'));
    el.theme.setAttribute('aria-label', t('theme'));
    el.lang.textContent = t('langCode');
    el.lang.setAttribute('aria-label', t('language'));
    el.log.setAttribute('aria-label', t('messages'));
    $('.l-intro').textContent = t('intro');
    $('.l-name').textContent = t('name');
    $('.l-email').textContent = t('email');
    $('.why').textContent = t('notice');
    var privacy = $('.privacy');
    if (privacyUrl) { privacy.href = privacyUrl; privacy.textContent = t('privacy'); } else privacy.remove();
    $('.l-msg').textContent = t('placeholder');
    el.text.placeholder = t('placeholder');
    el.send.textContent = t('send');
    el.ended.querySelector('p').textContent = t('ended');
    el.again.textContent = t('again');
    $('.l-rate').textContent = t('rate');
    for (var n = 1; n <= 5; n++) $('.s-' + n).textContent = t('star', { n: n });
    $('.l-comment').textContent = t('comment');
    $('.rate-send').textContent = t('rateSend');
    $('.l-tconfirm').textContent = t('tConfirm');
    $('.t-send').textContent = t('tSend');
    renderPhase();
    for (var cid in rows) markRow(rows[cid]);
  }

  function applyTheme() {
    var chosen = store.get('theme');
    var dark = chosen ? chosen === 'dark' : !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
    el.wrap.setAttribute('data-theme', dark ? 'dark' : 'light');
  }

  function renderPhase() {
    var text = '', notice = '';
    if (state.phase === 'refused') notice = state.refusal;
    else if (state.phase === 'down') notice = t('unavailable');
    else if (state.phase === 'connecting') text = t('connecting');
    else if (state.hint) notice = state.hint;
    if (state.phase === 'ready' || state.phase === 'idle') text = t(state.team === 'online' ? 'online' : state.team === 'away' ? 'away' : state.team === 'unknown' ? 'unknown' : 'offline');
    el.presence.textContent = text || (state.phase === 'refused' ? '' : t('offline'));
    el.notice.textContent = notice;
    el.notice.hidden = !notice;
    el.notice.className = 'notice ' + state.phase;
    el.wrap.setAttribute('data-phase', state.phase);
    // A refused widget invites nobody to write: the empty log's prompt goes with the composer.
    el.log.setAttribute('data-empty', state.phase === 'refused' ? '' : t('empty'));
    el.wrap.setAttribute('data-team', state.team);
    var closed = state.conversationId && state.status === 'closed';
    el.ended.hidden = !closed;
    renderRating();
    renderTranscript();
    el.composer.hidden = !!closed || state.phase === 'refused';
    el.contact.hidden = !askContact || !!state.conversationId || state.phase === 'refused' || (state.pending.length > 0 && !state.hint);
  }

  function setOpen(open, focus) {
    el.panel.hidden = !open;
    el.launcher.setAttribute('aria-expanded', String(open));
    el.launcher.setAttribute('aria-label', open ? t('close') : t('open'));
    el.wrap.classList.toggle('open', open);
    store.set('open', open ? '1' : '0');
    if (open) {
      el.launcher.classList.remove('unread');
      connect();
      if (focus) el.text.focus();
      markRead();
      scrollDown();
    } else if (focus) {
      el.launcher.focus();
    }
  }

  // ---- messages ----
  function fmtTime(ms) {
    try { return new Date(ms).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }); } catch (_) { return ''; }
  }

  function makeRow(mine, name, text, at) {
    var li = document.createElement('li');
    li.className = 'msg ' + (mine ? 'mine' : 'theirs');
    var meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = (mine ? t('you') : name || t('agent')) + ' · ' + fmtTime(at);
    var body = document.createElement('p');
    body.className = 'text';
    body.textContent = text; // never innerHTML: text is untrusted
    li.appendChild(meta);
    li.appendChild(body);
    if (mine) {
      var st = document.createElement('span');
      st.className = 'state';
      li.appendChild(st);
    }
    return li;
  }

  function markRow(li) {
    var st = li.querySelector('.state');
    if (!st) return;
    var seq = Number(li.getAttribute('data-seq') || 0);
    var err = li.getAttribute('data-error');
    var key = err ? 'failed' : !seq ? 'sending' : seq <= state.agentReadSeq ? 'read' : 'sent';
    li.setAttribute('data-state', key);
    st.textContent = err ? t('failed') + err : t(key);
  }

  // Rows with a seq sit in seq order; own messages still waiting for their ack stay at the bottom.
  function place(li, seq) {
    if (seq) {
      li.setAttribute('data-seq', String(seq));
      bySeq[seq] = li;
      var kids = el.log.children;
      for (var i = 0; i < kids.length; i++) {
        var other = Number(kids[i].getAttribute('data-seq') || 0);
        if (!other || other > seq) { if (kids[i] !== li) el.log.insertBefore(li, kids[i]); return; }
      }
    }
    if (li.parentNode !== el.log || (seq && li !== el.log.lastElementChild)) el.log.appendChild(li);
  }

  function showMessage(m) {
    if (!m || !m.seq) return;
    if (m.seq > state.lastSeq) state.lastSeq = m.seq;
    if (bySeq[m.seq]) return; // our own message, already placed by its ack
    var mine = m.sender && m.sender.kind === 'visitor';
    var li = mine && rows[m.clientMessageId];
    if (!li) {
      li = makeRow(mine, m.sender && m.sender.name, m.text, m.sentAt);
      if (mine) rows[m.clientMessageId] = li;
    }
    place(li, m.seq);
    if (mine) dropPending(m.clientMessageId);
    markRow(li);
    if (!mine) {
      hideTyping();
      if (el.panel.hidden && m.seq > state.seenSeq) {
        el.launcher.classList.add('unread');
        el.launcher.setAttribute('aria-label', t('open') + ' (' + t('unread') + ')');
      }
    }
  }

  function dropPending(cid) {
    var before = state.pending.length;
    state.pending = state.pending.filter(function (p) { return p.cid !== cid; });
    if (state.pending.length !== before) savePending();
  }
  function savePending() { if (state.pending.length) store.set('outbox', JSON.stringify(state.pending)); else store.del('outbox'); }

  function newId() {
    var c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
  }

  function submit() {
    var text = el.text.value.trim();
    if (!text) return;
    state.hint = '';
    var p = { cid: newId(), text: text, at: Date.now() };
    state.pending.push(p);
    savePending();
    var li = makeRow(true, '', text, p.at);
    rows[p.cid] = li;
    place(li, 0);
    markRow(li);
    el.text.value = '';
    autosize();
    stopTyping();
    scrollDown();
    renderPhase();
    flush();
  }

  // Sends whatever is waiting: a start if there is no conversation yet, then every unacknowledged message
  // with its original clientMessageId (the server never stores one twice).
  function flush() {
    if (state.phase !== 'ready' || !state.pending.length) return;
    if (!state.conversationId) {
      if (state.starting) return;
      state.starting = true;
      var form = el.contact;
      send({ type: 'start', id: 'start', name: form.elements.name.value.trim() || undefined, email: form.elements.email.value.trim() || undefined });
      return;
    }
    state.pending.forEach(function (p) {
      if (inflight[p.cid] === gen) return;
      inflight[p.cid] = gen;
      send({ type: 'send', id: 'send:' + p.cid, conversationId: state.conversationId, clientMessageId: p.cid, text: p.text });
    });
  }

  function restorePending() {
    state.pending.forEach(function (p) {
      if (rows[p.cid]) return;
      var li = makeRow(true, '', p.text, p.at);
      rows[p.cid] = li;
      place(li, 0);
      markRow(li);
    });
  }

  function markRead() {
    if (el.panel.hidden || document.visibilityState === 'hidden' || state.phase !== 'ready' || !state.conversationId) return;
    if (state.lastSeq > state.seenSeq) { state.seenSeq = state.lastSeq; store.set('lastSeq', state.lastSeq); }
    if (state.lastSeq > state.readSeq) {
      state.readSeq = state.lastSeq;
      send({ type: 'read', conversationId: state.conversationId, seq: state.lastSeq });
    }
  }

  function scrollDown() { el.log.scrollTop = el.log.scrollHeight; }
  function autosize() { el.text.style.height = 'auto'; el.text.style.height = Math.min(el.text.scrollHeight, 120) + 'px'; }

  function onInput() {
    autosize();
    if (!state.conversationId || state.phase !== 'ready') return;
    var now = Date.now();
    if (now - typingSentAt > 3000) { typingSentAt = now; send({ type: 'typing', conversationId: state.conversationId, isTyping: true }); }
    clearTimeout(typingStopTimer);
    typingStopTimer = setTimeout(guard(stopTyping), 4000);
  }
  function stopTyping() {
    clearTimeout(typingStopTimer);
    if (!typingSentAt) return;
    typingSentAt = 0;
    if (state.conversationId && state.phase === 'ready') send({ type: 'typing', conversationId: state.conversationId, isTyping: false });
  }
  function showTyping(who) {
    el.typing.textContent = t('typing', { name: (who && who.name) || t('agent') });
    clearTimeout(typingShownTimer);
    typingShownTimer = setTimeout(guard(hideTyping), 8000); // a lost "stopped typing" must not stick
  }
  function hideTyping() { clearTimeout(typingShownTimer); el.typing.textContent = ''; }

  function forgetConversation() {
    state.conversationId = undefined;
    state.lastSeq = 0;
    state.seenSeq = 0;
    state.readSeq = 0;
    state.agentReadSeq = 0;
    state.status = 'open';
    state.transcript = '';
    store.del('conversationId');
    store.del('lastSeq');
    rows = {};
    bySeq = {};
    el.log.textContent = '';
    hideTyping();
  }

  function useConversation(c) {
    if (!c) return;
    if (c.conversationId !== state.conversationId) {
      forgetConversation();
      restorePending(); // what the visitor wrote before the conversation existed stays on screen, still sending
      state.conversationId = c.conversationId;
      store.set('conversationId', c.conversationId);
    }
    state.status = c.status || 'open';
    state.transcript = c.transcript || '';
  }

  // ---- transcript address confirmation (issue 15) ----
  var tForm = $('.tconfirm'), tNote = $('.tnote'), tMsg = $('.t-msg');
  function renderTranscript() {
    var awaiting = !!state.conversationId && state.transcript === 'awaiting_confirmation';
    tForm.hidden = !awaiting;
    var note = !state.conversationId ? '' : state.transcript === 'limited' ? t('tLimited')
      : state.transcript === 'sent' ? t('tSent') : state.transcript === 'pending' ? t('tPending') : '';
    tNote.textContent = note;
    tNote.hidden = !note;
  }
  function submitCode() {
    var code = tForm.elements.code.value.trim();
    if (!code) return;
    tMsg.textContent = '';
    if (!send({ type: 'confirm_transcript', id: 'tconfirm', conversationId: state.conversationId, code: code })) tMsg.textContent = t('unavailable');
  }

  // ---- rating at close ----
  var rateForm = $('.rate'), rateMsg = $('.rate-msg');
  function renderRating(message) {
    var done = !!state.conversationId && store.get('rated') === state.conversationId;
    rateForm.querySelector('fieldset').hidden = done;
    rateMsg.textContent = done ? t('thanks') : (message || '');
    var chosen = rateForm.querySelector('input:checked');
    var score = chosen ? Number(chosen.value) : 0;
    var labels = rateForm.querySelectorAll('.stars label');
    for (var i = 0; i < labels.length; i++) labels[i].classList.toggle('on', i < score);
  }
  function ratingDone() { store.set('rated', state.conversationId); renderRating(); }
  function submitRating() {
    var chosen = rateForm.querySelector('input:checked');
    if (!chosen) { renderRating(t('pickScore')); return; }
    var comment = rateForm.querySelector('input[name=comment]').value.trim();
    var frame = { type: 'rate', id: 'rate', conversationId: state.conversationId, score: Number(chosen.value) };
    if (comment) frame.comment = comment;
    if (!send(frame)) renderRating(t('unavailable'));
  }

  // ---- connection ----
  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    if (ws || state.phase === 'refused') return;
    clearTimeout(retryTimer);
    state.phase = attempt ? state.phase : 'connecting';
    renderPhase();
    var sock;
    try {
      sock = new WebSocket(socketUrl, 'chatcluster.v1.json');
    } catch (e) {
      report(e);
      retry();
      return;
    }
    ws = sock;
    gen++;
    sock.onopen = guard(function () {
      if (ws !== sock) return;
      lastFrameAt = Date.now();
      hello();
    });
    sock.onmessage = guard(function (ev) {
      if (ws !== sock) return;
      lastFrameAt = Date.now();
      var frame = JSON.parse(ev.data);
      onFrame(frame);
    });
    sock.onclose = guard(function (ev) {
      if (ws !== sock) return;
      ws = null;
      stopPing();
      state.starting = false;
      if (state.phase === 'refused') return;
      retry();
    });
    sock.onerror = function () { /* onclose follows and handles it */ };
  }

  function hello() {
    send({ type: 'hello', id: 'hello', role: 'visitor', siteKey: siteKey, visitorToken: store.get('visitorToken'), pageUrl: location.href.slice(0, 2048), identity: identity });
  }

  // Exponential backoff with full jitter, 1 s doubling to 30 s, so a fleet of widgets doesn't reconnect in step.
  function retry(afterMs) {
    if (state.phase === 'refused') return;
    state.phase = 'down';
    renderPhase();
    var cap = Math.min(30000, 1000 * Math.pow(2, Math.min(attempt, 5)));
    var delay = afterMs != null ? afterMs : cap / 2 + Math.random() * cap / 2;
    attempt++;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(guard(connect), delay);
  }

  function reconnectNow() {
    if (state.phase === 'refused' || state.phase === 'idle') return;
    if (!ws) { attempt = 0; connect(); }
  }

  function startPing(seconds) {
    stopPing();
    var every = Math.max(5, Math.min(25, (seconds || 25))) * 1000;
    pingTimer = setInterval(guard(function () {
      // A socket silent for two intervals is dead (laptop slept, network changed): drop it and reconnect.
      if (Date.now() - lastFrameAt > every * 2 + 5000 && ws) { var dead = ws; ws = null; try { dead.close(); } catch (_) { } retry(0); return; }
      send({ type: 'ping', t: Date.now() });
    }), every);
  }
  function stopPing() { clearInterval(pingTimer); }

  function refuse(text) {
    state.phase = 'refused';
    state.refusal = text;
    clearTimeout(retryTimer);
    stopPing();
    if (ws) { var s = ws; ws = null; try { s.close(); } catch (_) { } }
    renderPhase();
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        attempt = 0;
        if (f.visitorToken) store.set('visitorToken', f.visitorToken);
        state.phase = 'ready';
        startPing(f.heartbeatSeconds);
        var list = f.conversations || [];
        var current = null;
        for (var i = 0; i < list.length; i++) if (list[i].conversationId === state.conversationId) current = list[i];
        if (!current && state.conversationId) forgetConversation(); // not ours any more (new visitor, or purged)
        if (!current) {
          for (var j = list.length - 1; j >= 0; j--) if (list[j].status !== 'closed') { current = list[j]; break; }
        }
        if (current) {
          useConversation(current);
          send({ type: 'resume', id: 'resume', conversationId: current.conversationId, afterSeq: state.lastSeq });
        }
        renderPhase();
        flush();
        return;
      case 'rated':
        if (f.conversationId === state.conversationId) ratingDone();
        return;
      case 'presence':
        if (f.scope === 'team') { state.team = f.status; renderPhase(); }
        return;
      case 'started':
        state.starting = false;
        useConversation(f.conversation);
        renderPhase();
        flush();
        return;
      case 'history':
        if (f.conversation) { state.status = f.conversation.status; if (f.conversation.transcript) state.transcript = f.conversation.transcript; }
        (f.messages || []).forEach(showMessage);
        (f.readMarks || []).forEach(function (r) { onRead(r.reader, r.seq); });
        renderPhase();
        scrollDown();
        markRead();
        return;
      case 'message':
        if (f.conversationId !== state.conversationId) return;
        var atBottom = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight < 40;
        showMessage(f);
        if (atBottom || f.sender.kind === 'visitor') scrollDown();
        markRead();
        return;
      case 'ack':
        var li = rows[f.clientMessageId];
        dropPending(f.clientMessageId);
        if (li && !li.getAttribute('data-seq')) { place(li, f.seq); markRow(li); }
        return;
      case 'typing':
        if (f.conversationId !== state.conversationId || !f.from || f.from.kind === 'visitor') return;
        if (f.isTyping) showTyping(f.from); else hideTyping();
        return;
      case 'read':
        if (f.conversationId === state.conversationId) onRead(f.reader, f.seq);
        return;
      case 'conversation':
        if (f.conversation && f.conversation.conversationId === state.conversationId) {
          state.status = f.conversation.status;
          if (f.conversation.transcript) state.transcript = f.conversation.transcript;
          if (state.status === 'closed') hideTyping();
          renderPhase();
        }
        return;
      case 'reconnect':
        if (ws) { var old = ws; ws = null; try { old.close(); } catch (_) { } }
        retry(f.afterMs || 0);
        return;
      case 'error':
        onError(f);
        return;
    }
  }

  function onRead(reader, seq) {
    if (!reader || reader.kind === 'visitor' || seq <= state.agentReadSeq) return;
    state.agentReadSeq = seq;
    for (var cid in rows) markRow(rows[cid]);
  }

  function onError(f) {
    switch (f.code) {
      case 'origin_not_allowed': refuse(t('notAllowed')); return;
      case 'invalid_site_key': refuse(t('badKey')); return;
      // The site's identity did not verify: the gateway already went on anonymously; stop sending it.
      case 'invalid_identity': identity = undefined; return;
      case 'identity_required': refuse(f.message || t('notAllowed')); return;
      case 'invalid_visitor_token':
        // The server doesn't know this visitor (any more): start afresh as a new anonymous visitor.
        store.del('visitorToken');
        forgetConversation();
        state.pending = [];
        savePending();
        hello();
        return;
    }
    var id = String(f.id || '');
    if (id === 'tconfirm') {
      tMsg.textContent = f.message;
      if (f.code === 'invalid_request') { state.transcript = 'limited'; renderTranscript(); } // nothing waits for a code any more
      return;
    }
    if (id === 'rate') {
      if (f.code === 'conflict') ratingDone(); // rated before (another tab, or before a reload)
      else renderRating(f.message);
      return;
    }
    if (id === 'start') {
      state.starting = false;
      if (f.code !== 'unavailable' && f.code !== 'rate_limited') { state.hint = f.message; renderPhase(); return; }
    }
    if (id.indexOf('send:') === 0 && f.code !== 'unavailable' && f.code !== 'rate_limited') {
      // A message the server will never take (too long, closed conversation): say so instead of retrying forever.
      var cid = id.slice(5);
      dropPending(cid);
      if (rows[cid]) { rows[cid].setAttribute('data-error', f.code === 'message_too_long' ? t('tooLong') : f.message); markRow(rows[cid]); }
      return;
    }
    if (id === 'resume' && f.code === 'not_found') { forgetConversation(); renderPhase(); return; }
    if (f.code === 'unavailable' || f.code === 'rate_limited') {
      if (id.indexOf('send:') === 0) delete inflight[id.slice(5)];
      clearTimeout(flushTimer);
      flushTimer = setTimeout(guard(flush), f.retryAfterMs || 1000);
    }
  }

  // ---- wiring ----
  el.launcher.addEventListener('click', guard(function () { setOpen(el.panel.hidden, true); }));
  el.close.addEventListener('click', guard(function () { setOpen(false, true); }));
  el.panel.addEventListener('keydown', guard(function (e) { if (e.key === 'Escape') setOpen(false, true); }));
  el.theme.addEventListener('click', guard(function () {
    store.set('theme', el.wrap.getAttribute('data-theme') === 'dark' ? 'light' : 'dark');
    applyTheme();
  }));
  el.lang.addEventListener('click', guard(function () {
    lang = lang === 'de' ? 'en' : 'de';
    store.set('lang', lang);
    applyText();
  }));
  el.composer.addEventListener('submit', guard(function (e) { e.preventDefault(); submit(); }));
  tForm.addEventListener('submit', guard(function (e) { e.preventDefault(); submitCode(); }));
  el.text.addEventListener('keydown', guard(function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  }));
  el.text.addEventListener('input', guard(onInput));
  el.text.addEventListener('blur', guard(stopTyping));
  el.contact.addEventListener('submit', guard(function (e) { e.preventDefault(); el.text.focus(); }));
  rateForm.addEventListener('submit', guard(function (e) { e.preventDefault(); submitRating(); }));
  rateForm.addEventListener('change', guard(function () { renderRating(); }));
  el.again.addEventListener('click', guard(function () {
    forgetConversation();
    renderPhase();
    el.text.focus();
  }));
  el.log.addEventListener('scroll', guard(markRead));
  document.addEventListener('visibilitychange', guard(function () { if (document.visibilityState === 'visible') { reconnectNow(); markRead(); } }));
  window.addEventListener('online', guard(reconnectNow));
  if (window.matchMedia) {
    var mq = window.matchMedia('(prefers-color-scheme: dark)');
    var onScheme = guard(applyTheme);
    if (mq.addEventListener) mq.addEventListener('change', onScheme); else if (mq.addListener) mq.addListener(onScheme);
  }

  function CSS() {
    return ':host{all:initial}' +
      '.cc{--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#dfe3ea;--mine:#2456d6;--mine-fg:#fff;--theirs:#eef1f6;--accent:#2456d6;--brand:#2456d6;--warn:#8a4b00;--warn-bg:#fff4e0;--err:#a1181b;--err-bg:#fde8e8;' +
      'font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:12px}' +
      '.cc[data-theme=dark]{--bg:#161b24;--fg:#e7ebf2;--muted:#9aa4b5;--line:#2c3442;--mine:#2f55c4;--mine-fg:#fff;--theirs:#232b38;--accent:#8fb0ff;--brand:#2f55c4;--warn:#ffcf8a;--warn-bg:#3a2c12;--err:#ffb4b4;--err-bg:#3d1b1d}' +
      '*{box-sizing:border-box}' +
      'button,input,textarea{font:inherit;color:inherit}' +
      ':focus-visible{outline:3px solid var(--accent);outline-offset:2px}' +
      '.launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--brand);color:#fff;font-size:24px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);position:relative}' +
      '.launcher svg{width:26px;height:26px;fill:#fff;stroke:#fff;stroke-width:0;vertical-align:middle}.launcher .i-close{display:none;fill:none;stroke-width:2.5;stroke-linecap:round}' +
      '.open .launcher .i-chat{display:none}.open .launcher .i-close{display:inline}' +
      '.launcher .dot{display:none;position:absolute;top:6px;right:6px;width:12px;height:12px;border-radius:50%;background:#e5484d;border:2px solid #fff}' +
      '.launcher.unread .dot{display:block}' +
      '.panel{width:min(360px,calc(100vw - 40px));height:min(540px,calc(100vh - 110px));background:var(--bg);border:1px solid var(--line);border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}' +
      '.panel[hidden]{display:none}' +
      'header{display:flex;align-items:center;gap:4px;padding:12px 12px 12px 16px;background:var(--brand);color:#fff}' +
      '.who{flex:1;min-width:0}.title{margin:0;font-size:16px;font-weight:600}' +
      '.presence{margin:2px 0 0;font-size:12px;opacity:.95}' +
      '.presence::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#c3c9d4;margin-right:6px;vertical-align:middle}' +
      '[data-team=online] .presence::before{background:#3ddc84}' +
      '[data-team=unknown] .presence::before{background:transparent;border:1px dashed #fff;box-sizing:border-box}' +
      '.icon{background:transparent;border:0;color:#fff;min-width:32px;height:32px;border-radius:8px;cursor:pointer;font-size:13px;font-weight:600}' +
      '.icon:hover{background:rgba(255,255,255,.18)}header :focus-visible{outline-color:#fff}' +
      '.notice{margin:0;padding:8px 16px;font-size:13px;background:var(--warn-bg);color:var(--warn)}' +
      '.notice.refused{background:var(--err-bg);color:var(--err)}' +
      '.log{list-style:none;margin:0;padding:12px 14px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px}' +
      '.log:empty::before{content:attr(data-empty);color:var(--muted);margin:auto;text-align:center;padding:0 24px}' +
      '.msg{max-width:82%;display:flex;flex-direction:column}' +
      '.msg.mine{align-self:flex-end;align-items:flex-end}.msg.theirs{align-self:flex-start}' +
      '.meta,.state{font-size:11px;color:var(--muted);margin:0 4px 2px}.state{margin-top:2px}' +
      '.msg[data-state=sending] .text{opacity:.7}.msg[data-state=failed] .state{color:var(--err)}' +
      '.text{margin:0;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;background:var(--theirs)}' +
      '.mine .text{background:var(--mine);color:var(--mine-fg);border-bottom-right-radius:4px}.theirs .text{border-bottom-left-radius:4px}' +
      '.typing{margin:0;padding:0 16px;min-height:18px;font-size:12px;color:var(--muted);font-style:italic}' +
      '.ended{padding:10px 16px;border-top:1px solid var(--line);text-align:center;color:var(--muted)}.ended p{margin:0 0 8px}' +
      '.rate fieldset{border:0;margin:0 0 8px;padding:0;display:flex;flex-direction:column;align-items:center;gap:6px}.rate legend{padding:0 0 4px;color:var(--fg)}' +
      '.stars{display:flex;gap:2px}.stars label{position:relative;cursor:pointer;font-size:26px;line-height:1;color:var(--muted)}' +
      '.stars label.on{color:#f5a623}.stars input{position:absolute;opacity:0;width:1px;height:1px}' +
      '.stars input:focus-visible+span{outline:2px solid var(--accent);outline-offset:2px;border-radius:4px}' +
      '.c-wrap{display:flex;flex-direction:column;font-size:12px;gap:2px;width:100%;text-align:left}.c-wrap input{width:100%}' +
      '.rate-send{border:0;background:var(--brand);color:#fff;border-radius:8px;padding:6px 12px;cursor:pointer}.rate-msg{margin:0 0 8px;font-size:13px}' +
      '.rate fieldset[hidden]{display:none}' +
      '.tconfirm{margin:0;padding:6px 12px;font-size:13px}.tconfirm[hidden],.tnote[hidden]{display:none}.tconfirm input{width:7ch}' +
      '.t-send{border:0;background:var(--brand);color:#fff;border-radius:6px;padding:3px 8px;cursor:pointer}.t-msg{display:block}' +
      '.tnote{margin:0;padding:4px 12px;font-size:12px;color:var(--muted)}' +
      '.again{border:1px solid var(--accent);background:transparent;color:var(--accent);border-radius:8px;padding:6px 12px;cursor:pointer}' +
      '.contact fieldset{border:0;border-top:1px solid var(--line);margin:0;padding:8px 16px;display:grid;grid-template-columns:1fr 1fr;gap:6px 10px}' +
      '.contact legend{padding:8px 0 0;font-size:12px;font-weight:600;color:var(--muted);float:left;grid-column:1/-1}' +
      '.contact label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px;min-width:0}.contact input{width:100%;min-width:0}' +
      'input,textarea{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:6px 8px}' +
      '.fine{grid-column:1/-1;margin:0;font-size:11px;color:var(--muted)}.fine a{color:var(--accent)}' +
      '.composer{display:flex;gap:8px;padding:10px 12px;border-top:1px solid var(--line);align-items:flex-end}' +
      '.composer[hidden],.contact[hidden],.ended[hidden],.notice[hidden]{display:none}' +
      'textarea{flex:1;resize:none;min-height:38px;max-height:120px}' +
      '.send{border:0;background:var(--brand);color:#fff;border-radius:8px;padding:8px 14px;cursor:pointer;font-weight:600}' +
      '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
      '@media (prefers-reduced-motion:no-preference){.launcher{transition:transform .15s}.launcher:hover{transform:scale(1.06)}}';
  }

  // ---- start ----
  guard(function () {
    applyTheme();
    applyText();
    restorePending();
    (document.body || document.documentElement).appendChild(host);
    // Privacy: no socket (and so no visitor record) until the visitor opens the chat or already has one going.
    if (store.get('open') === '1') setOpen(true, false);
    else if (state.conversationId || state.pending.length) connect();
  })();
})();
