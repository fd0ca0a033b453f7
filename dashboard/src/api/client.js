// The tenant API, and nothing else: every call the dashboard makes goes
// through here, so that an error has one shape and a 401 one meaning.
//
// An error answer is {"error": {"code", "message", "field"}}; it comes
// back as an ApiError.  A 401 means the token is gone (expired, revoked,
// logged out elsewhere): onUnauthorized is told, once per call, and the
// app sends its user to the login page.

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }
}

// What a failed answer says, whatever it is: our JSON error, another
// JSON body, text (a proxy's page) or nothing.
export async function errorOf(res) {
  let text = ''
  try {
    text = await res.text()
  } catch {
    // the body is gone: the status says enough
  }
  try {
    const doc = JSON.parse(text)
    if (doc && doc.error && typeof doc.error.code === 'string')
      return new ApiError(res.status, doc.error.code,
        doc.error.message || doc.error.code, doc.error.field ?? null)
  } catch {
    // not JSON
  }
  const msg = text && text.length < 200 && !text.trimStart().startsWith('<')
    ? text.trim() : `${res.status} ${res.statusText || 'error'}`
  return new ApiError(res.status, 'http_' + res.status, msg)
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
