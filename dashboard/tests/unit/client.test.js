import { describe, it, expect, vi } from 'vitest'
import { createClient, ApiError } from '../../src/api/client.js'

function res(status, body, type = 'application/json') {
  return new Response(body === null ? null : typeof body === 'string' ? body
    : JSON.stringify(body), { status, headers: body === null ? {} : { 'Content-Type': type } })
}

describe('the API client', () => {
  it('sends the token, JSON, and reads JSON', async () => {
    const fetchImpl = vi.fn(async () => res(201, { id: 7 }))
    const c = createClient({ fetchImpl, getToken: () => 'tok' })
    expect(await c.post('/api/projects', { name: 'Shop' })).toEqual({ id: 7 })
    const [url, init] = fetchImpl.mock.calls[0]
    expect(url).toBe('/api/projects')
    expect(init.method).toBe('POST')
    expect(init.headers.Authorization).toBe('Bearer tok')
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(init.body)).toEqual({ name: 'Shop' })
  })

  it('leaves out empty query parameters, encodes the rest', async () => {
    const fetchImpl = vi.fn(async () => res(200, {}))
    const c = createClient({ fetchImpl })
    await c.get('/api/jobs/1/results', { query: { url: 'a b&c', outcome: '',
      status: null, limit: 50, cursor: undefined } })
    expect(fetchImpl.mock.calls[0][0]).toBe('/api/jobs/1/results?url=a+b%26c&limit=50')
    expect(fetchImpl.mock.calls[0][1].headers.Authorization).toBeUndefined()
  })

  it('turns the API error shape into an ApiError', async () => {
    const c = createClient({ fetchImpl: async () => res(409, { error: {
      code: 'email_taken', message: 'an account has this e-mail', field: 'email' } }) })
    const e = await c.post('/api/auth/register', {}).catch((x) => x)
    expect(e).toBeInstanceOf(ApiError)
    expect([e.status, e.code, e.field, e.message]).toEqual([409,
      'email_taken', 'email', 'an account has this e-mail'])
  })

  it('says what a non-JSON failure was', async () => {
    const html = createClient({ fetchImpl: async () =>
      res(502, '<html><body>Bad Gateway</body></html>', 'text/html') })
    const e = await html.get('/api/projects').catch((x) => x)
    expect([e.status, e.code, e.message]).toEqual([502, 'http_502', '502 error'])
    const text = createClient({ fetchImpl: async () => res(503, 'down for a moment', 'text/plain') })
    const t = await text.get('/api/projects').catch((x) => x)
    expect([t.code, t.message]).toEqual(['http_503', 'down for a moment'])
  })

  it('says when the server cannot be reached', async () => {
    const c = createClient({ fetchImpl: async () => { throw new TypeError('Failed to fetch') } })
    const e = await c.get('/api/projects').catch((x) => x)
    expect([e.status, e.code]).toEqual([0, 'network'])
    expect(e.message).toMatch(/Failed to fetch/)
  })

  it('tells of a 401, and of nothing else', async () => {
    const onUnauthorized = vi.fn()
    let status = 401
    const c = createClient({ onUnauthorized, fetchImpl: async () => res(status,
      { error: { code: 'token_revoked', message: 'signed out' } }) })
    const e = await c.get('/api/auth/me').catch((x) => x)
    expect(e.code).toBe('token_revoked')
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(onUnauthorized.mock.calls[0][0]).toBe(e)
    status = 403
    await c.get('/api/auth/me').catch(() => {})
    status = 404
    await c.get('/api/auth/me').catch(() => {})
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('answers null to a 204, text to CSV', async () => {
    const c = createClient({ fetchImpl: async (url, init) => init.method === 'DELETE'
      ? res(204, null) : res(200, 'id,url\n1,/\n', 'text/csv') })
    expect(await c.del('/api/projects/1')).toBeNull()
    expect(await c.get('/api/jobs/1/results', { accept: 'text/csv' })).toBe('id,url\n1,/\n')
  })
})
