// fimql serve: the page. No framework, no network beyond this server, no inline script.
'use strict';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
};
const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
};

// This page's name for the server: a newer query of this page stops its older one, and no
// other page's.
function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const state = {
  client: newClientId(),
  info: null,
  tokens: new Map(),
  columns: [],
  groupBy: '',
  offset: 0,
  limit: 50,
  seq: 0,
  abort: null,
  timer: null,
  check: null,
  result: null,
  filter: '',
  completion: { items: [], active: 0, from: 0, to: 0 },
};

// JSON.parse, keeping as written (JSON.rawJSON, where there is one) the integers beyond 2^53
// (JSON.parse alone rounds them), or with `asWritten` every number whose digits would change.
function parseJson(text, asWritten) {
  if (typeof JSON.rawJSON !== 'function') return JSON.parse(text);
  const keep = (value, source) =>
    asWritten ? String(value) !== source : Number.isInteger(value) && !Number.isSafeInteger(value);
  return JSON.parse(text, (_key, value, context) =>
    typeof value === 'number' && context && context.source !== undefined && keep(value, context.source)
      ? JSON.rawJSON(context.source)
      : value,
  );
}

async function api(path, body, signal) {
  const init = { credentials: 'same-origin', signal };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  let json;
  try {
    json = parseJson(await r.text(), false);
  } catch (_) {
    json = { error: `HTTP ${r.status}` };
  }
  return { status: r.status, json };
}

// Diagnostic spans are byte offsets into the UTF-8 filter; the input counts UTF-16 units.
function byteToIndex(s, byte) {
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    if (bytes >= byte) break;
    const c = ch.codePointAt(0);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += ch.length;
  }
  return i;
}

async function init() {
  const { status, json } = await api('/api/info');
  if (status !== 200) {
    $('status').textContent = json.error || `cannot load (HTTP ${status})`;
    return;
  }
  state.info = json;
  for (const t of json.tokens) {
    state.tokens.set(t.name, t);
    for (const a of t.aliases) state.tokens.set(a, t);
  }
  const size = json.files.reduce((n, f) => n + f.size, 0);
  $('files').textContent = `${json.files.map((f) => f.name).join(', ')} · ${formatBytes(size)} · scope ${json.scope}`;
  const sel = $('group-by');
  sel.append(el('option', { value: '', text: '(none)' }));
  for (const t of json.tokens) sel.append(el('option', { value: t.name, text: t.name }));
  state.groupBy = state.tokens.has('action') ? 'action' : '';
  sel.value = state.groupBy;
  state.columns = json.columns.slice();
  $('columns').value = state.columns.join(', ');

  const input = $('filter');
  input.addEventListener('input', () => {
    syncBackdrop();
    updateCompletions();
    schedule(true);
  });
  input.addEventListener('keydown', onKey);
  input.addEventListener('scroll', syncScroll);
  input.addEventListener('click', updateCompletions);
  // The list closes a moment after the filter loses focus (so that a click on an item lands
  // first), unless the filter has the focus again by then and the list is the new one's.
  input.addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== input) hideCompletions();
  }, 150));
  sel.addEventListener('change', () => {
    state.groupBy = sel.value;
    schedule(false);
  });
  $('columns').addEventListener('change', () => {
    state.columns = $('columns').value.split(',').map((s) => s.trim()).filter(Boolean);
    schedule(false);
  });
  $('prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - state.limit);
    runQuery();
  });
  $('next').addEventListener('click', () => {
    state.offset += state.limit;
    runQuery();
  });
  $('close-detail').addEventListener('click', () => {
    $('detail').hidden = true;
  });
  $('copy-request').addEventListener('click', copyRequest);
  const start = new URLSearchParams(location.hash.slice(1)).get('filter');
  if (start) input.value = start;
  syncBackdrop();
  schedule(true);
}

function formatBytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// A keystroke cancels the request in flight (the server stops the query it ran).
function schedule(filterChanged) {
  if (filterChanged) state.offset = 0;
  clearTimeout(state.timer);
  state.timer = setTimeout(run, 120);
}

