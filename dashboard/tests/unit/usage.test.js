import { describe, it, expect, vi } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { stubRouter } from './stubRouter.js'
import { meters, meterText, shares, level, facts, UNLIMITED } from '../../src/lib/usage.js'

const get = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a) } }))
const { default: UsageView } = await import('../../src/views/UsageView.vue')

const NOW = Date.parse('2026-03-03T21:00:00Z')
const usage = (o = {}) => ({
  project_id: 3,
  plan: { id: 1, name: 'free', max_websites: 1, max_urls_per_job: 1000, max_warms_per_day: 10000,
    max_concurrency: 8, result_retention_days: 7 },
  websites: { used: 1, max: 1, remaining: 0 },
  warms_today: { day: '2026-03-03', used: 7000, max: 10000, queued: 1500, remaining: 1500,
    resets_in: 10800 },
  concurrency: { used: 2, max: 8, remaining: 6 },
  max_urls_per_job: 1000, result_retention_days: 7,
  warms_by_day: Array.from({ length: 30 }, (_, i) => ({ day: `2026-02-${String(i + 1).padStart(2, '0')}`,
    warms: i })),
  ...o })

describe('usage as meters', () => {
  it('has each limit with its use, and when the day starts again', () => {
    const [w, d, c] = meters(usage(), NOW)
    expect([w.key, w.used, w.max, w.remaining, w.level]).toEqual(['websites', 1, 1, 0, 'full'])
    expect([d.key, d.used, d.queued, d.remaining, d.level]).toEqual(['warms_today', 7000, 1500, 1500, 'high'])
    expect(d.resetsAt.toISOString()).toBe('2026-03-04T00:00:00.000Z')
    expect([c.used, c.max, c.level]).toEqual([2, 8, 'ok'])
    expect(meterText(d)).toBe('7,000 of 10,000 used, 1,500 queued, 1,500 remaining')
    expect(meterText(w)).toBe('1 of 1 used, 0 remaining')
  })

  it("draws used and queued as shares of the limit, never past it", () => {
    expect(shares({ used: 7000, queued: 1500, max: 10000 })).toEqual({ used: 0.7, queued: 0.15 })
    expect(shares({ used: 9000, queued: 5000, max: 10000 })).toEqual({ used: 0.9, queued: 0.09999999999999998 })
    expect(shares({ used: 12, max: 10 })).toEqual({ used: 1, queued: 0 })
    expect(shares({ used: 3, max: UNLIMITED, unlimited: true })).toEqual({ used: 0, queued: 0 })
    expect(shares({ used: 0, max: 0 })).toEqual({ used: 0, queued: 0 })
  })

  it('says no limit for the unlimited plan', () => {
    const [w] = meters(usage({ websites: { used: 4, max: UNLIMITED, remaining: UNLIMITED - 4 } }), NOW)
    expect([w.unlimited, w.level, meterText(w)]).toEqual([true, 'ok', '4 used; no limit'])
    expect(level(0, 0)).toBe('full')
    expect(level(79, 100)).toBe('ok')
    expect(level(80, 100)).toBe('high')
    expect(facts(usage({ plan: { ...usage().plan, max_warms_per_day: 9223372036854775807 } }))[2])
      .toEqual(['Warm requests a day', 'no limit'])
  })
})

describe('the usage page', () => {
  it("shows the plan and each meter's numbers as the API says them", async () => {
    get.mockImplementation(async (p) => p === '/api/projects/3'
      ? { id: 3, name: 'Shop', role: 'owner', plan: 'free' } : usage())
    const w = mount(UsageView, { props: { pid: '3' }, global: { plugins: [stubRouter(), createPinia()] } })
    await flushPromises()
    expect(get).toHaveBeenCalledWith('/api/projects/3/usage')
    expect(w.find('[data-test=plan]').text()).toBe('free')
    const m = w.find('[data-test=meter-warms_today]')
    expect(['used', 'queued', 'limit', 'remaining'].map((k) => m.find(`[data-test=${k}]`).text()))
      .toEqual(['7,000', '1,500', '10,000', '1,500'])
    const bar = m.find('[role=meter]')
    expect([bar.attributes('aria-valuenow'), bar.attributes('aria-valuemax'),
      bar.attributes('aria-valuetext')]).toEqual(['7000', '10000',
      '7,000 of 10,000 used, 1,500 queued, 1,500 remaining'])
    expect(bar.find('.used').attributes('style')).toContain('width: 70%')
    expect(m.attributes('data-level')).toBe('high')
    expect(w.find('[data-test=meter-websites]').attributes('data-level')).toBe('full')
    // resets_in from the time it was read.
    expect(Math.abs(Date.parse(w.find('[data-test=resets] time').attributes('datetime')) -
      (Date.now() + 10800000))).toBeLessThan(5000)
    expect(w.find('[data-test=resets]').text()).toMatch(/\(in (2 h 59|3 h 0) min\)/)
    expect(w.findAll('[data-test=warms-by-day] tbody tr').length).toBe(30)
    expect(w.find('[data-test=warms-by-day] td').text()).toBe('2026-02-30')
    w.unmount()
  })
})
