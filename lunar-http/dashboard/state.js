// Shared navigation state: the unsaved-changes guard, navigation and re-rendering.
import { t } from './i18n.js';
import { confirmDialog } from './dom.js';

const dirty = new Set();
let renderFn = () => {};
let generation = 0;

/** Marks a part of the current view as having unsaved changes (or not). */
export function setDirty(key, isDirty) {
  if (isDirty) dirty.add(key); else dirty.delete(key);
}
export const isDirty = () => dirty.size > 0;
export function clearDirty() { dirty.clear(); }

/** Asks before discarding unsaved changes; true when there are none or the user agrees. */
export async function confirmDiscard() {
  if (!isDirty()) return true;
  const ok = await confirmDialog(t('unsaved.leave'), { ok: t('unsaved.discard'), danger: true });
  if (ok) clearDirty();
  return ok;
}

export function setRenderer(fn) { renderFn = fn; }

/** Re-renders the current route (after a save); unsaved state is dropped. */
export function rerender() { clearDirty(); renderFn(); }

/** Goes to a hash route (the guard runs on `hashchange`; for the same route, here). */
export async function navigate(hash) {
  if (location.hash !== hash) location.hash = hash;
  else if (await confirmDiscard()) rerender();
}

/** Starts a new render; `alive()` turns false once another render started. */
export function begin() {
  const mine = ++generation;
  return () => mine === generation;
}

/** Whether a successful login happened (so logout makes sense). */
export const auth = {
  get loggedIn() { return localStorage.getItem('lunar.login') === '1'; },
  set loggedIn(v) { if (v) localStorage.setItem('lunar.login', '1'); else localStorage.removeItem('lunar.login'); },
};
