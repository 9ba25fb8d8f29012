/* ChatCluster reports view (A1) for admins: GET /api/reports and /api/reports.csv with the console's bearer token.
 * Charts are inline SVG drawn here (no library, no CDN). Each chart is one tab stop: arrow keys move between its
 * bars and a live region reads the value; every chart also has a table for screen readers and copy-paste. */
(function () {
  'use strict';
  var SESSION = 'chatcluster.agent.session';
  var SVG = 'http://www.w3.org/2000/svg';
  var section = document.getElementById('reports');
  var toggle = document.getElementById('reports-toggle');
  var form = document.getElementById('reports-form');
  var status = document.getElementById('reports-status');
  var lastQuery = '';

  function session() { try { return JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch (_) { return null; } }
  function isAdmin(s) { var r = s && s.agent && String(s.agent.role || '').toLowerCase(); return r === 'admin' || r === 'owner'; }
  function h(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function s(tag, attrs) { var e = document.createElementNS(SVG, tag); Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); return e; }
  function iso(d) { return d.toISOString().slice(0, 10); }
  function duration(sec) {
    if (sec === null || sec === undefined) return '–';
    if (sec < 90) return Math.round(sec) + ' s';
    if (sec < 5400) return Math.round(sec / 60) + ' min';
    return (sec / 3600).toFixed(1) + ' h';
  }

  // Shown only to admins; checked again whenever the session may have changed (login, logout).
  function refreshToggle() { toggle.hidden = !isAdmin(session()); if (toggle.hidden) show(false); }
  setInterval(refreshToggle, 1000);
  refreshToggle();

  function show(on) {
    section.hidden = !on;
    document.getElementById('app').classList.toggle('reporting', on);
    toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    toggle.textContent = on ? 'Back to inbox' : 'Reports';
    if (on) {
      document.dispatchEvent(new CustomEvent('chatcluster:view', { detail: 'reports' }));
      if (!form.elements.from.value) defaults();
      load();
      section.querySelector('h2').focus();
    }
  }
  toggle.addEventListener('click', function () { show(section.hidden); });
  // One view at a time: opening another one (the integrations settings) closes the reports.
  document.addEventListener('chatcluster:view', function (e) { if (e.detail !== 'reports' && !section.hidden) show(false); });

  function defaults() {
    var to = new Date(); var from = new Date(Date.now() - 29 * 86400000);
    form.elements.from.value = iso(from); form.elements.to.value = iso(to);
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); load(); });

  function query() {
    var f = form.elements;
    return 'from=' + encodeURIComponent(f.from.value) + '&to=' + encodeURIComponent(f.to.value) + '&granularity=' + encodeURIComponent(f.granularity.value);
  }

  function call(path) {
    var sess = session();
    return fetch(path, { headers: { Authorization: 'Bearer ' + (sess && sess.token) } }).then(function (r) {
      if (r.ok) return r;
      return r.json().catch(function () { return {}; }).then(function (p) { throw new Error(p.detail || p.title || ('Request failed (' + r.status + ').')); });
    });
  }

  function load() {
    lastQuery = query();
    status.textContent = 'Loading…';
    call('/api/reports?' + lastQuery).then(function (r) { return r.json(); }).then(function (report) {
      status.textContent = 'Report for ' + report.from + ' to ' + report.to + ' (UTC).';
      render(report);
    }).catch(function (err) { status.textContent = err.message; });
  }

  document.getElementById('reports-csv').addEventListener('click', function () {
    call('/api/reports.csv?' + (lastQuery || query())).then(function (r) { return r.blob(); }).then(function (blob) {
      var a = h('a', { href: URL.createObjectURL(blob), download: 'chatcluster-report.csv' });
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    }).catch(function (err) { status.textContent = err.message; });
  });

  function render(r) {
    var t = r.totals;
    var tiles = document.getElementById('reports-tiles');
    tiles.textContent = '';
    [
      ['Conversations', t.conversations], ['Messages', t.messages], ['Missed', t.missed],
      ['First response', duration(t.firstResponse.medianSeconds) + ' median', '90% within ' + duration(t.firstResponse.p90Seconds)],
      ['Resolution', duration(t.resolution.medianSeconds) + ' median', '90% within ' + duration(t.resolution.p90Seconds)],
      ['Satisfaction', t.satisfaction.average === null ? '–' : t.satisfaction.average.toFixed(1) + ' / 5', t.satisfaction.ratings + (t.satisfaction.ratings === 1 ? ' rating' : ' ratings')]
    ].forEach(function (tile) {
      var li = h('li', { 'class': 'tile' });
      li.appendChild(h('span', { 'class': 'tile-label' }, tile[0]));
      li.appendChild(h('strong', {}, String(tile[1])));
      if (tile[2]) li.appendChild(h('span', { 'class': 'tile-note' }, tile[2]));
      tiles.appendChild(li);
    });

    barChart('chart-volume', 'Conversations over time', r.series.map(function (p) {
      return { label: p.period, value: p.conversations, detail: p.conversations + ' conversations, ' + p.messages + ' messages' + (p.missed ? ', ' + p.missed + ' missed' : '') };
    }), 'conversations');
    barChart('chart-hours', 'Conversations by hour of day (UTC)', r.hourOfDay.map(function (x) {
      return { label: (x.hour < 10 ? '0' : '') + x.hour + ':00', value: x.conversations, detail: x.conversations + ' conversations, ' + x.messages + ' messages' };
    }), 'conversations');
    barChart('chart-first-response', 'First-response time distribution', trim(r.firstResponseDistribution).map(function (b) {
      return { label: b.label, value: b.count, detail: b.count + ' conversations' };
    }), 'conversations');
    barChart('chart-resolution', 'Resolution time distribution', trim(r.resolutionDistribution).map(function (b) {
      return { label: b.label, value: b.count, detail: b.count + ' conversations' };
    }), 'conversations');

    var agents = document.getElementById('reports-agents');
    agents.textContent = '';
    if (!r.agents.length) agents.appendChild(h('li', {}, 'No conversations were taken by an agent in this range.'));
    r.agents.forEach(function (a) { agents.appendChild(h('li', {}, (a.displayName || a.agentId) + ': ' + a.conversations)); });
    var countries = document.getElementById('reports-countries');
    countries.textContent = '';
    if (!r.countries.length) countries.appendChild(h('li', {}, 'No conversations in this range.'));
    r.countries.forEach(function (c) { countries.appendChild(h('li', {}, (c.country === 'ZZ' ? 'Unknown' : c.country) + ': ' + c.conversations)); });
    document.getElementById('reports-busiest').textContent = r.busiestHours.length
      ? 'Busiest hours (UTC): ' + r.busiestHours.map(function (x) { return (x < 10 ? '0' : '') + x + ':00'; }).join(', ') + '.'
      : 'No activity in this range.';
  }

  // Buckets from the first to the last non-empty one, so the chart shows the interesting part.
  function trim(buckets) {
    var first = -1, last = -1;
    buckets.forEach(function (b, i) { if (b.count > 0) { if (first < 0) first = i; last = i; } });
    return first < 0 ? buckets.slice(0, 6) : buckets.slice(Math.max(0, first - 1), Math.min(buckets.length, last + 2));
  }

  function barChart(id, title, points, unit) {
    var host = document.getElementById(id);
    host.textContent = '';
    var width = 640, height = 180, pad = 24;
    var max = Math.max.apply(null, points.map(function (p) { return p.value; }).concat([1]));
    var step = (width - pad) / Math.max(points.length, 1);
    var svg = s('svg', { viewBox: '0 0 ' + width + ' ' + (height + 22), 'class': 'chart', role: 'img', tabindex: '0',
      'aria-label': title + '. ' + points.length + ' bars, highest ' + max + ' ' + unit + '. Use the arrow keys to read each bar.' });
    svg.appendChild(s('line', { x1: pad, y1: height, x2: width, y2: height, 'class': 'axis' }));
    var maxLabel = s('text', { x: 0, y: 12, 'class': 'tick' }); maxLabel.textContent = String(max); svg.appendChild(maxLabel);
    var bars = points.map(function (p, i) {
      var bh = Math.round((p.value / max) * (height - 16));
      var rect = s('rect', { x: pad + i * step + step * 0.1, y: height - bh, width: Math.max(step * 0.8, 1), height: Math.max(bh, p.value > 0 ? 1 : 0), 'class': 'bar', 'data-index': i });
      var tip = s('title', {}); tip.textContent = p.label + ': ' + p.detail; rect.appendChild(tip);
      svg.appendChild(rect);
      return rect;
    });
    var every = Math.max(1, Math.ceil(points.length / 8));
    points.forEach(function (p, i) {
      if (i % every) return;
      var label = s('text', { x: pad + i * step, y: height + 16, 'class': 'tick' }); label.textContent = p.label; svg.appendChild(label);
    });
    var readout = h('p', { 'class': 'readout', 'aria-live': 'polite' });
    var at = -1;
    function focusBar(i) {
      if (!points.length) return;
      at = Math.max(0, Math.min(points.length - 1, i));
      bars.forEach(function (b, j) { b.classList.toggle('current', j === at); });
      readout.textContent = points[at].label + ': ' + points[at].detail;
    }
    svg.addEventListener('keydown', function (e) {
      var keys = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: points.length - 1 };
      if (!(e.key in keys)) return;
      e.preventDefault();
      focusBar(at < 0 && e.key === 'ArrowRight' ? 0 : keys[e.key]);
    });
    svg.addEventListener('focus', function () { if (at < 0) focusBar(0); });
    host.appendChild(h('h3', {}, title));
    host.appendChild(svg);
    host.appendChild(readout);
    var details = h('details', {});
    details.appendChild(h('summary', {}, 'Show as table'));
    var table = h('table', {});
    var head = h('tr', {}); head.appendChild(h('th', { scope: 'col' }, 'Period')); head.appendChild(h('th', { scope: 'col' }, 'Value'));
    table.appendChild(head);
    points.forEach(function (p) {
      var tr = h('tr', {}); tr.appendChild(h('th', { scope: 'row' }, p.label)); tr.appendChild(h('td', {}, p.detail)); table.appendChild(tr);
    });
    details.appendChild(table);
    host.appendChild(details);
  }
})();
