// Entry point: top bar, theme, locale, login gate, hash router, unsaved-changes
// guard and the Ctrl+K / Cmd+K command palette.
import { t, setLocale, locale, LOCALES } from './i18n.js';
import { h, options, clearBanner, banner, toast, fill } from './dom.js';
import { get, post, setUnauthorizedHandler } from './api.js';
import { setRenderer, isDirty, clearDirty, confirmDiscard, begin, auth } from './state.js';
import { functionsView } from './views/functions.js';
import { functionView } from './views/function.js';
import { executionView } from './views/execution.js';
import { loginView } from './views/login.js';
import { openPalette } from './views/palette.js';

/** 'boot' until the first probe answers, then 'login' or 'app'. */
let mode = 'boot';
/** The hash of the route on screen (restored when leaving is refused). */
let current = location.hash;

// ---- theme ----

function preferredTheme() {
  const saved = localStorage.getItem('lunar.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
}

function toggleTheme() {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  localStorage.setItem('lunar.theme', next);
  applyTheme(next);
  renderTopbar();
}

// ---- top bar ----

function renderTopbar() {
  const bar = document.getElementById('topbar');
  const inApp = mode === 'app';
  const dark = document.documentElement.dataset.theme === 'dark';
  const localeSelect = h('select', {
    testid: 'locale-select', 'aria-label': t('nav.language'),
    onchange: async (e) => {
      const next = e.target.value;
      if (!(await confirmDiscard())) { e.target.value = locale(); return; }
      setLocale(next);
      renderTopbar();
      if (mode === 'app') render(); else if (mode === 'login') showLogin();
    },
  }, options(LOCALES.map((l) => [l, t('locale.' + l)]), locale()));
  fill(bar, 
    h('a', { class: 'brand', href: '#/functions', testid: 'nav-home' }, h('span', { class: 'moon', 'aria-hidden': 'true' }, '☾'), ' Lunar'),
    inApp ? h('nav', {},
      h('a', { href: '#/functions', testid: 'nav-functions' }, t('nav.functions')),
      h('button', { class: 'palette-hint', testid: 'palette-open', onclick: () => openPalette(), title: t('palette.title') },
        t('nav.jump'), ' ', h('kbd', {}, /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘K' : 'Ctrl K'))) : null,
    h('span', { class: 'spacer' }),
    h('a', { href: 'docs', target: '_blank', rel: 'noopener', testid: 'api-docs' }, t('nav.docs')),
    localeSelect,
    h('button', { class: 'icon', testid: 'theme-toggle', dataset: { theme: dark ? 'dark' : 'light' },
      title: t('nav.theme'), 'aria-label': t('nav.theme'), onclick: toggleTheme }, dark ? '☀' : '☾'),
    inApp && auth.loggedIn ? h('button', { testid: 'logout', onclick: logout }, t('nav.logout')) : null,
  );
}

// ---- login ----

function showLogin() {
  mode = 'login';
  clearDirty();
  begin();
  document.getElementById('modal-root').replaceChildren();
  renderTopbar();
  document.title = t('login.title') + ' · Lunar';
  fill(document.getElementById('view'), loginView({
    onSuccess(loggedIn) {
      if (loggedIn) auth.loggedIn = true;
      enterApp();
    },
  }));
}

async function logout() {
  if (!(await confirmDiscard())) return;
  try {
    await post('api/auth/logout', undefined, { quiet401: true });
    auth.loggedIn = false;
    showLogin();
  } catch (err) {
    auth.loggedIn = false;
    if (err.status === 404) { renderTopbar(); toast(t('login.disabled')); } else banner(err.message);
  }
}

function enterApp() {
  mode = 'app';
  renderTopbar();
  render();
}

// ---- router ----

function render() {
  if (mode !== 'app') return;
  current = location.hash;
  clearBanner();
  clearDirty();
  document.getElementById('modal-root').replaceChildren();
  const alive = begin();
  const view = document.getElementById('view');
  const [path, q = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  const ctx = {
    alive,
    params: new URLSearchParams(q),
    mount(el) { if (alive()) fill(view, el); },
    title(text) { if (alive()) document.title = text + ' · Lunar'; },
  };
  fill(view, h('p', { class: 'muted loading', testid: 'loading' }, t('common.loading')));
  let done;
  if (parts[0] === 'functions' && parts.length === 1) done = functionsView(ctx);
  else if (parts[0] === 'functions' && parts.length <= 3) done = functionView(ctx, parts[1], parts[2] || 'code');
  else if (parts[0] === 'executions' && parts.length === 2) done = executionView(ctx, parts[1]);
  else { location.replace('#/functions'); return; }
  Promise.resolve(done).catch((err) => {
    if (!alive() || err?.status === 401) return;
    fill(view, h('div', { class: 'empty', testid: 'view-error' }, err?.message || String(err)));
  });
}

window.addEventListener('hashchange', async () => {
  if (mode !== 'app' || location.hash === current) return;
  if (isDirty()) {
    const target = location.hash;
    history.replaceState(null, '', current || '#/functions');
    if (!(await confirmDiscard())) return;
    history.pushState(null, '', target);
  }
  render();
});

window.addEventListener('beforeunload', (e) => {
  if (isDirty()) { e.preventDefault(); e.returnValue = ''; }
});

document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k' && mode === 'app') {
    e.preventDefault();
    openPalette();
  }
});

// ---- boot ----

async function boot() {
  applyTheme(preferredTheme());
  setRenderer(render);
  setUnauthorizedHandler(() => { if (mode !== 'login') showLogin(); });
  renderTopbar();
  try {
    await get('api/functions?limit=1', { quiet401: true });
    enterApp();
  } catch (err) {
    if (err.status === 401) showLogin();
    else { enterApp(); banner(err.message); }
  }
}

boot();
