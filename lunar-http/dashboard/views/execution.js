// Execution detail: summary, event, response, error, paged logs, AI and e-mail requests.
import { t } from '../i18n.js';
import { h, pager, fmtTime, fmtMs, fmtBytes, prettyJson, statusBadge, fill } from '../dom.js';
import { get, query, enc, fnPath } from '../api.js';

const LOG_PAGE = 50;

/** Splits a formatted runtime error into description, `[CODE]` block and `[TIP]`. */
export function parseErrorMessage(message) {
  let rest = message;
  let tip = null;
  const ti = rest.indexOf('[TIP]');
  if (ti >= 0) {
    const lines = rest.slice(ti + 5).split('\n');
    tip = { headline: lines[0].trim(), bullets: lines.slice(1).map((l) => l.replace(/^\s*•\s?/, '').trim()).filter(Boolean) };
    rest = rest.slice(0, ti);
  }
  let code = null;
  const ci = rest.indexOf('[CODE]');
  if (ci >= 0) {
    const end = rest.indexOf('[/CODE]', ci);
    code = rest.slice(ci + 6, end >= 0 ? end : undefined).replace(/^\n/, '').replace(/\n$/, '');
    rest = rest.slice(0, ci) + (end >= 0 ? rest.slice(end + 7) : '');
  }
  return { description: rest.trim(), code, tip };
}

function errorBlock(message) {
  const { description, code, tip } = parseErrorMessage(message);
  return h('div', { class: 'error-block', testid: 'exec-error' },
    h('pre', { class: 'mono', testid: 'exec-error-message' }, description),
    code != null ? h('pre', { class: 'mono code-excerpt', testid: 'exec-error-code' },
      code.split('\n').map((l) => h('span', { class: l.startsWith('>') ? 'hot' : l.trim() === '^' ? 'caret' : '' }, l + '\n'))) : null,
    tip ? h('div', { class: 'tip', testid: 'exec-error-tip' }, h('strong', {}, tip.headline),
      tip.bullets.length ? h('ul', {}, tip.bullets.map((b) => h('li', {}, b))) : null) : null);
}

function section(title, testid, ...kids) {
  return h('section', { class: 'card', testid }, h('h2', {}, title), ...kids);
}

