import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import { createPinia } from 'pinia'
import { warmState, alertsOf, runningJobs } from '../../src/lib/overview.js'

const T = Date.parse('2026-03-01T12:00:00Z')
const at = (s) => new Date(T - s * 1000).toISOString()
const job = (id, status, o = {}) => ({ id, website_id: 1, status, trigger: 'manual',
  source: 'sitemap', urls_total: 10, urls_completed: 10, urls_failed: 0, error: null,
  created_at: at(600), started_at: at(590), finished_at: null, ...o })
const agent = (name, seen, lag = 0) => ({ id: name.length, name, prefix: 'sta_aaaaaaaa',
  last_seen_at: seen === null ? null : at(seen), lag_seconds: lag, version: '1', node: 'n' })

describe("a website's warm state", () => {
  it('reads its latest jobs', () => {
    expect(warmState([])).toBe('never')
    expect(warmState([job(3, 'done'), job(2, 'running')])).toBe('warming')
    expect(warmState([job(3, 'done')])).toBe('warm')
    expect(warmState([job(3, 'done', { urls_failed: 2 })])).toBe('partly')
    expect(warmState([job(3, 'failed'), job(2, 'done')])).toBe('failed')
    expect(warmState([job(3, 'cancelled')])).toBe('cancelled')
  })
})

describe('the alerts', () => {
  const site = (id, name, jobs, agents = []) => ({ id, project_id: 1, project_name: 'P', name,
    base_url: `http://${name}/`, jobs, agents,
    visitors: { hits: 0, misses: 0, passes: 0, hit_ratio: null } })
  it('name failed jobs and quiet agents, the worst first', () => {
    const a = alertsOf([
      site(1, 'shop', [job(9, 'running'), job(8, 'done', { urls_failed: 3 })],
        [agent('v1', 10), agent('v2', 10, 300)]),
      site(2, 'blog', [job(7, 'failed', { error: 'no sitemap' })],
        [agent('v3', 3600), agent('v4', null)]),
      site(3, 'calm', [job(6, 'done')], [agent('v5', 5)]),
    ], T)
    expect(a.map((x) => [x.level, x.site, x.text])).toEqual([
      ['bad', 'blog', 'job #7 failed: no sitemap'],
      ['bad', 'blog', 'agent v3: silent: not heard of for 60 min'],
      ['warn', 'shop', 'job #8: 3 of 10 URLs failed'],
      ['warn', 'shop', 'agent v2: lagging: 5 min behind'],
    ])
    expect(a[0].to).toEqual({ name: 'job', params: { jid: 7 } })
    expect(a[1].to).toEqual({ name: 'agents', params: { wid: 2 } })
  })
  it('name the running jobs by their website', () => {
    expect(runningJobs({ websites: [site(1, 'shop', []), { ...site(2, '', []), name: '' }],
      running: [job(4, 'queued', { website_id: 1 }), job(6, 'running', { website_id: 2 })] })
      .map((j) => [j.id, j.site])).toEqual([[4, 'shop'], [6, 'http:///']])
  })
})

const get = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a) } }))
const { default: OverviewView } = await import('../../src/views/OverviewView.vue')

const totals = { results: 120, cached_share: 0.5, rewarm_ms: { n: 1, p50: 40, p95: 40, p99: 40 },
  invalidations: { purge: 1, ban: 0, tag: 2, objects_dropped: 3, objects_queued: 3 },
  visitors: { hits: 9, misses: 1, passes: 0, hit_ratio: 0.9 } }

describe('the overview page', () => {
  beforeEach(() => {
    get.mockReset()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T)
  })
  afterEach(() => vi.useRealTimers())

  it('shows every website, its state, the running jobs and the alerts', async () => {
    const vis = (hit_ratio) => ({ hits: 0, misses: 0, passes: 0, hit_ratio })
    get.mockImplementation(async (path) => {
      switch (path) {
      case '/api/analytics/dashboard': return { totals }
      case '/api/projects': return { projects: [{ id: 1, name: 'Shop' }] }
      case '/api/overview': return { websites: [
        { id: 5, project_id: 1, project_name: 'Shop', name: 'shop', base_url: 'http://s/',
          jobs: [job(10, 'done', { website_id: 5 })], agents: [agent('v1', 5)], visitors: vis(0.75) },
        { id: 6, project_id: 1, project_name: 'Shop', name: 'blog', base_url: 'http://b/',
          jobs: [job(8, 'failed', { website_id: 6, error: 'boom' })], agents: [], visitors: vis(null) }],
      running: [job(9, 'running', { website_id: 5, urls_completed: 4 })] }
      }
      throw new Error('unexpected ' + path)
    })
    const router = createRouter({ history: createMemoryHistory(),
      routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } },
        ...['projects', 'project', 'website', 'job', 'agents'].map((name) =>
          ({ path: '/' + name + '/:pid?/:wid?/:jid?', name, component: { template: '<div/>' } }))] })
    const w = mount(OverviewView, { global: { plugins: [router, createPinia()] } })
    await flushPromises()
    expect(w.find('[data-test=visitors-hit-ratio]').text()).toBe('90.0 %')
    expect(w.findAll('[data-test=warm-state]').map((b) => b.text()))
      .toEqual(['warming now', 'its last job failed'])
    expect(w.find('[data-test=running]').text()).toContain('Job #9')
    expect(w.find('[data-test=alerts]').text()).toContain('job #8 failed: boom')
    const rows = w.findAll('[data-test=overview-websites] tbody tr')
    expect(rows[0].findAll('td').at(-1).text()).toBe('75.0 %')
    expect(rows[1].findAll('td').at(-1).text()).toBe('–')
    expect(w.find('[data-test=running] a').text()).toBe('Job #9')
    expect(w.find('[data-test=running]').text()).toContain('shop · running · 4 of 10')
    expect(get).toHaveBeenCalledTimes(3)
    w.unmount()
  })
})
