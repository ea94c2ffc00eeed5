// The functions list (paged, with a filter over the page) and the create dialog.
import { t } from '../i18n.js';
import { h, field, modal, pager, showError, clearFieldErrors, fmtRelative, fmtTime, statusBadge, fill } from '../dom.js';
import { get, post, query, fnPath } from '../api.js';
import { navigate } from '../state.js';
import { TEMPLATES, templateCode } from '../templates.js';
import { highlight } from '../editor.js';

const PAGE = 20;

export async function functionsView(ctx) {
  ctx.title(t('functions.title'));
  const offset = Math.max(0, parseInt(ctx.params.get('offset') || '0', 10) || 0);
  const data = await get('api/functions' + query({ limit: PAGE, offset }));
  if (!ctx.alive()) return;
  const functions = data.functions || [];

  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', testid: 'fn-empty', hidden: functions.length > 0 }, t('functions.empty'));
  const rows = functions.map((fn) => {
    const last = h('td', { testid: 'fn-last-exec' }, '…');
    const row = h('tr', { testid: 'fn-row', dataset: { id: fn.id, name: fn.name }, class: 'clickable',
      onclick: (e) => { if (!e.target.closest('a')) navigate(`#/functions/${fn.id}/code`); } },
      h('td', {}, h('a', { href: `#/functions/${fn.id}/code`, testid: 'fn-name' }, fn.name),
        h('div', { class: 'muted small mono' }, fn.id)),
      h('td', { testid: 'fn-description', class: 'desc' }, fn.description || ''),
      h('td', {},
        h('span', { class: 'badge ' + (fn.disabled ? 'off' : 'on'), testid: 'fn-status', dataset: { status: fn.disabled ? 'disabled' : 'enabled' } },
          t(fn.disabled ? 'fn.disabled' : 'fn.enabled')),
        fn.cron_schedule ? h('span', { class: 'badge cron', testid: 'fn-cron', title: fn.cron_schedule, dataset: { status: fn.cron_status || 'paused' } },
          t('functions.cron', { status: t('cron.' + (fn.cron_status || 'paused')) })) : null),
      h('td', { testid: 'fn-version' }, fn.active_version && fn.active_version.version ? 'v' + fn.active_version.version : '—'),
      last);
    row._search = `${fn.name}\n${fn.description || ''}\n${fn.id}`.toLowerCase();
    get(fnPath(fn.id, '/executions?limit=1')).then((r) => {
      const ex = r.executions && r.executions[0];
      fill(last, ex
        ? h('a', { href: `#/executions/${ex.id}`, title: fmtTime(ex.created_at) }, statusBadge(ex.status), ' ', fmtRelative(ex.created_at))
        : '—');
    }, () => fill(last, '—'));
    return row;
  });
  tbody.append(...rows);

  const search = h('input', { type: 'search', testid: 'fn-search', placeholder: t('functions.search'), 'aria-label': t('functions.search'),
    oninput: () => {
      const q = search.value.trim().toLowerCase();
      let shown = 0;
      for (const r of rows) { r.hidden = q !== '' && !r._search.includes(q); if (!r.hidden) shown++; }
      noMatch.hidden = shown > 0 || rows.length === 0;
    } });
  const noMatch = h('p', { class: 'empty', testid: 'fn-no-match', hidden: true }, t('functions.noMatch'));

  ctx.mount(h('section', { class: 'page', testid: 'functions-view' },
    h('div', { class: 'page-head' },
      h('h1', {}, t('functions.title')),
      h('span', { class: 'spacer' }),
      h('button', { class: 'primary', testid: 'new-function', onclick: openCreate }, '+ ' + t('functions.new'))),
    h('div', { class: 'toolbar' }, search,
      h('span', { class: 'muted small', testid: 'fn-search-note' }, t('functions.searchNote'))),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'table', testid: 'fn-table' },
        h('thead', {}, h('tr', {},
          h('th', {}, t('functions.name')), h('th', {}, t('functions.description')), h('th', {}, t('functions.status')),
          h('th', {}, t('functions.version')), h('th', {}, t('functions.lastExecution')))),
        tbody)),
    empty, noMatch,
    pager(data.pagination, (o) => navigate('#/functions' + (o ? '?offset=' + o : '')))));
  setTimeout(() => search.focus(), 0);
}

/** The create dialog: name, description and a template; POST api/functions. */
export function openCreate() {
  let chosen = 'hello-world';
  const name = h('input', { testid: 'create-name', autofocus: true, autocomplete: 'off' });
  const description = h('textarea', { testid: 'create-description', rows: '2' });
  const preview = h('pre', { class: 'code-preview', testid: 'template-preview' });
  const cards = TEMPLATES.map(([key]) => h('button', {
    type: 'button', class: 'template', testid: 'template-' + key, dataset: { template: key }, role: 'radio',
    onclick: () => select(key),
  }, h('strong', {}, t('template.' + key)), h('span', { class: 'muted small' }, t('template.' + key + '.hint'))));
  function select(key) {
    chosen = key;
    for (const c of cards) {
      const on = c.dataset.template === key;
      c.classList.toggle('selected', on);
      c.setAttribute('aria-checked', String(on));
    }
    preview.innerHTML = highlight(templateCode(key));
  }
  select(chosen);
  const submit = h('button', { class: 'primary', type: 'submit', testid: 'create-submit' }, t('create.submit'));
  const form = h('form', { class: 'create', testid: 'create-form' },
    h('h2', {}, t('create.title')),
    field(t('create.name'), name, 'name'),
    field(t('create.description'), description, 'description'),
    h('div', { class: 'field', dataset: { fieldAnchor: 'code' } },
      h('span', { class: 'field-label' }, t('create.template')),
      h('div', { class: 'templates', role: 'radiogroup', testid: 'templates' }, cards)),
    preview,
    h('div', { class: 'actions' },
      h('button', { type: 'button', testid: 'create-cancel', onclick: () => close() }, t('common.cancel')),
      submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      const body = { name: name.value, code: templateCode(chosen) };
      if (description.value !== '') body.description = description.value;
      const created = await post('api/functions', body);
      close();
      navigate(`#/functions/${created.id}/code`);
    } catch (err) {
      showError(err, form);
    } finally {
      submit.disabled = false;
    }
  });
  const close = modal(form, { testid: 'create-dialog', wide: true });
}
