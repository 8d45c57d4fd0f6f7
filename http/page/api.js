// The JSON API, by relative URL (the page may live under a prefix such as
// /recsync/). Every request that changes something carries the session's
// CSRF token; an answer that is not 2xx becomes an ApiError with the
// server's one-line detail.

let csrfToken = '';
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && (body.detail || body.error)) || `the daemon answered ${status}`;
    super(detail);
    this.status = status;
    this.code = (body && body.error) || '';
    this.detail = detail;
    this.body = body || {};
  }
}

export function setCsrf(token) {
  csrfToken = token || '';
}

// Called with the error when a request other than sign-in answers 401: the
// session expired or was signed out elsewhere.
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

async function bodyOf(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: 'not JSON', detail: `the daemon answered ${res.status} with something that is not JSON` };
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: 'no answer', detail: 'the recsync daemon did not answer; is it running?' });
  }
  const data = res.status === 204 ? null : await bodyOf(res);
  if (res.ok) return data;
  const error = new ApiError(res.status, data);
  if (res.status === 429) {
    const wait = res.headers.get('Retry-After');
    if (wait) error.detail = `${error.detail} (try again in ${wait} s)`;
  }
  if (res.status === 401 && path !== 'api/v1/session') onSignedOut(error);
  throw error;
}

// ?a=1&b=x for the values that are set.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}
