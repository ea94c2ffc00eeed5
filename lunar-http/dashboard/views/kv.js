// KV tab: the function's key-value entries (paged, prefix filter), get, set and delete.
import { t } from '../i18n.js';
import { h, field, pager, showError, clearFieldErrors, confirmDialog, toast, fill } from '../dom.js';
import { get, put, del, query, fnPath, enc } from '../api.js';

const PAGE = 20;

export async function kvTab(ctx, fn) {
  let offset = 0;
  const prefix = h('input', { type: 'search', testid: 'kv-prefix', placeholder: t('kv.prefix'), 'aria-label': t('kv.prefix'), spellcheck: 'false' });
  let timer;
  prefix.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { offset = 0; load(); }, 250); });
  const list = h('div');
  const detail = h('div', { class: 'kv-detail card', testid: 'kv-detail', hidden: true });

  const key = h('input', { class: 'mono', testid: 'kv-key', spellcheck: 'false', autocomplete: 'off' });
  const value = h('textarea', { class: 'mono', testid: 'kv-value', rows: '4', spellcheck: 'false' });
  const setBtn = h('button', { class: 'primary', type: 'submit', testid: 'kv-set' }, t('kv.set'));
  const form = h('form', { class: 'card kv-form', testid: 'kv-form' },
    h('h3', {}, t('kv.setTitle')),
    field(t('common.key'), key, 'key'),
    field(t('common.value'), value, 'value'),
    h('div', { class: 'actions' }, setBtn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    if (key.value === '') { showError({ message: 'key: ' + t('kv.keyRequired') }, form); return; }
    setBtn.disabled = true;
    try {
      const saved = await put(fnPath(fn.id, '/kv/' + enc(key.value)), { value: value.value });
      toast(t('kv.saved', { key: saved?.key ?? key.value }));
      await load();
      showEntry(saved || { key: key.value, value: value.value });
    } catch (err) { showError(err, form); } finally { setBtn.disabled = false; }
  });

  function showEntry(entry) {
    detail.hidden = false;
    fill(detail, 
      h('div', { class: 'toolbar' }, h('strong', { class: 'mono', testid: 'kv-detail-key' }, entry.key), h('span', { class: 'spacer' }),
        h('button', { class: 'small', testid: 'kv-edit', onclick: () => { key.value = entry.key; value.value = entry.value; value.focus(); } }, t('kv.edit')),
        h('button', { class: 'small icon', 'aria-label': t('common.close'), onclick: () => { detail.hidden = true; } }, '×')),
      h('pre', { class: 'mono', testid: 'kv-detail-value' }, entry.value));
  }

  async function open(k) {
    try { showEntry(await get(fnPath(fn.id, '/kv/' + enc(k)))); } catch (err) { showError(err); }
  }

  async function remove(k) {
    if (!(await confirmDialog(t('kv.confirmDelete', { key: k }), { ok: t('common.delete'), danger: true }))) return;
    try {
      await del(fnPath(fn.id, '/kv/' + enc(k)));
      toast(t('kv.deleted', { key: k }));
      if (detail.querySelector('[data-testid=kv-detail-key]')?.textContent === k) detail.hidden = true;
      await load();
    } catch (err) { showError(err); }
  }

  async function load() {
    let data;
    try {
      data = await get(fnPath(fn.id, '/kv' + query({ limit: PAGE, offset, prefix: prefix.value })));
    } catch (err) {
      if (err.status === 404 && err.message !== 'Function not found') {
        fill(list, h('p', { class: 'empty', testid: 'kv-unavailable' }, t('kv.unavailable')));
        return;
      }
      throw err;
    }
    if (!ctx.alive()) return;
    const entries = data.entries || [];
    fill(list, 
      entries.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'kv-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('common.key')), h('th', {}, t('common.value')), h('th', {}))),
        h('tbody', {}, entries.map((e) => h('tr', { testid: 'kv-row', class: 'clickable', dataset: { key: e.key }, onclick: (ev) => { if (!ev.target.closest('button')) open(e.key); } },
          h('td', { class: 'mono', testid: 'kv-row-key' }, e.key),
          h('td', { class: 'mono truncate', testid: 'kv-row-value' }, e.value.length > 120 ? e.value.slice(0, 120) + '…' : e.value),
          h('td', { class: 'row-actions' }, h('button', { class: 'small danger', testid: 'kv-delete', onclick: () => remove(e.key) }, t('common.delete')))))))) :
        h('p', { class: 'empty', testid: 'kv-empty' }, t(prefix.value ? 'kv.noMatch' : 'kv.empty')),
      pager(data.pagination, (o) => { offset = o; load(); }));
  }

  ctx.mount(h('div', { class: 'kv-tab' },
    h('div', { class: 'split-2' },
      h('div', {},
        h('div', { class: 'toolbar' }, prefix, h('button', { testid: 'kv-refresh', onclick: () => load() }, t('common.refresh'))),
        list),
      h('div', {}, detail, form))));
  await load();
}
