import { describe, it, expect } from 'vitest'
import { mount } from '@vue/test-utils'
import { errorOf, retryAt, ApiError } from '../../src/api/client.js'
import { refusal, retryOf } from '../../src/lib/planLimit.js'
import { stubRouter } from './stubRouter.js'
import ErrorBox from '../../src/components/ErrorBox.vue'

const NOW = Date.parse('2026-03-03T21:00:00Z')

function res(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status,
    headers: { 'Content-Type': 'application/json', ...headers } })
}

const day = { error: { code: 'plan_limit', quota: 'warms_per_day', limit: 70, used: 75,
  plan: 'tiny', message: 'the tiny plan allows 70 warm requests a day; 75 are made or queued today: more after midnight UTC' } }
const urls = { error: { code: 'plan_limit', quota: 'urls_per_job', limit: 1000, used: 2500,
  plan: 'free', field: 'urls', message: 'the free plan allows 1000 URLs in a job; this one has 2500' } }

describe("a plan's refusal", () => {
  it('keeps the numbers and the plan, and when to come back', async () => {
    const e = await errorOf(res(429, day, { 'Retry-After': '10800' }), NOW)
    expect(e).toBeInstanceOf(ApiError)
    expect([e.status, e.code, e.quota, e.limit, e.used, e.plan]).toEqual(
      [429, 'plan_limit', 'warms_per_day', 70, 75, 'tiny'])
    expect(e.retryAt.toISOString()).toBe('2026-03-04T00:00:00.000Z')
    const f = await errorOf(res(402, urls), NOW)
    expect([f.field, f.quota, f.limit, f.used, f.plan, f.retryAt]).toEqual(
      ['urls', 'urls_per_job', 1000, 2500, 'free', null])
  })

  it('reads Retry-After as seconds or a date, and nothing else', () => {
    expect(retryAt('60', NOW).getTime()).toBe(NOW + 60000)
    expect(retryAt('Wed, 04 Mar 2026 00:00:00 GMT', NOW).toISOString())
      .toBe('2026-03-04T00:00:00.000Z')
    expect(retryAt('soon', NOW)).toBeNull()
    expect(retryAt(null, NOW)).toBeNull()
    expect(retryAt('-5', NOW)).toBeNull()
    expect(retryAt('2026-03-04', NOW)).toBeNull()
  })

  it('says each limit with its numbers', async () => {
    const r = refusal(await errorOf(res(402, urls), NOW), NOW)
    expect(r).toMatchObject({ plan: 'free', label: 'URLs in a job', limit: '1,000 URLs',
      used: '2,500 asked for', retryAt: null, retry: null })
    const d = refusal(await errorOf(res(429, day, { 'Retry-After': '10800' }), NOW), NOW)
    expect([d.label, d.limit, d.used]).toEqual(['Warm requests a day (UTC)',
      '70 warm requests', '75 made or queued today'])
    expect(d.retry).toMatch(/\(in 3 h 0 min\)$/)
    // A refusal without numbers (a route that has none): its message only.
    const bare = refusal(new ApiError(402, 'plan_limit', 'the plan allows no more channels'))
    expect([bare.label, bare.limit, bare.used, bare.plan]).toEqual([null, null, null, null])
    const one = refusal(new ApiError(402, 'plan_limit', 'no', null, { quota: 'websites', limit: 1, used: 1, plan: 'free' }))
    expect([one.limit, one.used]).toEqual(['1 website', '1 in the project'])
    expect(refusal(new ApiError(404, 'not_found', 'no such job'))).toBeNull()
    expect(refusal('a string')).toBeNull()
  })

  it("a 429's time to try again, whatever its code", () => {
    const at = new Date(NOW + 5000)
    expect(retryOf(new ApiError(429, 'rate_limited', 'slow down', null, { retryAt: at }))).toBe(at)
    expect(retryOf(new ApiError(402, 'plan_limit', 'no', null, { retryAt: at }))).toBeNull()
  })

  it('is shown in the one error box, with the time to try again', async () => {
    const e = await errorOf(res(429, day, { 'Retry-After': '10800' }))
    const w = mount(ErrorBox, { props: { error: e, pid: 3 },
      global: { plugins: [stubRouter()] } })
    expect(w.find('[data-test=plan-name]').text()).toBe('tiny')
    expect(w.find('[data-test=plan-quota]').text()).toBe('Warm requests a day (UTC)')
    expect(w.find('[data-test=plan-allowed]').text()).toBe('70 warm requests')
    expect(w.find('[data-test=plan-used]').text()).toBe('75 made or queued today')
    const t = w.find('[data-test=retry] time')
    expect(Math.abs(Date.parse(t.attributes('datetime')) - (Date.now() + 10800000))).toBeLessThan(5000)
    expect(t.text()).toMatch(/\d\d:\d\d.*\(in (2 h 59|3 h 0) min\)/)
    expect(w.find('a').attributes('href')).toBe('/projects/3/usage')
    expect(w.attributes('role')).toBe('alert')
  })

  it('shows any other error as before', () => {
    const w = mount(ErrorBox, { props: { error: new ApiError(422, 'invalid', 'bad', 'name') } })
    expect(w.text().replace(/\s+/g, ' ')).toBe('bad (invalid, name)')
    expect(w.find('[data-test=plan-limit]').exists()).toBe(false)
  })
})
