// Environment tab: key/value rows, values masked until revealed; save replaces the set.
import { t } from '../i18n.js';
import { h, rowsEditor, showError, clearFieldErrors, fieldError, toast } from '../dom.js';
import { put, fnPath } from '../api.js';
import { setDirty, rerender } from '../state.js';

export function envTab(ctx, fn) {
  const initial = Object.entries(fn.env_vars || {});
  const snapshot = JSON.stringify(initial);
  let revealed = false;
  const unsaved = h('span', { class: 'badge warn', testid: 'env-unsaved', hidden: true }, '● ' + t('code.unsaved'));
  const editor = rowsEditor(initial, {
    prefix: 'env', masked: true, keyPlaceholder: 'API_KEY', valuePlaceholder: t('common.value'),
    onChange: () => {
      const dirty = JSON.stringify(editor.rows()) !== snapshot;
      setDirty('env', dirty);
      unsaved.hidden = !dirty;
    },
  });
  const reveal = h('button', { testid: 'env-reveal', 'aria-pressed': 'false', onclick: () => {
    revealed = !revealed;
    editor.setMasked(!revealed);
    reveal.textContent = t(revealed ? 'env.hide' : 'env.reveal');
    reveal.setAttribute('aria-pressed', String(revealed));
  } }, t('env.reveal'));
  const save = h('button', { class: 'primary', testid: 'env-save', onclick: doSave }, t('common.save'));
  const panel = h('div', { class: 'env-tab' },
    h('p', { class: 'muted' }, t('env.intro')),
    h('div', { class: 'toolbar' }, reveal, unsaved, h('span', { class: 'spacer' }), save),
    h('div', { class: 'rows-head' }, h('span', {}, t('common.key')), h('span', {}, t('common.value'))),
    h('div', { dataset: { fieldAnchor: 'env_vars' }, testid: 'env-rows' }, editor.el),
    h('span', { dataset: { fieldAnchor: 'env_var_key' } }),
    h('span', { dataset: { fieldAnchor: 'env_var_value' } }));

  async function doSave() {
    clearFieldErrors(panel);
    const env = {};
    for (const [k, v] of editor.rows()) {
      if (k === '' && v === '') continue; // an untouched new row
      if (Object.hasOwn(env, k)) { fieldError(panel, 'env_var_key', t('env.duplicate', { key: k })); return; }
      env[k] = v;
    }
    save.disabled = true;
    try {
      await put(fnPath(fn.id, '/env'), { env_vars: env });
      setDirty('env', false);
      toast(t('env.saved'));
      rerender();
    } catch (err) {
      showError(err, panel);
    } finally {
      save.disabled = false;
    }
  }
  ctx.mount(panel);
}
