// The command palette (Ctrl+K / Cmd+K): jump to a function by name.
import { t } from '../i18n.js';
import { h, modal, fill } from '../dom.js';
import { get, query } from '../api.js';
import { navigate } from '../state.js';

/** Loads up to 1000 functions, 100 per request. */
async function allFunctions() {
  const out = [];
  for (let offset = 0; offset < 1000; offset += 100) {
    const page = await get('api/functions' + query({ limit: 100, offset }));
    out.push(...(page.functions || []));
    if (offset + 100 >= page.pagination.total) break;
  }
  return out;
}

/**
 * Scores `text` against `q`: substring matches first (earlier is better), then
 * in-order subsequence matches (tighter is better); -1 when no match.
 */
export function fuzzyScore(text, q) {
  if (!q) return 0;
  const s = text.toLowerCase();
  const i = s.indexOf(q);
  if (i >= 0) return 1000 - i;
  let pos = -1, gaps = 0;
  for (const ch of q) {
    const next = s.indexOf(ch, pos + 1);
    if (next < 0) return -1;
    if (pos >= 0) gaps += next - pos - 1;
    pos = next;
  }
  return 500 - gaps;
}

export function openPalette() {
  if (document.querySelector('#modal-root [data-testid="palette"]')) return;
  let functions = [];
  let shown = [];
  let active = 0;
  const input = h('input', { testid: 'palette-input', placeholder: t('palette.placeholder'), autocomplete: 'off', spellcheck: 'false',
    'aria-label': t('palette.title'), autofocus: true });
  const list = h('ul', { class: 'palette-list', role: 'listbox', testid: 'palette-list' });
  const status = h('p', { class: 'muted small', testid: 'palette-status' }, t('common.loading'));

  function draw() {
    const q = input.value.trim().toLowerCase();
    shown = functions.map((f) => [fuzzyScore(f.name, q), f]).filter(([sc]) => sc >= 0)
      .sort((a, b) => b[0] - a[0] || a[1].name.localeCompare(b[1].name)).map(([, f]) => f).slice(0, 50);
    active = Math.min(active, Math.max(0, shown.length - 1));
    fill(list, ...shown.map((f, i) => h('li', {
      role: 'option', testid: 'palette-item', dataset: { id: f.id, name: f.name },
      class: i === active ? 'active' : '', 'aria-selected': String(i === active),
      onmousemove: () => { if (active !== i) { active = i; draw(); } },
      onclick: () => go(f),
    }, h('span', {}, f.name), h('span', { class: 'muted small' }, f.description || ''))));
    status.textContent = shown.length ? '' : t('palette.none');
    status.hidden = shown.length > 0;
    const el = list.children[active];
    if (el) el.scrollIntoView({ block: 'nearest' });
  }
  function go(f) {
    close();
    navigate(`#/functions/${f.id}/code`);
  }
  input.addEventListener('input', () => { active = 0; draw(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); active = Math.min(active + 1, shown.length - 1); draw(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); active = Math.max(active - 1, 0); draw(); }
    else if (e.key === 'Enter') { e.preventDefault(); if (shown[active]) go(shown[active]); }
  });
  const close = modal(h('div', { class: 'palette' }, input, list, status,
    h('p', { class: 'muted small hint' }, t('palette.keys'))), { testid: 'palette' });
  allFunctions().then((fs) => { functions = fs; draw(); }, (err) => { status.textContent = err.message; });
}
