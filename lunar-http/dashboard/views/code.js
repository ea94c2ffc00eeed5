// Code tab: the editor on the active version's code; save = a new version.
import { t } from '../i18n.js';
import { h, showError, clearFieldErrors, toast } from '../dom.js';
import { put, fnPath } from '../api.js';
import { setDirty, rerender } from '../state.js';
import { createEditor } from '../editor.js';

export function codeTab(ctx, fn) {
  let saved = fn.active_version.code;
  const unsaved = h('span', { class: 'badge warn', testid: 'unsaved', hidden: true }, '● ' + t('code.unsaved'));
  const save = h('button', { class: 'primary', testid: 'save-code', disabled: true, onclick: () => doSave() }, t('code.save'));
  const revert = h('button', { testid: 'revert-code', disabled: true, onclick: () => { editor.value = saved; changed(saved); } }, t('code.revert'));
  const editor = createEditor({ value: saved, onChange: changed, onSave: () => doSave(), label: t('tab.code') });
  const panel = h('div', { class: 'code-tab' },
    h('div', { class: 'toolbar' },
      h('span', { testid: 'code-version', dataset: { version: fn.active_version.version } },
        t('code.editing', { n: fn.active_version.version })),
      unsaved,
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted small' }, t('code.hint')),
      revert, save),
    h('div', { dataset: { fieldAnchor: 'code' } }, editor.el));

  function changed(value) {
    const dirty = value !== saved;
    setDirty('code', dirty);
    unsaved.hidden = !dirty;
    save.disabled = !dirty;
    revert.disabled = !dirty;
  }

  async function doSave() {
    if (editor.value === saved) return;
    clearFieldErrors(panel);
    save.disabled = true;
    try {
      await put(fnPath(fn.id), { code: editor.value });
      saved = editor.value;
      setDirty('code', false);
      toast(t('code.saved'));
      rerender();
    } catch (err) {
      save.disabled = false;
      showError(err, panel);
    }
  }

  ctx.mount(panel);
  editor.focus();
}