export async function executionView(ctx, id) {
  const ex = await get(`api/executions/${enc(id)}`).catch((err) => {
    if (err.status === 404) return null;
    throw err;
  });
  if (!ctx.alive()) return;
  if (!ex) {
    ctx.mount(h('div', { class: 'empty', testid: 'exec-not-found' }, t('exec.notFound'), ' ', h('a', { href: '#/functions' }, t('nav.back'))));
    return;
  }
  ctx.title(t('exec.title'));
  const fnName = h('span', {}, ex.function_id);
  get(fnPath(ex.function_id)).then((f) => { fnName.textContent = f.name; }, () => {});
  const version = /_v(\d+)$/.exec(ex.function_version_id || '')?.[1];

  const logs = h('div');
  async function loadLogs(offset) {
    const data = await get(`api/executions/${enc(id)}/logs` + query({ limit: LOG_PAGE, offset }));
    if (!ctx.alive()) return;
    const entries = data.logs || [];
    fill(logs, 
      entries.length ? h('table', { class: 'table compact logs', testid: 'logs-table' }, h('tbody', {}, entries.map((l) =>
        h('tr', { testid: 'log-row', dataset: { level: l.level } },
          h('td', { class: 'nowrap muted small' }, fmtTime(l.created_at)),
          h('td', {}, h('span', { class: 'badge level-' + l.level, testid: 'log-level' }, l.level)),
          h('td', {}, h('pre', { class: 'mono log-message', testid: 'log-message' }, l.message)))))) :
        h('p', { class: 'muted', testid: 'logs-empty' }, t('exec.noLogs')),
      pager(data.pagination, loadLogs, 'logs-page'));
  }

  const ai = h('div');
  const mail = h('div');
  const aiReq = get(`api/executions/${enc(id)}/ai-requests?limit=100`).then((d) => {
    const items = d.ai_requests || [];
    fill(ai, items.length ? h('table', { class: 'table compact', testid: 'ai-table' },
      h('thead', {}, h('tr', {}, ['ai.provider', 'ai.model', 'ai.input', 'ai.output', 'exec.duration', 'exec.status'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, items.map((r) => h('tr', { testid: 'ai-row', dataset: { id: r.id } },
        h('td', { testid: 'ai-provider' }, r.provider), h('td', { class: 'mono', testid: 'ai-model' }, r.model),
        h('td', { testid: 'ai-input-tokens' }, r.input_tokens ?? '—'), h('td', { testid: 'ai-output-tokens' }, r.output_tokens ?? '—'),
        h('td', { testid: 'ai-duration' }, fmtMs(r.duration_ms)),
        h('td', {}, statusBadge(r.status, 'ai-status'), r.error_message ? h('div', { class: 'small field-error-text' }, r.error_message) : null))))) :
      h('p', { class: 'muted', testid: 'ai-empty' }, t('ai.none')));
  }, () => fill(ai, h('p', { class: 'muted' }, '—')));
  const mailReq = get(`api/executions/${enc(id)}/email-requests?limit=100`).then((d) => {
    const items = d.email_requests || [];
    fill(mail, items.length ? h('table', { class: 'table compact', testid: 'email-table' },
      h('thead', {}, h('tr', {}, ['email.to', 'email.subject', 'exec.status', 'exec.duration'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, items.map((r) => h('tr', { testid: 'email-row', dataset: { id: r.id } },
        h('td', { testid: 'email-to' }, (r.to || []).join(', ')), h('td', { testid: 'email-subject' }, r.subject),
        h('td', {}, statusBadge(r.status, 'email-status'), r.error_message ? h('div', { class: 'small field-error-text' }, r.error_message) : null),
        h('td', { testid: 'email-duration' }, fmtMs(r.duration_ms)))))) :
      h('p', { class: 'muted', testid: 'email-empty' }, t('email.none')));
  }, () => fill(mail, h('p', { class: 'muted' }, '—')));

  ctx.mount(h('section', { class: 'page', testid: 'execution-view', dataset: { id: ex.id } },
    h('div', { class: 'crumbs' },
      h('a', { href: `#/functions/${ex.function_id}/executions`, testid: 'exec-function-link' }, '‹ ', fnName, ' · ', t('tab.executions'))),
    h('div', { class: 'page-head' }, h('h1', {}, t('exec.title'), ' ', h('code', { class: 'small', testid: 'exec-id' }, ex.id))),
    h('dl', { class: 'facts' },
      h('dt', {}, t('exec.status')), h('dd', {}, statusBadge(ex.status, 'exec-status')),
      h('dt', {}, t('exec.trigger')), h('dd', { testid: 'exec-trigger' }, t('trigger.' + (ex.trigger || 'http'))),
      h('dt', {}, t('exec.duration')), h('dd', { testid: 'exec-duration' }, fmtMs(ex.duration_ms)),
      h('dt', {}, t('exec.created')), h('dd', { testid: 'exec-created' }, fmtTime(ex.created_at)),
      h('dt', {}, t('exec.version')), h('dd', { testid: 'exec-version' }, version ? 'v' + version : ex.function_version_id),
      ...usageFacts(ex.usage)),
    ex.error_message ? section(t('exec.error'), 'exec-error-section', errorBlock(ex.error_message)) : null,
    section(t('exec.event'), 'exec-event-section', h('pre', { class: 'mono json', testid: 'exec-event' }, ex.event_json ? prettyJson(ex.event_json) : '—')),
    ex.response_json ? section(t('exec.response'), 'exec-response-section', h('pre', { class: 'mono json', testid: 'exec-response' }, prettyJson(ex.response_json))) : null,
    section(t('exec.logs'), 'exec-logs-section', logs),
    section(t('exec.ai'), 'exec-ai-section', ai),
    section(t('exec.email'), 'exec-email-section', mail)));
  await Promise.all([loadLogs(0), aiReq, mailReq]);
}

/** The execution's resource accounting as fact rows (none while it is pending). */
function usageFacts(u) {
  if (!u) return [];
  const calls = Object.entries(u.calls || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(' · ') || '—';
  return [
    h('dt', {}, t('exec.cpu')), h('dd', { testid: 'exec-cpu' }, fmtMs(Math.round(u.cpu_time_us / 100) / 10)),
    h('dt', {}, t('exec.heap')), h('dd', { testid: 'exec-heap' }, fmtBytes(u.peak_heap_bytes)),
    h('dt', {}, t('exec.bytes')), h('dd', { testid: 'exec-bytes' }, `${fmtBytes(u.request_bytes)} / ${fmtBytes(u.response_bytes)}`),
    h('dt', {}, t('exec.outbound')), h('dd', { testid: 'exec-outbound' }, `${fmtBytes(u.outbound_sent_bytes)} / ${fmtBytes(u.outbound_received_bytes)}`),
    h('dt', {}, t('exec.calls')), h('dd', { testid: 'exec-calls' }, calls),
  ];
}
