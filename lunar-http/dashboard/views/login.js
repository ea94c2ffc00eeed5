// The login form: POST api/auth/login with the API key (sets the session cookie).
import { t } from '../i18n.js';
import { h, field, fieldError, clearFieldErrors, banner } from '../dom.js';
import { get, post } from '../api.js';

export function loginView({ onSuccess }) {
  const key = h('input', { type: 'password', testid: 'login-key', autocomplete: 'current-password', autofocus: true });
  const submit = h('button', { class: 'primary', type: 'submit', testid: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'card login', testid: 'login-form' },
    h('h1', {}, t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    field(t('login.key'), key, 'apiKey'),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      await post('api/auth/login', { apiKey: key.value }, { quiet401: true });
      onSuccess(true);
    } catch (err) {
      if (err.status === 404) {
        // No API-key login here: the host disabled auth (the API answers) or runs its own.
        try {
          await get('api/functions?limit=1', { quiet401: true });
          onSuccess(false);
        } catch {
          fieldError(form, 'apiKey', t('login.external'));
        }
      } else if (err.status === 401) fieldError(form, 'apiKey', t('login.invalid'));
      else banner(err.message);
    } finally {
      submit.disabled = false;
    }
  });
  setTimeout(() => key.focus(), 0);
  return h('div', { class: 'center' }, form);
}
