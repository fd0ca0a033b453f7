// The tenant API, and nothing else: every call the dashboard makes goes
// through here, so that an error has one shape and a 401 one meaning.
//
// An error answer is {"error": {"code", "message", "field"}}; it comes
// back as an ApiError.  A 401 means the token is gone (expired, revoked,
// logged out elsewhere): onUnauthorized is told, once per call, and the
// app sends its user to the login page.
//
// A plan's refusal (plan_limit) says more: which quota, its limit, what
// was used and the plan's name; a 429 says when to come back
// (Retry-After): kept as retryAt, a time, since the error may be shown
// long after it came.

export class ApiError extends Error {
  constructor(status, code, message, field = null, more = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.quota = more.quota ?? null
    this.limit = more.limit ?? null
    this.used = more.used ?? null
    this.plan = more.plan ?? null
    this.retryAt = more.retryAt ?? null
  }
}

// Retry-After as a time: seconds from now, or an HTTP date (RFC 9110's
// IMF-fixdate); null when there is none or it reads as neither.
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/

export function retryAt(value, now = Date.now()) {
  if (value === null || value === undefined) return null
  const v = String(value).trim()
  if (/^\d+$/.test(v)) return new Date(now + Number(v) * 1000)
  const t = HTTP_DATE.test(v) ? Date.parse(v) : NaN
  return isNaN(t) ? null : new Date(t)
}

// What a failed answer says, whatever it is: our JSON error, another
// JSON body, text (a proxy's page) or nothing.
export async function errorOf(res, now = Date.now()) {
  let text = ''
  try {
    text = await res.text()
  } catch {
    // the body is gone: the status says enough
  }
  const when = retryAt(res.headers?.get('Retry-After'), now)
  try {
    const doc = JSON.parse(text)
    const e = doc && doc.error
    if (e && typeof e.code === 'string')
      return new ApiError(res.status, e.code, e.message || e.code,
        e.field ?? null, { quota: e.quota, limit: e.limit, used: e.used,
          plan: e.plan, retryAt: when })
  } catch {
    // not JSON
  }
  const msg = text && text.length < 200 && !text.trimStart().startsWith('<')
    ? text.trim() : `${res.status} ${res.statusText || 'error'}`
  return new ApiError(res.status, 'http_' + res.status, msg, null,
    { retryAt: when })
}

export function createClient({ fetchImpl = globalThis.fetch.bind(globalThis),
  getToken = () => null, onUnauthorized = () => {}, base = '' } = {}) {

  async function request(method, path, { body, query, accept, raw } = {}) {
    let url = base + path
    if (query) {
      const q = new URLSearchParams()
      for (const [k, v] of Object.entries(query))
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
      const s = q.toString()
      if (s) url += (url.includes('?') ? '&' : '?') + s
    }
    const headers = { Accept: accept || 'application/json' }
    const token = getToken()
    if (token) headers.Authorization = 'Bearer ' + token
    const init = { method, headers }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let res
    try {
      res = await fetchImpl(url, init)
    } catch (e) {
      throw new ApiError(0, 'network', 'the server cannot be reached: ' +
        (e && e.message ? e.message : String(e)))
    }
    if (!res.ok) {
      const err = await errorOf(res)
      if (res.status === 401) onUnauthorized(err)
      throw err
    }
    if (raw) return res
    if (res.status === 204) return null
    const type = res.headers.get('Content-Type') || ''
    if (type.startsWith('application/json')) return res.json()
    return res.text()
  }

  return {
    request,
    get: (path, opts) => request('GET', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    put: (path, body, opts) => request('PUT', path, { ...opts, body }),
    patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
    del: (path, opts) => request('DELETE', path, opts),
  }
}
