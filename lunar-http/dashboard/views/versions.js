// Versions tab: list, activate, delete, view code, and a diff between two versions.
import { t } from '../i18n.js';
import { h, modal, pager, showError, confirmDialog, fmtTime, fmtRelative, options, toast, fill } from '../dom.js';
import { get, post, del, query, fnPath, enc } from '../api.js';
import { rerender } from '../state.js';
import { highlight } from '../editor.js';

const PAGE = 20;
let diffMode = localStorage.getItem('lunar.diffMode') === 'split' ? 'split' : 'inline';

export async function versionsTab(ctx, fn) {
  const listBox = h('div');
  const diffBox = h('div', { class: 'diff-box' });
  ctx.mount(h('div', { class: 'versions-tab' },
    h('h2', {}, t('versions.title')), listBox,
    h('h2', {}, t('diff.title')), diffBox));

  async function loadList(offset) {
    const data = await get(fnPath(fn.id, '/versions' + query({ limit: PAGE, offset })));
    if (!ctx.alive()) return;
    fill(listBox, 
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'versions-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('versions.version')), h('th', {}, t('versions.created')), h('th', {}, t('versions.state')), h('th', {}))),
        h('tbody', {}, data.versions.map((v) => h('tr', { testid: 'version-row', dataset: { id: v.id, version: v.version, active: String(v.is_active) } },
          h('td', { testid: 'version-number' }, 'v' + v.version),
          h('td', { title: fmtTime(v.created_at) }, fmtRelative(v.created_at)),
          h('td', {}, v.is_active ? h('span', { class: 'badge on', testid: 'version-active' }, t('versions.active')) : ''),
          h('td', { class: 'row-actions' },
            h('button', { class: 'small', testid: 'version-view', onclick: () => viewCode(v) }, t('versions.view')),
            h('button', { class: 'small', testid: 'version-activate', disabled: v.is_active, onclick: () => activate(v) }, t('versions.activate')),
            h('button', { class: 'small danger', testid: 'version-delete', onclick: () => remove(v) }, t('common.delete')))))))),
      pager(data.pagination, loadList));
  }

  function viewCode(v) {
    const pre = h('pre', { class: 'code-view', testid: 'version-code' });
    pre.innerHTML = highlight(v.code);
    const close = modal([h('h2', {}, t('versions.codeOf', { n: v.version })), pre,
      h('div', { class: 'actions' }, h('button', { onclick: () => close() }, t('common.close')))], { wide: true, testid: 'version-dialog' });
  }

  async function activate(v) {
    try {
      await post(fnPath(fn.id, `/versions/${enc(v.id)}/activate`));
      toast(t('versions.activated', { n: v.version }));
      rerender();
    } catch (err) { showError(err); }
  }

  async function remove(v) {
    if (!(await confirmDialog(t('versions.confirmDelete', { n: v.version }), { ok: t('common.delete'), danger: true }))) return;
    try {
      await del(fnPath(fn.id, `/versions/${enc(v.id)}`));
      toast(t('versions.deleted', { n: v.version }));
      rerender();
    } catch (err) { showError(err); }
  }

  // The diff selectors list up to 100 versions (newest first).
  async function loadDiff() {
    const all = (await get(fnPath(fn.id, '/versions?limit=100'))).versions;
    if (!ctx.alive()) return;
    if (all.length < 2) {
      fill(diffBox, h('p', { class: 'muted', testid: 'diff-need-two' }, t('diff.needTwo')));
      return;
    }
    const numbers = all.map((v) => [v.version, 'v' + v.version + (v.is_active ? ' ★' : '')]);
    const from = h('select', { testid: 'diff-from', 'aria-label': t('diff.from'), onchange: show }, options(numbers, all[1].version));
    const to = h('select', { testid: 'diff-to', 'aria-label': t('diff.to'), onchange: show }, options(numbers, all[0].version));
    const modeButtons = ['inline', 'split'].map((m) => h('button', {
      class: 'small' + (m === diffMode ? ' selected' : ''), testid: 'diff-' + m, 'aria-pressed': String(m === diffMode),
      onclick: () => { diffMode = m; localStorage.setItem('lunar.diffMode', m); for (const b of modeButtons) { const on = b.dataset.testid === 'diff-' + m; b.classList.toggle('selected', on); b.setAttribute('aria-pressed', String(on)); } draw(); },
    }, t('diff.' + m)));
    const out = h('div');
    let lines = [];
    fill(diffBox, 
      h('div', { class: 'toolbar' }, h('label', {}, t('diff.from'), ' ', from), h('label', {}, t('diff.to'), ' ', to),
        h('span', { class: 'spacer' }), h('div', { class: 'segmented' }, modeButtons)),
      out);
    async function show() {
      try {
        const d = await get(fnPath(fn.id, `/diff/${enc(from.value)}/${enc(to.value)}`));
        lines = d.diff || [];
        draw();
      } catch (err) { showError(err); }
    }
    function draw() { fill(out, renderDiff(lines, diffMode)); }
    await show();
  }

  await Promise.all([loadList(0), loadDiff()]);
}

