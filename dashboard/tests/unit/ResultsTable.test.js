import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import { createPinia } from 'pinia'

const get = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a) } }))

const { default: ResultsTable } = await import('../../src/components/ResultsTable.vue')

const row = (id) => ({ id, url: `http://shop/p/${id}`, variant: '', node: 'http://n',
  status: 200, load_ms: 12, ttfb_ms: 3, cache_status: 'miss', outcome: 'cached',
  reason: null, ttl: 120, recorded_at: '2026-01-01T00:00:00Z' })

async function mountAt(query = {}) {
  const router = createRouter({ history: createMemoryHistory(),
    routes: [{ path: '/jobs/:jid', component: { template: '<div/>' } }] })
  await router.push({ path: '/jobs/4', query })
  const w = mount(ResultsTable, { props: { jid: '4' },
    global: { plugins: [router, createPinia()] } })
  await flushPromises()
  return { w, router }
}

describe('the results table', () => {
  beforeEach(() => {
    get.mockReset()
    get.mockImplementation(async (path, { query }) => ({
      results: query.cursor ? [row(3)] : [row(1), row(2)],
      next_cursor: query.cursor ? null : 'c2' }))
  })

  it('reads the page its URL says', async () => {
    await mountAt({ outcome: 'cached', sort: 'url', order: 'desc' })
    expect(get).toHaveBeenCalledWith('/api/jobs/4/results', { query: {
      outcome: 'cached', sort: 'url', order: 'desc', limit: 50 } })
  })

  it('sorts by a header, filters, and starts again from the first page', async () => {
    const { w, router } = await mountAt()
    await w.find('[data-test=next-page]').trigger('click')
    await flushPromises()
    expect(get.mock.calls.at(-1)[1].query.cursor).toBe('c2')
    expect(w.findAll('tbody tr').length).toBe(1)

    const ttfb = w.findAll('th button.sort').find((b) => b.text().startsWith('TTFB'))
    await ttfb.trigger('click')
    await flushPromises()
    expect(get.mock.calls.at(-1)[1].query).toEqual({ sort: 'ttfb', limit: 50 })
    expect(w.findAll('th')[8].attributes('aria-sort')).toBe('ascending')

    await w.find('input[name=status]').setValue('404')
    await w.find('select[name=outcome]').setValue('origin_error')
    await w.find('[data-test=filters]').trigger('submit')
    await flushPromises()
    expect(get.mock.calls.at(-1)[1].query).toEqual({ sort: 'ttfb',
      outcome: 'origin_error', status: 404, limit: 50 })
    expect(router.currentRoute.value.query).toEqual({ sort: 'ttfb',
      outcome: 'origin_error', status: '404' })
  })

  it('filters pages from their ESI fragments', async () => {
    const { w, router } = await mountAt({ fragment: 'true' })
    expect(get.mock.calls.at(-1)[1].query).toEqual({ fragment: 'true', limit: 50 })
    expect(w.find('select[name=fragment]').element.value).toBe('true')
    await w.find('select[name=fragment]').setValue('false')
    await w.find('[data-test=filters]').trigger('submit')
    await flushPromises()
    expect(get.mock.calls.at(-1)[1].query).toEqual({ fragment: 'false', limit: 50 })
    expect(router.currentRoute.value.query).toEqual({ fragment: 'false' })
    await w.find('select[name=fragment]').setValue('')
    await w.find('[data-test=filters]').trigger('submit')
    await flushPromises()
    expect(get.mock.calls.at(-1)[1].query).toEqual({ limit: 50 })
  })

  it('says what is wrong with a filter rather than send it', async () => {
    const { w } = await mountAt()
    const n = get.mock.calls.length
    await w.find('input[name=status]').setValue('9000')
    await w.find('[data-test=filters]').trigger('submit')
    await flushPromises()
    expect(get.mock.calls.length).toBe(n)
    expect(w.find('#status-err').text()).toMatch(/100 to 599/)
    expect(w.find('input[name=status]').attributes('aria-invalid')).toBe('true')
  })

  it("opens a result's details: every field, its headers, and closes", async () => {
    get.mockImplementation(async () => ({ results: [row(1),
      { ...row(2), reason: 'Set-Cookie', headers: { 'Cache-Control': 'private', Vary: ['Cookie', 'Accept'] } }],
    next_cursor: null }))
    const { w } = await mountAt()
    expect(w.find('[data-test=result-details]').exists()).toBe(false)
    await w.findAll('tbody tr')[0].trigger('click')
    const d = w.find('[data-test=result-details]')
    expect(d.find('h3').text()).toContain('Result #1')
    const field = (k) => d.find(`dd[data-field=${k}]`).text()
    expect([field('url'), field('variant'), field('status'), field('ttl'), field('load_ms'),
      field('reason')]).toEqual(['http://shop/p/1', 'the plain one', '200', '120 s', '12 ms', '–'])
    expect(d.findAll('dt').length).toBe(12)
    expect(d.find('[data-test=no-headers]').text()).toMatch(/keeps no headers/)
    // Another row's, by its button: the headers it kept.
    const b = w.find('button[data-result="2"]')
    await b.trigger('click')
    expect(b.attributes('aria-expanded')).toBe('true')
    expect(w.find('[data-test=result-headers]').findAll('td').map((t) => t.text()))
      .toEqual(['Cache-Control', 'private', 'Vary', 'Cookie, Accept'])
    await w.find('[data-test=result-details]').trigger('keydown', { key: 'Escape' })
    expect(w.find('[data-test=result-details]').exists()).toBe(false)
  })
})

describe('answers that cross', () => {
  it('shows the latest read, not the last answer', async () => {
    const pending = []
    get.mockReset()
    get.mockImplementation((path, { query }) => new Promise((resolve) =>
      pending.push(() => resolve({ results: [row(query.order === 'desc' ? 9 : 1)],
        next_cursor: null }))))
    const router = createRouter({ history: createMemoryHistory(),
      routes: [{ path: '/jobs/:jid', component: { template: '<div/>' } }] })
    await router.push('/jobs/4')
    const w = mount(ResultsTable, { props: { jid: '4' },
      global: { plugins: [router, createPinia()] } })
    pending[0]() // the first page
    await flushPromises()
    const url = () => w.findAll('th button.sort').find((b) => b.text().startsWith('URL'))
    await url().trigger('click') // ascending
    await url().trigger('click') // descending
    expect(pending.length).toBe(3)
    pending[2]() // the descending read answers first
    await flushPromises()
    pending[1]() // then the ascending one, late
    await flushPromises()
    expect(w.find('tbody td').text()).toBe('9')
  })
})
