// The REST client. Every URL is relative to the document (the mount root), so
// the dashboard works at `/` and under any prefix.
import { t } from './i18n.js';

/** An API failure: `status` (0 = network) and the server's `error` text. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized = () => {};
/** Called on any 401 from a protected route (shows the login view). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** Percent-encodes one path segment. */
export const enc = encodeURIComponent;

/** A query string from an object, skipping empty values (leading `?` when non-empty). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

/** Sends a request; resolves to the parsed JSON body (null when empty), rejects with ApiError. */
export async function api(method, path, body, { quiet401 = false } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, t('error.network'));
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (res.ok) return data;
  const message = data && typeof data === 'object' && typeof data.error === 'string'
    ? data.error
    : `${res.status} ${res.statusText}`.trim();
  if (res.status === 401 && !quiet401) onUnauthorized();
  throw new ApiError(res.status, message);
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** `api/functions/{id}` plus an optional sub-path. */
export const fnPath = (id, rest = '') => `api/functions/${enc(id)}${rest}`;
