// The function page: header (name, id, invoke URL, status) and its tabs.
import { t } from '../i18n.js';
import { h, copyText, showError, toast, fill } from '../dom.js';
import { get, put, fnPath } from '../api.js';
import { rerender, confirmDiscard } from '../state.js';
import { codeTab } from './code.js';
import { versionsTab } from './versions.js';
import { envTab } from './env.js';
import { kvTab } from './kv.js';
import { settingsTab } from './settings.js';
import { testTab } from './test.js';
import { executionsTab } from './executions.js';
import { metricsTab } from './metrics.js';

const TABS = {
  code: codeTab,
  versions: versionsTab,
  env: envTab,
  kv: kvTab,
  settings: settingsTab,
  test: testTab,
  executions: executionsTab,
  metrics: metricsTab,
};

/** The absolute URL that invokes a function (relative to the mount root). */
export const invokeUrl = (id) => new URL(`fn/${encodeURIComponent(id)}`, document.baseURI).href;

export async function functionView(ctx, id, tab) {
  if (!TABS[tab]) { location.replace(`#/functions/${id}/code`); return; }
  let fn;
  try {
    fn = await get(fnPath(id));
  } catch (err) {
    if (err.status === 404) {
      ctx.mount(h('div', { class: 'empty', testid: 'fn-not-found' }, t('fn.notFound'), ' ', h('a', { href: '#/functions' }, t('nav.back'))));
      return;
    }
    throw err;
  }
  if (!ctx.alive()) return;
  ctx.title(fn.name);
  const url = invokeUrl(fn.id);
  const toggle = h('button', { testid: 'disable', dataset: { disabled: String(fn.disabled) }, onclick: async () => {
    if (!(await confirmDiscard())) return;
    toggle.disabled = true;
    try {
      await put(fnPath(fn.id), { disabled: !fn.disabled });
      toast(t(fn.disabled ? 'fn.enabledToast' : 'fn.disabledToast'));
      rerender();
    } catch (err) { showError(err); toggle.disabled = false; }
  } }, t(fn.disabled ? 'fn.enable' : 'fn.disable'));

  const body = h('div', { class: 'tab-body', testid: 'tab-' + tab + '-panel' });
  ctx.mount(h('section', { class: 'page', testid: 'function-view', dataset: { id: fn.id } },
    h('div', { class: 'crumbs' }, h('a', { href: '#/functions', testid: 'back-to-list' }, '‹ ' + t('functions.title'))),
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', { testid: 'fn-title' }, fn.name),
        fn.description ? h('p', { class: 'muted', testid: 'fn-title-description' }, fn.description) : null,
        h('div', { class: 'meta' },
          h('span', { class: 'badge ' + (fn.disabled ? 'off' : 'on'), testid: 'fn-status', dataset: { status: fn.disabled ? 'disabled' : 'enabled' } },
            t(fn.disabled ? 'fn.disabled' : 'fn.enabled')),
          h('span', { class: 'badge', testid: 'fn-active-version', dataset: { version: fn.active_version.version } },
            t('fn.activeVersion', { n: fn.active_version.version })),
          h('code', { class: 'small', testid: 'fn-id' }, fn.id),
          h('a', { href: url, target: '_blank', rel: 'noopener', class: 'mono small', testid: 'fn-url' }, url),
          h('button', { class: 'link small', testid: 'copy-url', onclick: () => copyText(url) }, t('common.copy')))),
      h('span', { class: 'spacer' }),
      toggle),
    h('nav', { class: 'tabs', role: 'tablist' }, Object.keys(TABS).map((name) =>
      h('a', { href: `#/functions/${fn.id}/${name}`, role: 'tab', testid: 'tab-' + name, class: name === tab ? 'active' : '',
        'aria-selected': String(name === tab) }, t('tab.' + name)))),
    body));
  await TABS[tab]({ ...ctx, body, mount: (el) => { if (ctx.alive()) fill(body, el); } }, fn);
}
