// Executions tab: the function's executions (paged) with status/trigger filters on the page.
import { t } from '../i18n.js';
import { h, options, pager, fmtTime, fmtRelative, fmtMs, statusBadge, fill } from '../dom.js';
import { get, query, fnPath } from '../api.js';
import { navigate } from '../state.js';

const PAGE = 20;

export async function executionsTab(ctx, fn) {
  let offset = 0;
  const status = h('select', { testid: 'exec-filter-status', 'aria-label': t('exec.status'), onchange: filter },
    options([['', t('exec.allStatuses')], ['success', t('status.success')], ['error', t('status.error')], ['pending', t('status.pending')]], ''));
  const trigger = h('select', { testid: 'exec-filter-trigger', 'aria-label': t('exec.trigger'), onchange: filter },
    options([['', t('exec.allTriggers')], ['http', t('trigger.http')], ['cron', t('trigger.cron')]], ''));
  const list = h('div');
  let rows = [];

  function filter() {
    let shown = 0;
    for (const r of rows) {
      r.hidden = (status.value && r.dataset.status !== status.value) || (trigger.value && r.dataset.trigger !== trigger.value);
      if (!r.hidden) shown++;
    }
    const none = list.querySelector('[data-testid=exec-no-match]');
    if (none) none.hidden = shown > 0 || rows.length === 0;
  }

  async function load() {
    const data = await get(fnPath(fn.id, '/executions' + query({ limit: PAGE, offset })));
    if (!ctx.alive()) return;
    const executions = data.executions || [];
    rows = executions.map((ex) => h('tr', {
      testid: 'exec-row', class: 'clickable', dataset: { id: ex.id, status: ex.status, trigger: ex.trigger || 'http' },
      onclick: (e) => { if (!e.target.closest('a')) navigate(`#/executions/${ex.id}`); },
    },
    h('td', {}, statusBadge(ex.status, 'exec-status')),
    h('td', { testid: 'exec-trigger' }, t('trigger.' + (ex.trigger || 'http'))),
    h('td', { testid: 'exec-duration' }, fmtMs(ex.duration_ms)),
    h('td', { title: fmtTime(ex.created_at) }, fmtRelative(ex.created_at)),
    h('td', {}, h('a', { href: `#/executions/${ex.id}`, class: 'mono small', testid: 'exec-link' }, ex.id)),
    h('td', { class: 'muted small truncate' }, ex.error_message ? ex.error_message.split('\n')[0] : '')));
    fill(list, 
      executions.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'exec-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('exec.status')), h('th', {}, t('exec.trigger')), h('th', {}, t('exec.duration')),
          h('th', {}, t('exec.created')), h('th', {}, t('exec.id')), h('th', {}, t('exec.error')))),
        h('tbody', {}, rows))) : h('p', { class: 'empty', testid: 'exec-empty' }, t('exec.empty')),
      h('p', { class: 'empty', testid: 'exec-no-match', hidden: true }, t('exec.noMatch')),
      pager(data.pagination, (o) => { offset = o; load(); }));
    filter();
  }

  ctx.mount(h('div', { class: 'executions-tab' },
    h('div', { class: 'toolbar' }, status, trigger,
      h('span', { class: 'muted small' }, t('exec.filterNote')), h('span', { class: 'spacer' }),
      h('button', { testid: 'exec-refresh', onclick: () => load() }, t('common.refresh'))),
    list));
  await load();
}
