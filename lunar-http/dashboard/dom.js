// DOM helpers shared by every view: element builders, dialogs, banner, toast,
// field errors, pagination and key/value row editors.
import { t, locale } from './i18n.js';

/** Appends children (nodes, strings, arrays, null) to an element. */
function append(el, kids) {
  for (const kid of kids) {
    if (kid == null || kid === false) continue;
    if (Array.isArray(kid)) append(el, kid);
    else el.append(kid instanceof Node ? kid : String(kid));
  }
}

/** Replaces an element's children (nulls and arrays allowed, as in `h`). */
export function fill(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

/**
 * Builds an element. `attrs`: `class`, `testid` (→ data-testid), `on<event>`
 * handlers, `dataset`, boolean properties, `value`; anything else is an attribute.
 */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'testid') el.dataset.testid = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') value = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (['checked', 'disabled', 'hidden', 'selected', 'readOnly'].includes(k)) el[k] = true;
    else el.setAttribute(k, v === true ? '' : v);
  }
  if (tag === 'button' && !el.hasAttribute('type')) el.type = 'button'; // never an accidental submit
  append(el, kids);
  if (value !== undefined) el.value = value;
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
/** Builds an SVG element with attributes. */
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null) continue;
    if (k === 'testid') el.setAttribute('data-testid', v);
    else el.setAttribute(k, v);
  }
  append(el, kids);
  return el;
}

/** `<option>`s from `[value, label]` pairs. */
export function options(pairs, selected) {
  return pairs.map(([v, label]) => h('option', { value: v, selected: String(v) === String(selected) }, label));
}

/** A labelled form field whose wrapper anchors field errors for `field`. */
export function field(label, input, fieldName, hint) {
  return h('label', { class: 'field', dataset: fieldName ? { fieldAnchor: fieldName } : undefined },
    h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}

// ---- banner and toast ----

export function banner(message, kind = 'error') {
  const el = document.getElementById('banner');
  el.replaceChildren(
    h('span', { testid: 'banner-message' }, message),
    h('button', { class: 'icon', testid: 'banner-close', 'aria-label': t('common.close'), onclick: clearBanner }, '×'));
  el.className = 'banner ' + kind;
  el.dataset.testid = 'banner';
  el.hidden = false;
}

export function clearBanner() {
  const el = document.getElementById('banner');
  el.hidden = true;
  el.replaceChildren();
}

let toastTimer;
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 2500);
}

// ---- field errors ----

/** Splits an API message `field: message` into its parts (field null when absent). */
export function splitError(message) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*): ([\s\S]*)$/.exec(message || '');
  return m ? { field: m[1], message: m[2] } : { field: null, message: message || '' };
}

export function clearFieldErrors(scope) {
  if (!scope) return;
  for (const el of scope.querySelectorAll('.field-error')) el.remove();
  for (const el of scope.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** Shows `message` at the end of the anchor of `fieldName` in `scope`; false when there is none. */
export function fieldError(scope, fieldName, message, anchorName = fieldName) {
  const anchor = scope && scope.querySelector(`[data-field-anchor="${CSS.escape(anchorName)}"]`);
  if (!anchor) return false;
  const input = anchor.querySelector('input,textarea,select');
  if (input) input.setAttribute('aria-invalid', 'true');
  anchor.append(h('div', { class: 'field-error', testid: 'field-error', dataset: { field: fieldName } }, message));
  return true;
}

/**
 * Reports an error: next to the field it names inside `scope` when there is an
 * anchor for it, else in the banner. 401s are left to the login view.
 */
export function showError(err, scope) {
  if (err && err.status === 401) return;
  clearFieldErrors(scope);
  const text = err && err.message ? err.message : String(err);
  const { field: name, message } = splitError(text);
  if (name && scope) {
    // `limits: timeout_seconds must be ...` goes next to that member's input.
    const member = name === 'limits' ? /^(\w+)/.exec(message)?.[1] : null;
    if (member && fieldError(scope, name, message, 'limits.' + member)) return;
    if (fieldError(scope, name, message)) return;
  }
  banner(text);
}

// ---- dialogs ----

/** Opens a modal; returns `close()`. Escape and the backdrop close it. */
export function modal(content, { onClose, testid, wide } = {}) {
  const root = document.getElementById('modal-root');
  const previous = document.activeElement;
  const box = h('div', { class: 'modal' + (wide ? ' wide' : ''), role: 'dialog', 'aria-modal': 'true', testid }, content);
  const backdrop = h('div', { class: 'backdrop', onmousedown: (e) => { if (e.target === backdrop) close(); } }, box);
  const onKey = (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(); } };
  backdrop.addEventListener('keydown', onKey);
  let closed = false;
  function close(result) {
    if (closed) return;
    closed = true;
    backdrop.remove();
    if (previous && previous.focus) previous.focus();
    if (onClose) onClose(result);
  }
  root.append(backdrop);
  const first = box.querySelector('[autofocus]') || box.querySelector('input,textarea,select,button');
  if (first) first.focus();
  return close;
}

/** A confirmation dialog; resolves true when confirmed. */
export function confirmDialog(message, { ok = t('common.confirm'), danger = false } = {}) {
  return new Promise((resolve) => {
    let result = false;
    const okBtn = h('button', { class: danger ? 'danger' : 'primary', testid: 'confirm-ok', onclick: () => { result = true; close(); } }, ok);
    const close = modal([
      h('p', { class: 'confirm-message', testid: 'confirm-message' }, message),
      h('div', { class: 'actions' },
        h('button', { testid: 'confirm-cancel', onclick: () => close() }, t('common.cancel')),
        okBtn),
    ], { testid: 'confirm-dialog', onClose: () => resolve(result) });
    okBtn.focus();
  });
}

// ---- formatting ----

export function fmtTime(unix) {
  if (!unix) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(unix * 1000));
}

