import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { ApiError } from '../../src/api/client.js'
import { stubRouter } from './stubRouter.js'

const get = vi.fn()
const put = vi.fn()
const post = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a),
  put: (...a) => put(...a), post: (...a) => post(...a) } }))
const { default: WebsiteFormView } = await import('../../src/views/WebsiteFormView.vue')

const site = (o = {}) => ({ id: 3, project_id: 1, name: 'Shop', base_url: 'http://o/', sitemap_url: null,
  cache_type: 'shopware', concurrency: 2, rate_limit: null, schedule: null, schedule_tz: 'UTC',
  variants: [{}, { currency: 'abc' }], variant_inputs: {}, varnish_nodes: [],
  broadcast_invalidations: false, search_terms: ['boots'], auto_variants: false, ...o })

async function form(props) {
  const w = mount(WebsiteFormView, { props,
    global: { plugins: [stubRouter(), createPinia()] } })
  await flushPromises()
  return w
}

describe("a website's Shopware settings", () => {
  beforeEach(() => {
    get.mockReset()
    put.mockReset()
    post.mockReset()
  })

  it('are shown for a Shopware website only', async () => {
    get.mockResolvedValue(site({ cache_type: 'varnish' }))
    const w = await form({ wid: '3' })
    expect(w.find('[data-test=shopware-settings]').exists()).toBe(false)
    await w.find('select[name=cache_type]').setValue('shopware')
    expect(w.find('[data-test=shopware-settings]').exists()).toBe(true)
  })

  it('send the search terms and auto_variants, the plain variant kept', async () => {
    get.mockResolvedValue(site())
    put.mockResolvedValue(site())
    const w = await form({ wid: '3' })
    expect(w.findAll('[data-test=tag]').map((t) => t.find('span').text())).toEqual(['boots'])
    expect(w.find('textarea[name=variants]').element.value).toBe('(plain)\ncurrency=abc')
    await w.find('input[name=search_terms]').setValue('red shoes')
    await w.find('input[name=search_terms]').trigger('keydown', { key: 'Enter' })
    await w.find('input[name=auto_variants]').setValue(true)
    // On, without a currency input: said, and one click adds Shopware's.
    expect(w.find('[data-test=no-currency-input]').text()).toMatch(/proposed, not warmed/)
    await w.find('[data-test=no-currency-input] button').trigger('click')
    expect(w.find('textarea[name=variant_inputs]').element.value).toBe('currency=cookie:sw-currency')
    expect(w.find('[data-test=no-currency-input]').exists()).toBe(false)
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(put.mock.calls[0][1]).toMatchObject({ search_terms: ['boots', 'red shoes'],
      auto_variants: true, variants: [{}, { currency: 'abc' }],
      variant_inputs: { currency: 'cookie:sw-currency' } })
  })

  it("mark the term the API refuses", async () => {
    get.mockResolvedValue(site())
    put.mockImplementation(async () => {
      throw new ApiError(422, 'invalid', 'search_terms[0]: a search term holds no control character',
        'search_terms[0]')
    })
    const w = await form({ wid: '3' })
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('input[name=search_terms]').attributes('aria-invalid')).toBe('true')
  })

  it("show a plan's refusal of a new website with its numbers and the usage", async () => {
    post.mockImplementation(async () => {
      throw new ApiError(402, 'plan_limit', 'the free plan allows 1 website(s) in a project; it has 1',
        null, { quota: 'websites', limit: 1, used: 1, plan: 'free' })
    })
    const w = await form({ pid: '1' })
    await w.find('input[name=base_url]').setValue('http://two/')
    await w.find('form').trigger('submit')
    await flushPromises()
    const e = w.find('[data-test=plan-limit]')
    expect(['plan-name', 'plan-quota', 'plan-allowed', 'plan-used'].map((k) =>
      e.find(`[data-test=${k}]`).text())).toEqual(['free', 'Websites in the project', '1 website',
      '1 in the project'])
    expect(w.find('[data-test=error] a').attributes('href')).toBe('/projects/1/usage')
  })
})