/** A diff as a table, inline (one column with +/- gutters) or side by side. */
export function renderDiff(lines, mode) {
  const added = lines.filter((l) => l.line_type === 'added').length;
  const removed = lines.filter((l) => l.line_type === 'removed').length;
  const summary = h('p', { class: 'muted small', testid: 'diff-summary', dataset: { added, removed } }, t('diff.summary', { added, removed }));
  if (!lines.length) return h('div', { testid: 'diff', dataset: { mode } }, summary, h('p', { class: 'muted', testid: 'diff-empty' }, t('diff.empty')));
  const sign = { added: '+', removed: '-', unchanged: ' ' };
  const code = (text) => { const c = h('code'); c.innerHTML = highlight(text); return c; };
  const line = (l) => ({ type: l.line_type, old: l.old_line, new: l.new_line });
  let body;
  if (mode === 'split') {
    const rows = [];
    for (let i = 0; i < lines.length;) {
      if (lines[i].line_type === 'unchanged') { rows.push([lines[i], lines[i]]); i++; continue; }
      const rem = [], add = [];
      while (i < lines.length && lines[i].line_type === 'removed') rem.push(lines[i++]);
      while (i < lines.length && lines[i].line_type === 'added') add.push(lines[i++]);
      for (let k = 0; k < Math.max(rem.length, add.length); k++) rows.push([rem[k], add[k]]);
    }
    const cell = (l, side) => {
      if (!l) return [h('td', { class: 'ln empty' }), h('td', { class: 'diff-code empty' })];
      const n = side === 'old' ? l.old_line : l.new_line;
      const d = line(l);
      return [h('td', { class: 'ln' }, n),
        h('td', { class: 'diff-code ' + l.line_type, testid: 'diff-line', dataset: { type: d.type, side, old: d.old ?? '', new: d.new ?? '' } },
          h('span', { class: 'sign' }, sign[l.line_type]), code(l.content))];
    };
    body = h('table', { class: 'diff split' }, h('tbody', {}, rows.map(([a, b]) => h('tr', {}, cell(a, 'old'), cell(b, 'new')))));
  } else {
    body = h('table', { class: 'diff inline' }, h('tbody', {}, lines.map((l) => h('tr', {
      class: l.line_type, testid: 'diff-line', dataset: { type: l.line_type, old: l.old_line ?? '', new: l.new_line ?? '' },
    }, h('td', { class: 'ln' }, l.old_line ?? ''), h('td', { class: 'ln' }, l.new_line ?? ''),
    h('td', { class: 'sign' }, sign[l.line_type]), h('td', { class: 'diff-code' }, code(l.content))))));
  }
  return h('div', { testid: 'diff', dataset: { mode } }, summary, h('div', { class: 'table-wrap' }, body));
}