async function run() {
  const text = $('filter').value;
  const seq = ++state.seq;
  if (state.abort) state.abort.abort();
  const abort = new AbortController();
  state.abort = abort;
  $('count').classList.add('stale');
  let check;
  try {
    check = await api('/api/check', { filter: text }, abort.signal);
  } catch (e) {
    if (e.name !== 'AbortError') $('status').textContent = String(e);
    return;
  }
  if (seq !== state.seq) return;
  state.check = check.json;
  state.filter = text;
  renderCheck(text, check.json);
  history.replaceState(null, '', text ? `#filter=${encodeURIComponent(text)}` : location.pathname);
  if (check.status !== 200) {
    // Not the filter: the server refused the request (signed out, a filter over the size
    // limit…). Say what it said.
    $('status').textContent = check.json.error || `HTTP ${check.status}`;
    return;
  }
  if (!check.json.valid) {
    $('status').textContent = 'fix the filter to see its matches';
    return;
  }
  await runQuery(seq, abort);
}

async function runQuery(seq, abort) {
  if (seq === undefined) {
    seq = ++state.seq;
    if (state.abort) state.abort.abort();
    abort = new AbortController();
    state.abort = abort;
  }
  $('count').classList.add('stale');
  $('status').textContent = 'running…';
  const body = {
    filter: state.filter,
    columns: state.columns,
    offset: state.offset,
    limit: state.limit,
    client: state.client,
  };
  if (state.groupBy) body.group_by = state.groupBy;
  let r;
  try {
    r = await api('/api/query', body, abort.signal);
  } catch (e) {
    if (e.name !== 'AbortError') $('status').textContent = String(e);
    return;
  }
  if (seq !== state.seq) return;
  if (r.status !== 200) {
    // A filter the query refused (422) brings its diagnostics: mark them as a check's.
    if (r.json.diagnostics) renderCheck(state.filter, { ...r.json, valid: false });
    $('status').textContent = r.json.error || `HTTP ${r.status}`;
    return;
  }
  state.result = r.json;
  renderResult(r.json);
}

