import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import { createPinia } from 'pinia'
import { distributionBars, binLabel, hasVisitors, percent, rewarmSeconds, hasRendered, renderRows,
  renderSeries } from '../../src/lib/charts.js'

const bin = (g, n) => ({ from_ms: Math.round(2 ** (g / 2) * 1000) / 1000,
  to_ms: Math.round(2 ** ((g + 1) / 2) * 1000) / 1000, n })

describe('the distribution chart', () => {
  it('puts both times on one axis, 0 where one has none', () => {
    const d = distributionBars({ ttfb_ms: [bin(0, 3), bin(1, 0), bin(2, 5)],
      load_ms: [bin(2, 1), bin(3, 7)] })
    expect(d.labels).toEqual(['1–1.41 ms', '1.41–2 ms', '2–2.83 ms', '2.83–4 ms'])
    expect(d.ttfb).toEqual([3, 0, 5, 0])
    expect(d.load).toEqual([0, 0, 1, 7])
  })
  it('labels small and large bins readably', () => {
    expect(binLabel(0.008, 0.011)).toBe('0.008–0.011 ms')
    expect(binLabel(45.255, 64)).toBe('45–64 ms')
    expect(binLabel(724.077, 1024)).toBe('0.72–1.02 s')
    expect(binLabel(16384, 23170.475)).toBe('16–23 s')
  })
  it('is empty with nothing measured', () => {
    expect(distributionBars({ ttfb_ms: [], load_ms: [] })).toEqual({ labels: [], ttfb: [], load: [] })
    expect(distributionBars(undefined).labels).toEqual([])
  })
})

describe('the other series', () => {
  it("knows when agents report visitors", () => {
    expect(hasVisitors([{ visitors: { hit_ratio: null } }])).toBe(false)
    expect(hasVisitors([{ visitors: { hit_ratio: null } }, { visitors: { hit_ratio: 0 } }])).toBe(true)
    expect(percent(0.12345)).toBe(12.3)
    expect(percent(null)).toBe(null)
  })
  it("times an invalidation's re-warm to its job's end", () => {
    const inv = { occurred_at: '2026-01-01T00:00:00Z', job: { finished_at: '2026-01-01T00:00:02.5Z' } }
    expect(rewarmSeconds(inv)).toBe(2.5)
    expect(rewarmSeconds({ ...inv, job: { finished_at: null } })).toBe(null)
    expect(rewarmSeconds({ ...inv, job: null })).toBe(null)
  })
})

describe("the rendered pages' times", () => {
  const none = { n: 0, p50: null, p95: null, p99: null }
  it('are shown only when a page was rendered', () => {
    expect(hasRendered({ dcl_ms: none, lcp_ms: none, tti_ms: none })).toBe(false)
    expect(hasRendered(undefined)).toBe(false)
    expect(hasRendered({ dcl_ms: none, lcp_ms: { n: 2, p50: 80, p95: 90, p99: 90 }, tti_ms: none })).toBe(true)
  })
  it('give a row per time, in the order the browser reaches them', () => {
    const rows = renderRows({ dcl_ms: { n: 3, p50: 10, p95: 20, p99: 30 }, lcp_ms: none })
    expect(rows.map((r) => r.key)).toEqual(['dcl_ms', 'lcp_ms', 'tti_ms'])
    expect(rows[0]).toEqual({ key: 'dcl_ms', label: 'DOMContentLoaded', n: 3, p50: 10, p95: 20, p99: 30 })
    expect(rows[2].n).toBe(0)
    expect(rows[2].p50).toBe(null)
  })
  it("draw each time's p50 over the buckets, null where none", () => {
    const s = renderSeries([{ dcl_ms: { n: 1, p50: 5 }, lcp_ms: none, tti_ms: { n: 1, p50: 9 } }, {}])
    expect(s.map((d) => d.label)).toEqual(['DOMContentLoaded p50', 'Largest Contentful Paint p50',
      'Time to Interactive p50'])
    expect(s.map((d) => d.data)).toEqual([[5, null], [null, null], [9, null]])
  })
})

const get = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a) } }))
const { default: InvalidationTimeline } = await import('../../src/components/InvalidationTimeline.vue')

const inv = (id, o = {}) => ({ id, kind: 'purge', soft: false, node: 'http://n:6081',
  subject: '/product/' + id, objects_dropped: 2, objects_queued: 1,
  occurred_at: '2026-01-01T00:00:00Z', job: null, ...o })

describe('the invalidations timeline', () => {
  beforeEach(() => get.mockReset())

  it('says what each dropped and what came back, older ones on asking', async () => {
    get.mockImplementation(async (path, o) => { return o?.query?.before
      ? { invalidations: [inv(1, { kind: 'tag', soft: true })], next_before: null }
      : { invalidations: [inv(3, { job: { id: 12, status: 'done', urls_total: 2,
        urls_completed: 1, urls_failed: 1, started_at: '2026-01-01T00:00:00Z',
        finished_at: '2026-01-01T00:00:03Z' } }), inv(2)], next_before: 2 } })
    const router = createRouter({ history: createMemoryHistory(), routes: [
      { path: '/', component: { template: '<div/>' } },
      { path: '/jobs/:jid', name: 'job', component: { template: '<div/>' } }] })
    const w = mount(InvalidationTimeline, { props: { wid: 7 },
      global: { plugins: [router, createPinia()] } })
    await flushPromises()
    expect(get).toHaveBeenCalledWith('/api/websites/7/invalidations',
      { query: { limit: 20, before: null, kind: '' } })
    const items = w.findAll('[data-test=invalidations] > li')
    expect(items.length).toBe(2)
    expect(items[0].find('[data-test=inval-effect]').text())
      .toBe('Dropped 2 object(s), 1 queued to warm again.')
    expect(items[0].find('[data-test=inval-job]').text().replace(/\s+/g, ' '))
      .toBe('Re-warm job #12 done: 1 of 2 back, 1 failed, in 3 s.')
    expect(items[0].find('a').attributes('href')).toBe('/jobs/12')
    expect(items[1].text()).toContain('Nothing to warm again.')
    await w.find('button').trigger('click')
    await flushPromises()
    expect(get.mock.calls.at(-1)[1].query.before).toBe(2)
    expect(w.findAll('[data-test=invalidations] > li').at(-1).text()).toContain('tag, soft')
    expect(w.find('button').exists()).toBe(false)
    // A kind: read again from the newest.
    await w.find('select').setValue('ban')
    await flushPromises()
    expect(get).toHaveBeenLastCalledWith('/api/websites/7/invalidations',
      { query: { limit: 20, before: null, kind: 'ban' } })
  })
})