export function fmtRelative(unix) {
  if (!unix) return '—';
  const d = unix - Date.now() / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(d);
  if (abs < 60) return rtf.format(Math.round(d), 'second');
  if (abs < 3600) return rtf.format(Math.round(d / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(d / 3600), 'hour');
  return rtf.format(Math.round(d / 86400), 'day');
}

/** A byte count with a binary unit: `512 B`, `4.2 KiB`, `3.1 MiB`. */
export function fmtBytes(n) {
  if (n == null) return '—';
  const nf = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  if (n < 1024) return `${nf.format(n)} B`;
  if (n < 1024 * 1024) return `${nf.format(n / 1024)} KiB`;
  return `${nf.format(n / (1024 * 1024))} MiB`;
}

export function fmtMs(ms) {
  return ms == null ? '—' : `${new Intl.NumberFormat(locale()).format(ms)} ms`;
}

/** Pretty-prints text holding JSON; other text unchanged. */
export function prettyJson(text) {
  if (text == null || text === '') return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}

export function statusBadge(status, testid) {
  return h('span', { class: 'badge status-' + status, testid, dataset: { status } }, t('status.' + status));
}

// ---- pagination ----

/** Prev/next controls for a `pagination` object; `onPage(offset)`. */
export function pager(p, onPage, prefix = 'page') {
  if (!p) return null;
  const from = p.total === 0 ? 0 : p.offset + 1;
  const to = Math.min(p.offset + p.limit, p.total);
  return h('div', { class: 'pager', testid: prefix },
    h('button', { testid: prefix + '-prev', disabled: p.offset <= 0, onclick: () => onPage(Math.max(0, p.offset - p.limit)) }, '‹ ' + t('page.prev')),
    h('span', { testid: prefix + '-info' }, t('page.info', { from, to, total: p.total })),
    h('button', { testid: prefix + '-next', disabled: p.offset + p.limit >= p.total, onclick: () => onPage(p.offset + p.limit) }, t('page.next') + ' ›'));
}

// ---- key/value rows ----

/**
 * An editable list of key/value rows. `opts.prefix` names the test ids
 * (`<prefix>-key`, `<prefix>-value`, `<prefix>-remove`, `<prefix>-add`).
 * Returns `{ el, rows(), setMasked(bool) }`; `rows()` gives `[key, value]` pairs.
 */
export function rowsEditor(initial, { prefix, keyTestid, valueTestid, addTestid, masked = false, onChange = () => {},
  keyPlaceholder = t('common.key'), valuePlaceholder = t('common.value') }) {
  const list = h('div', { class: 'rows' });
  let isMasked = masked;
  function addRow(k = '', v = '', focus = false) {
    const key = h('input', { class: 'mono', testid: keyTestid || prefix + '-key', placeholder: keyPlaceholder, value: k, oninput: onChange, autocomplete: 'off', spellcheck: 'false' });
    const val = h('input', { class: 'mono', testid: valueTestid || prefix + '-value', placeholder: valuePlaceholder, value: v, oninput: onChange, autocomplete: 'off', spellcheck: 'false' });
    val.type = isMasked ? 'password' : 'text';
    if (isMasked) val.autocomplete = 'new-password';
    const row = h('div', { class: 'row-kv', testid: prefix + '-row' }, key, val,
      h('button', { class: 'icon', testid: prefix + '-remove', title: t('common.remove'), 'aria-label': t('common.remove'), onclick: () => { row.remove(); onChange(); } }, '×'));
    list.append(row);
    if (focus) key.focus();
  }
  for (const [k, v] of initial) addRow(k, v);
  const add = h('button', { testid: addTestid || prefix + '-add', onclick: () => { addRow('', '', true); onChange(); } }, '+ ' + t('common.addRow'));
  return {
    el: h('div', { class: 'rows-editor' }, list, add),
    rows: () => [...list.children].map((r) => [r.children[0].value, r.children[1].value]),
    setMasked(m) {
      isMasked = m;
      for (const r of list.children) r.children[1].type = m ? 'password' : 'text';
    },
  };
}

/** Copies text to the clipboard, with a toast. */
export async function copyText(text) {
  try { await navigator.clipboard.writeText(text); toast(t('common.copied')); } catch { /* not allowed */ }
}
