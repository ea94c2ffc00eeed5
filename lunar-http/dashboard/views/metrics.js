// Metrics tab: totals, error rate, p50/p95 and an SVG bar chart (errors stacked).
import { t, locale } from '../i18n.js';
import { h, s, options, fmtMs, showError, fill } from '../dom.js';
import { get, fnPath } from '../api.js';

const WINDOWS = ['1h', '24h', '7d'];
let current = '24h';

function tile(label, value, testid) {
  return h('div', { class: 'tile' }, h('div', { class: 'muted small' }, label), h('div', { class: 'tile-value', testid }, value));
}

/** The chart: one bar per bucket, successes below, errors stacked on top. */
export function chart(m) {
  const W = 1100, H = 200, top = 10, bottom = 22, left = 34;
  const buckets = m.buckets || [];
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const bw = (W - left) / Math.max(1, buckets.length);
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const timeFmt = new Intl.DateTimeFormat(locale(), m.window === '7d' ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' });
  const full = new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' });
  const bars = buckets.map((b, i) => {
    const ok = b.count - b.errors;
    const x = left + bw * i + 1;
    const w = Math.max(1, bw - 2);
    return s('g', { 'data-testid': 'metrics-bar', 'data-start': b.start, 'data-count': b.count, 'data-errors': b.errors },
      s('title', {}, `${full.format(new Date(b.start * 1000))}: ${t('metrics.barTitle', { count: b.count, errors: b.errors })}` +
        (b.p50_ms != null ? `, p50 ${b.p50_ms} ms, p95 ${b.p95_ms} ms` : '')),
      s('rect', { class: 'bar-ok', x, width: w, y: y(ok), height: Math.max(0, y(0) - y(ok)) }),
      s('rect', { class: 'bar-err', x, width: w, y: y(b.count), height: Math.max(0, y(ok) - y(b.count)) }),
      s('rect', { class: 'bar-hit', x, width: w, y: top, height: H - top - bottom }));
  });
  const ticks = [0, Math.floor(buckets.length / 2), buckets.length - 1].filter((i, k, a) => i >= 0 && a.indexOf(i) === k);
  return s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('metrics.chart'), testid: 'metrics-chart' },
    s('line', { class: 'axis', x1: left, x2: W, y1: y(0), y2: y(0) }),
    s('line', { class: 'grid', x1: left, x2: W, y1: y(max), y2: y(max) }),
    s('text', { class: 'label', x: left - 4, y: y(max) + 4, 'text-anchor': 'end' }, String(max)),
    s('text', { class: 'label', x: left - 4, y: y(0) + 4, 'text-anchor': 'end' }, '0'),
    ...bars,
    ...ticks.map((i) => s('text', { class: 'label', x: left + bw * i + bw / 2, y: H - 6, 'text-anchor': i === 0 ? 'start' : i === buckets.length - 1 ? 'end' : 'middle' },
      timeFmt.format(new Date(buckets[i].start * 1000)))));
}

function bucketSize(sec) {
  if (sec % 86400 === 0) return t('unit.days', { n: sec / 86400 });
  if (sec % 3600 === 0) return t('unit.hours', { n: sec / 3600 });
  return t('unit.minutes', { n: Math.round(sec / 60) });
}

export async function metricsTab(ctx, fn) {
  const select = h('select', { testid: 'metrics-window', 'aria-label': t('metrics.window'), onchange: () => { current = select.value; load(); } },
    options(WINDOWS.map((w) => [w, t('metrics.window.' + w)]), current));
  const out = h('div', { testid: 'metrics' });
  ctx.mount(h('div', { class: 'metrics-tab' }, h('div', { class: 'toolbar' }, h('label', {}, t('metrics.window'), ' ', select)), out));

  async function load() {
    let m;
    try {
      m = await get(fnPath(fn.id, '/metrics?window=' + encodeURIComponent(current)));
    } catch (err) {
      if (err.status === 404 && err.message !== 'Function not found') {
        fill(out, h('p', { class: 'empty', testid: 'metrics-unavailable' }, t('metrics.unavailable')));
      } else showError(err);
      return;
    }
    if (!ctx.alive()) return;
    const pct = new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 });
    const num = new Intl.NumberFormat(locale());
    fill(out, 
      h('div', { class: 'tiles' },
        tile(t('metrics.total'), num.format(m.total), 'metrics-total'),
        tile(t('metrics.errors'), num.format(m.errors), 'metrics-errors'),
        tile(t('metrics.errorRate'), m.total ? pct.format(m.error_rate) : '—', 'metrics-error-rate'),
        tile('p50', fmtMs(m.p50_ms), 'metrics-p50'),
        tile('p95', fmtMs(m.p95_ms), 'metrics-p95')),
      h('div', { class: 'card chart-card' },
        h('div', { class: 'legend small' }, h('span', { class: 'swatch ok' }), t('metrics.success'), h('span', { class: 'swatch err' }), t('metrics.failed'),
          h('span', { class: 'muted' }, ' · ', t('metrics.bucket', { size: bucketSize(m.bucket_seconds) }))),
        chart(m),
        m.total === 0 ? h('p', { class: 'muted small', testid: 'metrics-empty' }, t('metrics.empty')) : null));
  }
  await load();
}
