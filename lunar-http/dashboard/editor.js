// A small code editor: a transparent <textarea> over a highlighted <pre>, with
// line numbers, Tab indentation and completions for Lunar's JavaScript API.
import { h } from './dom.js';

// ---- Lunar's API, for completions ----

const API = {
  log: { info: '(message)', debug: '(message)', warn: '(message)', error: '(message)' },
  console: { log: '(...args)', info: '(...args)', debug: '(...args)', warn: '(...args)', error: '(...args)' },
  kv: { get: '(key) → Promise<string | null>', set: '(key, value) → Promise<true>', delete: '(key) → Promise<true>' },
  env: { get: '(key) → string | null', set: '(key, value) → Promise<true>', delete: '(key) → Promise<true>' },
  http: {
    get: '(url, options?) → Promise<{statusCode, headers, body}>', post: '(url, options?) → Promise<…>',
    put: '(url, options?) → Promise<…>', patch: '(url, options?) → Promise<…>', delete: '(url, options?) → Promise<…>',
    request: '({url, method, headers, query, body, timeoutMs}) → Promise<…>',
  },
  json: { encode: '(value) → string', decode: '(text) → value' },
  base64: { encode: '(data) → string', decode: '(text) → string', decodeBytes: '(text) → Uint8Array' },
  crypto: {
    md5: '(data) → hex', sha1: '(data) → hex', sha256: '(data) → hex', sha512: '(data) → hex',
    hmacSha1: '(message, key) → hex', hmacSha256: '(message, key) → hex', hmacSha512: '(message, key) → hex',
    uuid: '() → string', randomUUID: '() → string', getRandomValues: '(typedArray) → typedArray',
  },
  time: { now: '() → Unix seconds', format: '(ts, layout) → string', parse: '(text, layout) → Unix seconds', sleep: '(ms) → Promise<void>' },
  url: { parse: '(text) → {scheme, host, path, query, fragment}', encode: '(text) → string', decode: '(text) → string' },
  strings: {
    trim: '(s)', trimLeft: '(s)', trimRight: '(s)', split: '(s, sep) → string[]', join: '(array, sep)',
    hasPrefix: '(s, prefix) → boolean', hasSuffix: '(s, suffix) → boolean', contains: '(s, sub) → boolean',
    replace: '(s, old, new, n = -1)', toLower: '(s)', toUpper: '(s)', repeat: '(s, n)',
  },
  random: { int: '(min, max) → number', float: '() → number', string: '(n) → string', bytes: '(n) → base64', hex: '(n) → hex', id: '() → xid' },
  router: { match: '(path, pattern) → boolean', params: '(path, pattern) → object', path: '(pattern, params?) → string', url: '(pattern, params?) → string' },
  ai: { chat: '({provider, model, messages, maxTokens?, temperature?}) → Promise<{content, model, usage}>' },
  email: { send: '({from, to, subject, text?, html?, replyTo?, cc?, bcc?}) → Promise<{id}>' },
  ctx: { executionId: 'string', functionId: 'string', functionName: 'string', startedAt: 'number', version: 'string', trigger: '"http" | "cron"', baseUrl: 'string' },
  event: { method: 'string', path: 'string', relativePath: 'string', headers: 'object', query: 'object', body: 'string' },
};

const GLOBAL_FUNCTIONS = {
  fetch: '(input, init?) → Promise<Response>', setTimeout: '(fn, ms) → id', clearTimeout: '(id)',
  atob: '(base64) → string', btoa: '(text) → base64', structuredClone: '(value)',
  Response: 'class', Request: 'class', Headers: 'class', URL: 'class', URLSearchParams: 'class',
  TextEncoder: 'class', TextDecoder: 'class',
};

/** Every completion item: `{label, detail, member?}`. */
const ITEMS = [
  ...Object.keys(API).map((ns) => ({ label: ns, detail: 'namespace' })),
  ...Object.entries(GLOBAL_FUNCTIONS).map(([label, detail]) => ({ label, detail })),
  ...Object.entries(API).flatMap(([ns, members]) =>
    Object.entries(members).map(([m, detail]) => ({ label: `${ns}.${m}`, member: m, ns, detail }))),
];

