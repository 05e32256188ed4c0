// The JSON API: session cookie plus the CSRF token on every change.

let csrf = '';
export function setCSRF(token) { csrf = token || ''; }

export class APIError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.fields = body?.fields || {};
  }
}

export async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, opts);
  } catch (e) {
    throw new APIError(0, { error: 'cannot reach stasisq' });
  }
  if (resp.status === 204) return null;
  let data = null;
  try { data = await resp.json(); } catch { /* no body */ }
  if (!resp.ok) {
    if (resp.status === 401 && path !== '/api/login' && !location.pathname.startsWith('/login')) {
      location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    }
    throw new APIError(resp.status, data);
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);
