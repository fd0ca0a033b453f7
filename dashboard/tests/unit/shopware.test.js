import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { stubRouter } from './stubRouter.js'
import { versionText, sitemapText, optionsText, proposedText, withProposed }
  from '../../src/lib/shopware.js'
import { ApiError } from '../../src/api/client.js'

const put = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { put: (...a) => put(...a) } }))
const { default: ShopDetected } = await import('../../src/components/ShopDetected.vue')

const EUR = '0123456789abcdef0123456789abcdef'
const USD = 'fedcba9876543210fedcba9876543210'
const detected = (o = {}) => ({ shopware: true, markers: ['cookies', 'generator', 'bundles'],
  version: '6.5.8.2', version_from: 'generator', generator: 'Shopware 6.5.8.2',
  currencies: [{ id: EUR, name: '€ EUR', default: true }, { id: USD, name: '$ USD', default: false }],
  languages: [{ id: 'l1', name: 'English', default: true }, { id: 'l2', name: 'Deutsch', default: false }],
  domains: [{ hreflang: 'en', url: 'http://shop/' }, { hreflang: 'de', url: 'http://shop/de/' }],
  categories: 4, search_form: '/search', sitemap: 'shopware',
  sales_channels: [{ id: 'sc', language_id: 'l1' }], search_pages: 2,
  proposed_variants: [{ currency: USD }], currency_variants: 'proposed', error: null, ...o })
const site = (o = {}) => ({ id: 7, project_id: 3, variants: [], variant_inputs: {}, ...o })

describe("what a job found of a shop", () => {
  it('says the version and where it was read', () => {
    expect(versionText(detected())).toBe('Shopware 6.5.8.2, read from its generator tag')
    expect(versionText(detected({ version: '6.5+', version_from: 'assets' })))
      .toBe("Shopware 6.5+, guessed from its theme's scripts")
    expect(versionText(detected({ version: null, version_from: null })))
      .toBe('Shopware 6, its version not shown')
    expect(versionText(detected({ shopware: false }))).toBeNull()
    expect(sitemapText('other')).toBe('not one Shopware wrote')
    expect(optionsText(detected().currencies)).toBe('€ EUR (default), $ USD')
    expect(optionsText([])).toBe('none found')
    expect(proposedText({ currency: USD }, detected().currencies)).toBe('currency: $ USD')
    expect(proposedText({ currency: 'x' }, [])).toBe('currency=x')
  })

  it("adds the proposed variants to the website's, the plain one first, each once", () => {
    expect(withProposed(site(), [{ currency: USD }])).toEqual({ variants: [{}, { currency: USD }],
      variant_inputs: { currency: 'cookie:sw-currency' }, added: 1 })
    const had = site({ variants: [{ currency: 'EUR' }, { currency: USD }],
      variant_inputs: { currency: 'header:X-Currency' } })
    expect(withProposed(had, [{ currency: USD }])).toEqual({ variants: had.variants,
      variant_inputs: { currency: 'header:X-Currency' }, added: 0 })
    const many = site({ variants: Array.from({ length: 64 }, (_, i) => ({ n: String(i) })) })
    expect(withProposed(many, [{ currency: USD }]).added).toBe(0)
  })
})

describe("the job page's shop card", () => {
  beforeEach(() => {
    put.mockReset()
  })

  const mountWith = (d, s, canEdit = true) => mount(ShopDetected, {
    props: { detected: d, site: s, canEdit }, global: { plugins: [stubRouter(), createPinia()] } })

  it('shows what was detected', () => {
    const w = mountWith(detected(), site())
    expect(w.find('[data-test=shop-version]').text()).toMatch(/^Shopware 6\.5\.8\.2, read from its generator tag\. Told by: cookies, generator, bundles\.$/)
    expect(w.find('[data-test=shop-currencies]').text()).toBe('€ EUR (default), $ USD')
    expect(w.find('[data-test=shop-languages]').text()).toBe('English (default), Deutsch')
    expect(w.find('[data-test=shop-categories]').text()).toBe('4 warmed first')
    expect(w.find('[data-test=shop-sitemap]').text()).toMatch(/^Shopware's own .*; 1 sales channel language\(s\)$/)
    expect(w.findAll('[data-test=proposed-variants] li').map((l) => l.text())).toEqual(['currency: $ USD'])
  })

  it('uses the proposed variants in one click, and says so', async () => {
    put.mockResolvedValue(site({ variants: [{}, { currency: USD }],
      variant_inputs: { currency: 'cookie:sw-currency' } }))
    const w = mountWith(detected(), site())
    await w.find('[data-test=use-variants]').trigger('click')
    await flushPromises()
    expect(put).toHaveBeenCalledWith('/api/websites/7', { variants: [{}, { currency: USD }],
      variant_inputs: { currency: 'cookie:sw-currency' } })
    expect(w.find('[data-test=variants-used]').text()).toBe(
      '1 variant(s) added to the website: its jobs warm 2 variants now.')
    expect(w.emitted('site')[0][0].variants.length).toBe(2)
  })

  it("shows the API's refusal, and offers nothing to a viewer or when all are there", async () => {
    put.mockImplementation(async () => {
      throw new ApiError(422, 'invalid', 'variants[1]: bad', 'variants[1]')
    })
    const w = mountWith(detected(), site())
    await w.find('[data-test=use-variants]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=error]').text()).toMatch(/variants\[1\]: bad/)
    expect(mountWith(detected(), site(), false).find('[data-test=use-variants]').exists()).toBe(false)
    const had = mountWith(detected(), site({ variants: [{}, { currency: USD }] }))
    expect(had.find('[data-test=use-variants]').exists()).toBe(false)
    expect(had.find('[data-test=variants-had]').exists()).toBe(true)
  })

  it('says when the shop is not Shopware, or its page could not be read', () => {
    const no = mountWith(detected({ shopware: false, markers: ['navigation'], proposed_variants: [] }), site())
    expect(no.find('[data-test=shop-version]').text()).toMatch(/^Not a Shopware 6 storefront.*\(only navigation\)\.$/)
    const down = mountWith(detected({ shopware: false, markers: [], error: 'HTTP 503' }), site())
    expect(down.find('[data-test=shop-error]').text()).toBe('Its start page could not be read: HTTP 503')
  })
})