/** Completions for the text before the caret; `{from, items}` or null. */
export function completionsAt(before, explicit) {
  const member = /([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)?$/.exec(before);
  if (member) {
    const [, ns, partial = ''] = member;
    const prevChar = before[member.index - 1];
    if (!API[ns] || prevChar === '.') return null;
    const p = partial.toLowerCase();
    const items = ITEMS.filter((i) => i.ns === ns && i.member.toLowerCase().startsWith(p));
    return items.length ? { from: before.length - partial.length, items, insert: (i) => i.member } : null;
  }
  if (!explicit) return null;
  const word = /[A-Za-z_$][\w$]*$/.exec(before);
  const partial = word ? word[0] : '';
  const p = partial.toLowerCase();
  const items = ITEMS.filter((i) => i.label.toLowerCase().startsWith(p));
  return items.length ? { from: before.length - partial.length, items, insert: (i) => i.label } : null;
}

// ---- highlighting ----

const KEYWORDS = new Set(('async await break case catch class const continue debugger default delete do else export extends ' +
  'finally for from function if import in instanceof let new of return static super switch this throw try typeof var void while with yield').split(' '));
const LITERALS = new Set(['true', 'false', 'null', 'undefined', 'NaN', 'Infinity']);
const BUILTINS = new Set([...Object.keys(API), ...Object.keys(GLOBAL_FUNCTIONS), 'JSON', 'Math', 'Date', 'Promise', 'Object', 'Array',
  'String', 'Number', 'Boolean', 'Error', 'TypeError', 'RangeError', 'Map', 'Set', 'RegExp', 'Symbol', 'BigInt', 'Uint8Array', 'ArrayBuffer']);

const TOKEN = /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)|(`(?:[^`\\]|\\[\s\S])*`?)|(0[xXbBoO][\da-fA-F_]+n?|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?n?)|([A-Za-z_$][\w$]*)|(\/(?![*/])(?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[dgimsuy]*)/g;
const REGEX_AFTER = /(?:^|[(,=:[!&|?{};+\-*%<>~^]|\breturn|\btypeof|\bcase)\s*$/;

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const span = (cls, text) => `<span class="tok-${cls}">${esc(text)}</span>`;

/** JavaScript source → highlighted HTML (every character kept, escaped). */
export function highlight(src) {
  let out = '';
  let last = 0;
  TOKEN.lastIndex = 0;
  let m;
  while ((m = TOKEN.exec(src))) {
    const start = m.index;
    const text = m[0];
    if (m[6] && !REGEX_AFTER.test(src.slice(Math.max(0, start - 12), start))) {
      // A division, not a regular expression: emit the slash and go on after it.
      TOKEN.lastIndex = start + 1;
      continue;
    }
    out += esc(src.slice(last, start));
    if (m[1]) out += span('com', text);
    else if (m[2]) out += span('str', text);
    else if (m[3]) out += span('tpl', text);
    else if (m[4]) out += span('num', text);
    else if (m[6]) out += span('re', text);
    else {
      const prev = src[start - 1];
      const next = /^\s*\(/.test(src.slice(start + text.length, start + text.length + 40));
      if (prev === '.') out += next ? span('fn', text) : esc(text);
      else if (KEYWORDS.has(text)) out += span('kw', text);
      else if (LITERALS.has(text)) out += span('lit', text);
      else if (BUILTINS.has(text)) out += span('glob', text);
      else if (next) out += span('fn', text);
      else out += esc(text);
    }
    last = start + text.length;
  }
  return out + esc(src.slice(last));
}

// ---- the editor ----

const INDENT = '  ';

/**
 * Creates an editor. `onChange(value)` after each edit; `onSave()` on Ctrl/Cmd+S.
 * The textarea (test id `editor`) is the source of truth: setting its `value`
 * and dispatching `input` works like typing.
 */
export function createEditor({ value = '', onChange = () => {}, onSave = () => {}, testid = 'editor', label = 'Code' } = {}) {
  const code = h('code');
  const pre = h('pre', { class: 'hl', 'aria-hidden': 'true' }, code);
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const ta = h('textarea', { class: 'input', testid, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off', 'aria-label': label });
  ta.value = value;
  const popup = h('ul', { class: 'completions', role: 'listbox', testid: 'completions', hidden: true });
  const area = h('div', { class: 'editor-area' }, pre, ta, popup);
  const el = h('div', { class: 'editor' }, gutter, area);

  let lines = -1;
  let frame = 0;
  function paint() {
    frame = 0;
    code.innerHTML = highlight(ta.value) + '\n';
    const n = ta.value.split('\n').length;
    if (n !== lines) {
      lines = n;
      gutter.textContent = Array.from({ length: n }, (_, i) => i + 1).join('\n');
    }
    syncScroll();
  }
  function schedule() { if (!frame) frame = requestAnimationFrame(paint); }
  function syncScroll() {
    pre.scrollTop = ta.scrollTop;
    pre.scrollLeft = ta.scrollLeft;
    gutter.scrollTop = ta.scrollTop;
  }
  ta.addEventListener('scroll', () => { syncScroll(); hidePopup(); });

  // Inserts text over [start, end) keeping the browser's undo history where possible.
  let suppress = false;
  function insert(text, start = ta.selectionStart, end = ta.selectionEnd) {
    suppress = true;
    ta.focus();
    ta.setSelectionRange(start, end);
    let ok = false;
    try { ok = document.execCommand('insertText', false, text); } catch { ok = false; }
    if (!ok || ta.value.slice(start, start + text.length) !== text) {
      ta.setRangeText(text, start, end, 'end');
      ta.dispatchEvent(new Event('input', { bubbles: true }));
    }
    suppress = false;
  }

  // ---- completions popup ----
  let state = null; // {from, items, insert, active, explicit}
  function hidePopup() { state = null; popup.hidden = true; popup.replaceChildren(); }
  function showPopup(explicit) {
    const pos = ta.selectionStart;
    if (pos !== ta.selectionEnd) return hidePopup();
    const before = ta.value.slice(0, pos);
    const lineStart = before.lastIndexOf('\n') + 1;
    const found = completionsAt(before.slice(lineStart), explicit);
    if (!found) return hidePopup();
    state = { ...found, from: lineStart + found.from, active: 0, explicit };
    drawPopup();
  }
  function drawPopup() {
    popup.replaceChildren(...state.items.slice(0, 40).map((item, i) => h('li', {
      role: 'option', testid: 'completion', dataset: { label: item.label }, class: i === state.active ? 'active' : '',
      'aria-selected': String(i === state.active),
      onmousedown: (e) => { e.preventDefault(); state.active = i; accept(); },
    }, h('span', { class: 'mono' }, item.label), h('span', { class: 'muted small' }, item.detail))));
    // Place it under the caret (monospace: columns × character width).
    const before = ta.value.slice(0, ta.selectionStart);
    const row = before.split('\n').length;
    const col = before.slice(before.lastIndexOf('\n') + 1).replace(/\t/g, INDENT).length;
    const cs = getComputedStyle(ta);
    const lh = parseFloat(cs.lineHeight) || 20;
    const left = parseFloat(cs.paddingLeft) + col * charWidth() - ta.scrollLeft;
    const top = parseFloat(cs.paddingTop) + row * lh - ta.scrollTop;
    popup.style.left = Math.max(0, Math.min(left, area.clientWidth - 260)) + 'px';
    popup.style.top = Math.min(top, area.clientHeight - 40) + 'px';
    popup.hidden = false;
    const active = popup.children[state.active];
    if (active) active.scrollIntoView({ block: 'nearest' });
  }
  let cw = 0;
  function charWidth() {
    if (!cw) {
      const probe = h('span', {}, 'x'.repeat(100));
      code.append(probe);
      cw = probe.getBoundingClientRect().width / 100 || 8;
      probe.remove();
    }
    return cw;
  }
  function accept() {
    const { items, active, from, insert: text } = state;
    hidePopup();
    insert(text(items[active]), from, ta.selectionStart);
  }

  ta.addEventListener('input', () => {
    schedule();
    onChange(ta.value);
    if (suppress) return;
    const typed = ta.value[ta.selectionStart - 1] || '';
    showPopup(Boolean(state && state.explicit && /[\w$.]/.test(typed)));
  });

  ta.addEventListener('keydown', (e) => {
    if (state) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = Math.min(state.items.length, 40);
        state.active = (state.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
        drawPopup();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        accept();
        return;
      }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); hidePopup(); return; }
    }
    if (e.key === ' ' && e.ctrlKey) { e.preventDefault(); showPopup(true); return; }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); onSave(); return; }
    if (e.key === 'Tab' && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      indent(e.shiftKey);
    }
  });
  ta.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== ta) hidePopup(); }, 100));
  ta.addEventListener('click', hidePopup);

  // Tab inserts two spaces; with a multi-line selection (or Shift) it indents/outdents lines.
  function indent(outdent) {
    const { selectionStart: s, selectionEnd: end, value: v } = ta;
    if (!outdent && !v.slice(s, end).includes('\n')) { insert(INDENT); return; }
    const from = v.lastIndexOf('\n', s - 1) + 1;
    const block = v.slice(from, end);
    const changed = block.split('\n').map((l) => (outdent ? l.replace(/^( {1,2}|\t)/, '') : INDENT + l)).join('\n');
    insert(changed, from, end);
    ta.setSelectionRange(from, from + changed.length);
  }

  paint();
  return {
    el,
    textarea: ta,
    get value() { return ta.value; },
    set value(v) { ta.value = v; hidePopup(); paint(); },
    focus() { ta.focus(); },
  };
}