function renderCheck(text, check) {
  const list = $('diagnostics');
  list.replaceChildren();
  for (const d of check.diagnostics || []) {
    const start = byteToIndex(text, d.span.start);
    const li = el(
      'li',
      { class: d.severity, 'data-code': d.code, 'data-start': start, 'data-end': byteToIndex(text, d.span.end) },
      el('span', { class: 'code', text: `${d.severity}[${d.code}]` }),
      el('span', { class: 'message', text: d.message }),
      el('span', { class: 'where', text: `at column ${start + 1}` }),
      d.help ? el('span', { class: 'help', text: `help: ${d.help}` }) : null,
    );
    li.addEventListener('click', () => {
      const input = $('filter');
      input.focus();
      input.setSelectionRange(start, Number(li.dataset.end));
    });
    // A did-you-mean becomes a button that puts the suggestion in place of the span.
    const mean = d.help && d.help.match(/did you mean `([^`]+)`/);
    if (mean && d.span.end > d.span.start) {
      const fix = el('button', { type: 'button', class: 'fix', 'data-testid': 'fix', text: `use ${mean[1]}` });
      fix.addEventListener('click', (e) => {
        e.stopPropagation();
        const input = $('filter');
        const v = input.value;
        input.value = v.slice(0, start) + mean[1] + v.slice(Number(li.dataset.end));
        syncBackdrop();
        schedule(true);
      });
      li.append(fix);
    }
    list.append(li);
  }
  syncBackdrop();
  $('canonical').textContent = check.empty ? '(empty: every event)' : check.canonical || '';
  $('request').textContent = check.request || '';
  $('copy-request').disabled = !check.request;
}

// The backdrop behind the transparent input marks the spans of the diagnostics.
function syncBackdrop() {
  const text = $('filter').value;
  const back = $('backdrop');
  back.replaceChildren();
  const check = state.check;
  const marks = [];
  if (check && state.filter === text) {
    for (const d of check.diagnostics || []) {
      let a = byteToIndex(text, d.span.start);
      let b = byteToIndex(text, d.span.end);
      if (b <= a) b = a + 1; // an empty span (a missing part): mark the place
      marks.push([a, b, d.severity]);
    }
  }
  marks.sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [a, b, sev] of marks) {
    if (a < at) continue;
    back.append(text.slice(at, a));
    const piece = text.slice(a, b);
    back.append(el('mark', { class: sev, text: piece.length ? piece : ' ' }));
    at = Math.max(at, b);
  }
  back.append(text.slice(at));
  syncScroll();
}

function syncScroll() {
  $('backdrop').scrollLeft = $('filter').scrollLeft;
}

function renderResult(res) {
  const count = $('count');
  count.classList.remove('stale');
  // An empty filter selects every event (the CLI asks for a filter; the page shows all).
  const all = !state.filter.trim();
  count.replaceChildren(
    el('span', { class: 'n', text: String(res.count) }),
    all
      ? ` event${res.count === 1 ? '' : 's'} of ${res.records} records (no filter: every event)`
      : ` matching event${res.count === 1 ? '' : 's'} of ${res.records} records`,
  );
  const bits = [`${res.elapsed_ms.toFixed(0)} ms`, formatBytes(res.bytes)];
  if (res.errors) {
    const shown = res.error_samples.length < res.errors ? `the first ${res.error_samples.length}: ` : '';
    bits.push(`${res.errors} malformed record${res.errors === 1 ? '' : 's'} skipped (${shown}${res.error_samples.join('; ')})`);
  }
  if (res.stopped === 'time-limit') bits.push('stopped at the time limit: counts are partial');
  if (res.stopped === 'cancelled') bits.push('cancelled');
  if (res.changed && res.changed.length) {
    bits.push(`${res.changed.join(', ')} changed while it was read: the answer may mix old and new, run it again`);
  }
  $('status').textContent = bits.join(' · ');
  renderHistogram(res.histogram);
  renderGroups(res.groups, res.count);
  renderTable(res);
}

function renderHistogram(h) {
  const box = $('histogram');
  box.replaceChildren();
  $('hist-unit').textContent = h.buckets.length ? `per ${h.unit}, UTC` : '';
  if (!h.buckets.length) {
    box.append(el('p', { class: 'muted', text: 'no matching event has a time' }));
    return;
  }
  const W = 800;
  const H = 160;
  const pad = 18;
  const max = Math.max(...h.buckets.map((b) => b.count), 1);
  const bw = W / h.buckets.length;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
  s.append(svg('line', { class: 'axis', x1: 0, y1: H - pad, x2: W, y2: H - pad }));
  h.buckets.forEach((b, i) => {
    const bh = b.count ? Math.max(1, ((H - pad - 4) * b.count) / max) : 0;
    const r = svg('rect', {
      class: 'bar',
      x: i * bw + (bw > 3 ? 0.5 : 0),
      y: H - pad - bh,
      width: Math.max(bw - (bw > 3 ? 1 : 0), 0.5),
      height: bh,
      'data-count': b.count,
      'data-start': b.start,
    });
    const title = svg('title', {});
    title.textContent = `${b.start} – ${b.end}: ${b.count}`;
    r.append(title);
    r.addEventListener('click', () => {
      const end = new Date(Date.parse(b.end) - 1).toISOString();
      addTerm(`${h.token}:['${b.start}'..'${end}']`);
    });
    s.append(r);
  });
  const label = (i, anchor) => {
    const t = svg('text', { x: anchor === 'end' ? W : i * bw, y: H - 4, 'text-anchor': anchor });
    t.textContent = h.buckets[i].start.slice(0, h.unit === 'hour' ? 16 : h.unit === 'day' ? 10 : 7).replace('T', ' ');
    s.append(t);
  };
  label(0, 'start');
  if (h.buckets.length > 1) label(h.buckets.length - 1, 'end');
  box.append(s);
}

function renderGroups(g, total) {
  const box = $('groups');
  box.replaceChildren();
  if (!g.token) {
    box.append(el('p', { class: 'muted', text: 'choose a token to count its values' }));
    return;
  }
  const max = Math.max(...g.values.map((v) => v.count), 1);
  for (const v of g.values) {
    const bar = el('span', { class: 'gbar' });
    bar.style.width = `${(100 * v.count) / max}%`;
    // The values past those the server keeps, counted together: nothing to filter on.
    const title = v.other
      ? `${v.count} of ${total} have values past the first ones counted one by one`
      : `${v.value}: ${v.count} of ${total} (click to filter)`;
    const row = el(
      'div',
      { class: v.other ? 'group other' : 'group', title, 'data-value': v.value },
      el('span', { class: 'gname', text: v.value }),
      el('span', {}, bar),
      el('span', { class: 'gcount', text: String(v.count) }),
    );
    if (!v.other) row.addEventListener('click', () => addTerm(termFor(g.token, v.value)));
    box.append(row);
  }
  if (g.distinct > g.values.length) {
    box.append(el('p', { class: 'muted', text: `${g.distinct - g.values.length} more values${g.truncated ? ' (and more beyond the table’s size)' : ''}` }));
  }
}

// The term that selects one group-by value: exact (backtick) for text, bare for numbers and
// booleans, `NOT token:*` for events without a value.
function termFor(token, value) {
  if (value === '(missing)') return `NOT ${token}:*`;
  const t = state.tokens.get(token);
  if (t && (t.type === 'integer' || t.type === 'boolean') && /^-?\w+$/.test(value)) return `${token}:${value}`;
  return `${token}:\`${value.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

function addTerm(term) {
  const input = $('filter');
  const v = input.value.trim();
  input.value = !v ? term : /\bOR\b/i.test(v) ? `(${v}) AND ${term}` : `${v} AND ${term}`;
  syncBackdrop();
  schedule(true);
}

function renderTable(res) {
  const table = $('events');
  const head = el('tr', {}, el('th', { text: '#' }), el('th', { text: 'file:line' }));
  for (const c of res.columns) head.append(el('th', { text: c }));
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  res.events.forEach((ev, i) => {
    const tr = el(
      'tr',
      { 'data-index': i },
      el('td', { class: 'where', text: String(res.offset + i + 1) }),
      el('td', { class: 'where', text: `${ev.file}:${ev.line ?? '?'}` }),
    );
    for (const c of ev.cells) tr.append(el('td', { text: c, title: c }));
    tr.addEventListener('click', () => {
      for (const x of body.querySelectorAll('tr.selected')) x.classList.remove('selected');
      tr.classList.add('selected');
      showDetail(ev);
    });
    body.append(tr);
  });
  const last = res.offset + res.events.length;
  $('page').textContent = res.count ? `${res.offset + 1}–${last} of ${res.count}` : 'no events';
  $('prev').disabled = res.offset === 0;
  $('next').disabled = last >= res.count || last >= state.info.limits.offset;
}

async function showDetail(ev) {
  const detail = $('detail');
  detail.hidden = false;
  $('detail-title').textContent = `${ev.file}:${ev.line ?? '?'}`;
  const verdict = $('verdict');
  verdict.textContent = '';
  verdict.className = 'verdict';
  $('explain').replaceChildren();
  $('event-json').textContent = ev.event == null ? '(too large to show)' : pretty(ev.event);
  if (ev.id == null) {
    $('explain').textContent = 'the query stopped before this event\'s place in its file was known: run it again to explain the event';
    return;
  }
  // The server reads the record again from its file, as written (not as this page parsed it).
  const { status, json } = await api('/api/explain', { filter: state.filter, id: ev.id });
  if (status !== 200) {
    $('explain').textContent = json.error || `HTTP ${status}`;
    return;
  }
  verdict.textContent = json.matches ? 'matches' : 'does not match';
  verdict.classList.add(json.matches ? 'yes' : 'no');
  $('explain').append(json.explanation ? renderTree(json.explanation) : el('pre', { text: json.text || '' }));
  detail.scrollIntoView({ block: 'nearest' });
}

// A record indented, its numbers as written (where JSON.rawJSON is missing, the record is shown
// as it is).
function pretty(text) {
  if (typeof JSON.rawJSON !== 'function') return text;
  try {
    return JSON.stringify(parseJson(text, true), null, 2);
  } catch (_) {
    return text;
  }
}

// The explanation (`Filter::explain`): each node with its verdict, the part that decided its
// parent, and at each term the rule and the values found at its path.
function renderTree(why) {
  const ul = el('ul');
  const add = (n, into, decides) => {
    const label = n.kind === 'term' ? n.term : n.kind === 'and' ? 'AND (all of)' : n.kind === 'or' ? 'OR (any of)' : 'NOT';
    const li = el('li', { 'data-kind': n.kind, 'data-verdict': String(n.verdict) },
      el('span', { class: `node ${n.verdict}`, text: label }));
    if (decides) li.append(el('span', { class: 'found', text: ' ← decides' }));
    if (n.kind === 'term') {
      const vals = (n.values || []).map((v) => `${v.passed ? '✓' : '✗'} ${JSON.stringify(v.value)}`);
      if (n.more_values) vals.push(`… ${n.more_values} more`);
      const found = n.missing ? 'missing' : vals.join(', ');
      li.append(el('div', { class: 'found', text: `${n.path}: ${found}` }));
      li.append(el('div', { class: 'found', text: n.rule }));
    }
    if (n.children && n.children.length) {
      const sub = el('ul');
      n.children.forEach((k, i) => add(k, sub, n.decided_by === i));
      li.append(sub);
    }
    into.append(li);
  };
  add(why.tree, ul, false);
  return ul;
}

async function copyRequest() {
  const text = state.check && state.check.request;
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
    $('copied').textContent = 'copied';
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents($('request'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $('copied').textContent = 'selected: press Ctrl+C';
  }
  setTimeout(() => {
    $('copied').textContent = '';
  }, 2000);
}

// Completion of token names, keywords and enum values at the cursor.
function currentWord() {
  const input = $('filter');
  const text = input.value;
  const end = input.selectionStart ?? text.length;
  let start = end;
  while (start > 0 && !/[\s()[\],]/.test(text[start - 1])) start -= 1;
  return { text: text.slice(start, end), start, end };
}

function updateCompletions() {
  const { text, start, end } = currentWord();
  const items = [];
  const colon = text.search(/:|>=|<=|>|</);
  if (colon >= 0) {
    const name = text.slice(0, colon);
    const op = text.slice(colon).match(/^(:|>=|<=|>|<)/)[0];
    const prefix = text.slice(colon + op.length).replace(/^[`'"]/, '').toLowerCase();
    const t = state.tokens.get(name);
    const values = t ? (t.type === 'boolean' ? ['true', 'false'] : t.values) : [];
    for (const v of values) {
      if (v.toLowerCase().startsWith(prefix) && v.toLowerCase() !== prefix) {
        items.push({ insert: `${name}${op}${v}`, label: v, kind: `${t.name} value` });
      }
    }
  } else if (text.length > 0) {
    const lower = text.toLowerCase();
    for (const [name, t] of state.tokens) {
      if (name.toLowerCase().startsWith(lower) && name !== text) {
        items.push({ insert: `${name}:`, label: name, kind: name === t.name ? t.type : `alias of ${t.name}` });
      }
    }
    for (const k of ['AND', 'OR', 'NOT']) {
      if (k.toLowerCase().startsWith(lower) && k.toLowerCase() !== lower) items.push({ insert: `${k} `, label: k, kind: 'keyword' });
    }
  }
  state.completion = { items: items.slice(0, 12), active: 0, from: start, to: end };
  drawCompletions();
}

