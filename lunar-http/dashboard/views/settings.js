// Settings tab: metadata, status, retention, cron, limits, isolation; delete.
import { t, locale } from '../i18n.js';
import { h, field, options, showError, clearFieldErrors, fieldError, confirmDialog, toast, fmtTime } from '../dom.js';
import { get, put, del, fnPath } from '../api.js';
import { setDirty, rerender, navigate, clearDirty } from '../state.js';

const LIMITS = ['timeout_seconds', 'memory_mb', 'max_request_body_bytes', 'max_response_body_bytes', 'max_log_entries', 'max_concurrency', 'cpu_time_ms'];

/** "in N minutes" for a Unix time, in the current locale (the server's rule, §6.3). */
function humanize(unix) {
  const d = Math.floor(unix - Date.now() / 1000);
  if (d < 0) return t('nextRun.overdue');
  if (d < 60) return t('nextRun.soon');
  const n = d < 3600 ? Math.floor(d / 60) : d < 86400 ? Math.floor(d / 3600) : Math.floor(Math.floor(d / 3600) / 24);
  const unit = d < 3600 ? 'minute' : d < 86400 ? 'hour' : 'day';
  return t(`nextRun.${unit}${n === 1 ? '' : 's'}`, { n });
}

export function settingsTab(ctx, fn) {
  const initial = {
    name: fn.name,
    description: fn.description ?? '',
    disabled: fn.disabled,
    retention_days: String(fn.retention_days ?? 7),
    save_response: fn.save_response,
    cron_schedule: fn.cron_schedule ?? '',
    cron_status: fn.cron_status || 'paused',
    isolation: fn.isolation || 'warm',
  };
  const limits = fn.limits || {};
  const inputs = {
    name: h('input', { testid: 'settings-name', value: initial.name, autocomplete: 'off' }),
    description: h('textarea', { testid: 'settings-description', rows: '2', value: initial.description }),
    disabled: h('input', { type: 'checkbox', testid: 'settings-disabled', checked: initial.disabled }),
    retention_days: h('select', { testid: 'settings-retention' }, options(['7', '15', '30', '365'].map((d) => [d, t('settings.days', { n: d })]), initial.retention_days)),
    save_response: h('input', { type: 'checkbox', testid: 'settings-save-response', checked: initial.save_response }),
    cron_schedule: h('input', { class: 'mono', testid: 'cron-schedule', value: initial.cron_schedule, placeholder: '*/5 * * * *', spellcheck: 'false', autocomplete: 'off' }),
    cron_status: h('select', { testid: 'cron-status' }, options([['active', t('cron.active')], ['paused', t('cron.paused')]], initial.cron_status)),
    isolation: h('select', { testid: 'settings-isolation' }, options([['warm', t('settings.isolation.warm')], ['fresh', t('settings.isolation.fresh')]], initial.isolation)),
  };
  const limitInputs = Object.fromEntries(LIMITS.map((m) => [m, h('input', {
    testid: 'settings-limit-' + m, inputmode: 'numeric', class: 'mono', value: limits[m] ?? '', placeholder: t('settings.default'), autocomplete: 'off',
  })]));
  const nextRun = h('span', { testid: 'next-run' }, '…');
  const unsaved = h('span', { class: 'badge warn', testid: 'settings-unsaved', hidden: true }, '● ' + t('code.unsaved'));
  const save = h('button', { class: 'primary', type: 'submit', testid: 'settings-save' }, t('common.save'));

  const value = (k) => (inputs[k].type === 'checkbox' ? inputs[k].checked : inputs[k].value);
  function changes() {
    const body = {};
    for (const k of Object.keys(initial)) if (value(k) !== initial[k]) body[k] = value(k);
    if ('retention_days' in body) body.retention_days = Number(body.retention_days);
    if (LIMITS.some((m) => limitInputs[m].value.trim() !== String(limits[m] ?? ''))) {
      body.limits = {};
      for (const m of LIMITS) {
        const v = limitInputs[m].value.trim();
        if (v !== '') body.limits[m] = /^-?\d+$/.test(v) ? Number(v) : v;
      }
    }
    return body;
  }

  const form = h('form', { class: 'settings', testid: 'settings-form' },
    h('fieldset', {}, h('legend', {}, t('settings.general')),
      field(t('settings.name'), inputs.name, 'name'),
      field(t('settings.description'), inputs.description, 'description'),
      h('label', { class: 'check', dataset: { fieldAnchor: 'disabled' } }, inputs.disabled, ' ', t('settings.disabled')),
      field(t('settings.retention'), inputs.retention_days, 'retention_days', t('settings.retentionHint')),
      h('label', { class: 'check', dataset: { fieldAnchor: 'save_response' } }, inputs.save_response, ' ', t('settings.saveResponse'))),
    h('fieldset', {}, h('legend', {}, t('settings.cron')),
      field(t('settings.cronSchedule'), inputs.cron_schedule, 'cron_schedule', t('settings.cronHint')),
      field(t('settings.cronStatus'), inputs.cron_status, 'cron_status'),
      h('p', {}, t('settings.nextRun'), ': ', nextRun)),
    h('fieldset', {}, h('legend', {}, t('settings.limits')),
      h('p', { class: 'muted small' }, t('settings.limitsHint')),
      h('div', { class: 'grid-2', dataset: { fieldAnchor: 'limits' } },
        LIMITS.map((m) => field(t('limit.' + m), limitInputs[m], 'limits.' + m))),
      field(t('settings.isolation'), inputs.isolation, 'isolation', t('settings.isolationHint'))),
    h('div', { class: 'actions sticky' }, unsaved, save));

  form.addEventListener('input', () => {
    const dirty = Object.keys(changes()).length > 0;
    setDirty('settings', dirty);
    unsaved.hidden = !dirty;
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const body = changes();
    if (body.limits) {
      const bad = LIMITS.find((m) => typeof body.limits[m] === 'string');
      if (bad) { fieldError(form, 'limits', t('settings.integer'), 'limits.' + bad); return; }
    }
    if (!Object.keys(body).length) { toast(t('settings.nothing')); return; }
    save.disabled = true;
    try {
      await put(fnPath(fn.id), body);
      setDirty('settings', false);
      toast(t('settings.saved'));
      rerender();
    } catch (err) {
      showError(err, form);
    } finally {
      save.disabled = false;
    }
  });

  const danger = h('fieldset', { class: 'danger-zone' }, h('legend', {}, t('settings.danger')),
    h('p', { class: 'muted' }, t('settings.deleteHint')),
    h('button', { class: 'danger', testid: 'delete-function', onclick: async () => {
      if (!(await confirmDialog(t('settings.confirmDelete', { name: fn.name }), { ok: t('common.delete'), danger: true }))) return;
      try {
        await del(fnPath(fn.id));
        clearDirty();
        toast(t('settings.deleted', { name: fn.name }));
        navigate('#/functions');
      } catch (err) { showError(err); }
    } }, t('settings.delete')));

  ctx.mount(h('div', { class: 'settings-tab' }, form, danger));

  get(fnPath(fn.id, '/next-run')).then((r) => {
    if (!r.has_schedule) { nextRun.dataset.state = 'none'; nextRun.textContent = t('nextRun.none'); }
    else if (r.is_paused) { nextRun.dataset.state = 'paused'; nextRun.textContent = t('nextRun.paused'); }
    else {
      nextRun.dataset.state = 'scheduled';
      nextRun.dataset.next = r.next_run;
      nextRun.textContent = locale() === 'en' && r.next_run_human ? r.next_run_human : humanize(r.next_run);
      nextRun.title = fmtTime(r.next_run);
    }
  }, (err) => { nextRun.dataset.state = 'error'; nextRun.textContent = err.message; });
}
