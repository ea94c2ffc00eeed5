// Test tab: a request builder that calls fn/{id}{subpath}?{query} and shows the response.
import { t } from '../i18n.js';
import { h, options, rowsEditor, banner, fmtMs, fill } from '../dom.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** The last request per function, kept while the page is open. */
const drafts = new Map();

export function testTab(ctx, fn) {
  const draft = drafts.get(fn.id) || { method: 'GET', path: '', query: [], headers: [['Content-Type', 'application/json']], body: '' };
  const method = h('select', { testid: 'req-method', 'aria-label': t('req.method') }, options(METHODS.map((m) => [m, m]), draft.method));
  const path = h('input', { class: 'mono', testid: 'req-path', placeholder: '/users/42', value: draft.path, spellcheck: 'false', autocomplete: 'off', 'aria-label': t('req.path') });
  const q = rowsEditor(draft.query, { prefix: 'req-query', addTestid: 'req-query-add' });
  const hd = rowsEditor(draft.headers, { prefix: 'req-header', addTestid: 'req-header-add', keyPlaceholder: t('req.headerName') });
  const body = h('textarea', { class: 'mono', testid: 'req-body', rows: '6', spellcheck: 'false', value: draft.body, placeholder: '{"hello": "world"}' });
  const send = h('button', { class: 'primary', type: 'submit', testid: 'req-send' }, t('req.send'));
  const result = h('div', { class: 'response', testid: 'response' });
  const base = `fn/${encodeURIComponent(fn.id)}`;
  const urlPreview = h('code', { class: 'small', testid: 'req-url' });

  function target() {
    let p = path.value.trim();
    if (p && !p.startsWith('/')) p = '/' + p;
    const qs = new URLSearchParams();
    for (const [k, v] of q.rows()) if (k !== '') qs.append(k, v);
    const s = qs.toString();
    return base + encodeURI(p).replace(/%25([0-9A-Fa-f]{2})/g, '%$1') + (s ? '?' + s : '');
  }
  function remember() {
    drafts.set(fn.id, { method: method.value, path: path.value, query: q.rows(), headers: hd.rows(), body: body.value });
    urlPreview.textContent = method.value + ' ' + new URL(target(), document.baseURI).href;
    body.disabled = method.value === 'GET';
  }

  const form = h('form', { class: 'request', testid: 'request-form', oninput: remember, onchange: remember, onclick: () => setTimeout(remember) },
    h('div', { class: 'req-line' }, method, h('span', { class: 'mono muted base' }, base), path, send),
    urlPreview,
    h('div', { class: 'grid-2' },
      h('div', { testid: 'req-query' }, h('h3', {}, t('req.query')), q.el),
      h('div', { testid: 'req-headers' }, h('h3', {}, t('req.headers')), hd.el)),
    h('h3', {}, t('req.body')), body);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    remember();
    send.disabled = true;
    fill(result, h('p', { class: 'muted' }, t('req.sending')));
    const headers = new Headers();
    try {
      for (const [k, v] of hd.rows()) if (k.trim() !== '') headers.append(k.trim(), v);
    } catch (err) { banner(t('req.badHeader', { message: err.message })); send.disabled = false; return; }
    const started = performance.now();
    try {
      // No cookies: the function must see the request a caller outside the dashboard
      // would send, never the dashboard's session token.
      const res = await fetch(target(), {
        method: method.value, headers, credentials: 'omit', cache: 'no-store',
        body: method.value === 'GET' ? undefined : body.value,
      });
      const text = await res.text();
      showResponse(res, text, Math.round(performance.now() - started));
    } catch (err) {
      fill(result, h('p', { class: 'field-error', testid: 'resp-error' }, t('req.failed', { message: err.message })));
    } finally {
      send.disabled = false;
    }
  });

  function showResponse(res, text, elapsed) {
    const execId = res.headers.get('X-Execution-Id');
    const type = res.headers.get('Content-Type') || '';
    const headerRows = [...res.headers.entries()].map(([k, v]) => h('tr', { testid: 'resp-header', dataset: { name: k } }, h('th', { class: 'mono' }, k), h('td', { class: 'mono' }, v)));
    let pretty = text;
    let isJson = false;
    if (/json/i.test(type) || /^\s*[[{]/.test(text)) {
      try { pretty = JSON.stringify(JSON.parse(text), null, 2); isJson = true; } catch { /* not JSON */ }
    }
    const isHtml = /^text\/html/i.test(type);
    const duration = res.headers.get('X-Execution-Duration-Ms');
    fill(result, 
      h('div', { class: 'toolbar' },
        h('span', { class: 'badge ' + (res.ok ? 'status-success' : 'status-error'), testid: 'resp-status', dataset: { status: res.status } }, String(res.status), res.statusText ? ' ' + res.statusText : ''),
        h('span', { class: 'muted small', testid: 'resp-duration' }, duration != null ? t('req.duration', { ms: fmtMs(Number(duration)), total: fmtMs(elapsed) }) : fmtMs(elapsed)),
        h('span', { class: 'spacer' }),
        execId ? h('a', { href: `#/executions/${encodeURIComponent(execId)}`, testid: 'resp-execution-link', dataset: { id: execId } }, t('req.openExecution'), ' →') : null),
      isHtml ? h('div', {}, h('h3', {}, t('req.preview')),
        h('iframe', { sandbox: '', srcdoc: text, class: 'preview', testid: 'resp-preview', title: t('req.preview'), referrerpolicy: 'no-referrer' })) : null,
      h('h3', {}, t('req.responseBody')),
      h('pre', { class: 'mono resp-body', testid: 'resp-body', dataset: { json: String(isJson) } }, isJson ? pretty : text),
      h('details', {}, h('summary', {}, t('req.responseHeaders', { n: headerRows.length })),
        h('table', { class: 'table compact', testid: 'resp-headers' }, h('tbody', {}, headerRows))));
  }

  ctx.mount(h('div', { class: 'test-tab' }, form, result));
  remember();
}