function drawCompletions() {
  const list = $('completions');
  const c = state.completion;
  list.replaceChildren();
  if (!c.items.length) {
    list.hidden = true;
    return;
  }
  c.items.forEach((it, i) => {
    const li = el('li', { class: i === c.active ? 'active' : '', role: 'option', 'data-insert': it.insert },
      el('span', { text: it.label }), el('span', { class: 'kind', text: it.kind }));
    li.addEventListener('mousedown', (e) => {
      e.preventDefault();
      accept(i);
    });
    list.append(li);
  });
  list.hidden = false;
}

function hideCompletions() {
  state.completion.items = [];
  $('completions').hidden = true;
}

function accept(i) {
  const c = state.completion;
  const it = c.items[i];
  if (!it) return;
  const input = $('filter');
  const v = input.value;
  input.value = v.slice(0, c.from) + it.insert + v.slice(c.to);
  const at = c.from + it.insert.length;
  input.setSelectionRange(at, at);
  hideCompletions();
  syncBackdrop();
  schedule(true);
  if (it.insert.endsWith(':')) updateCompletions();
}

function onKey(e) {
  const c = state.completion;
  if (!c.items.length || $('completions').hidden) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const n = c.items.length;
    c.active = (c.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    drawCompletions();
  } else if (e.key === 'Tab' || e.key === 'Enter') {
    e.preventDefault();
    accept(c.active);
  } else if (e.key === 'Escape') {
    hideCompletions();
  }
}

document.addEventListener('DOMContentLoaded', init);
