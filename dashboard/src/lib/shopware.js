// What a Shopware website's job found out about the shop (a job's
// detected, sitemap_task.c) as the job's page says it, and the
// website's variants with the currencies it proposes.  Pure, for the
// tests.

const VERSION_FROM = {
  generator: 'read from its generator tag',
  assets: "guessed from its theme's scripts",
}

const SITEMAP = {
  shopware: "Shopware's own (per sales channel and language)",
  other: 'not one Shopware wrote',
  none: 'none read',
}

export function versionText(d) {
  if (!d || !d.shopware) return null
  if (!d.version) return 'Shopware 6, its version not shown'
  return `Shopware ${d.version}, ${VERSION_FROM[d.version_from] || 'from where is not said'}`
}

export function sitemapText(kind) {
  return SITEMAP[kind] || kind || '–'
}

// A shop's options as a list: "€ EUR (default), $ USD".
export function optionsText(list) {
  if (!list || !list.length) return 'none found'
  return list.map((o) => o.name + (o.default ? ' (default)' : '')).join(', ')
}

// A proposed variant as people read it: its currency's name when the
// shop's switcher said it.
export function proposedText(v, currencies = []) {
  return Object.entries(v).map(([k, x]) => {
    const c = k === 'currency' ? currencies.find((o) => o.id === x) : null
    return c ? `${k}: ${c.name}` : `${k}=${x}`
  }).join(', ')
}

const same = (a, b) => {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}

// The website's variants and variant inputs with the proposed ones
// added: the plain variant kept first (a website of none warms only
// it: the shop's default currency), each variant once; currency read
// from Shopware's cookie unless the website says otherwise.  added: how
// many are new (0: nothing to change).
export const SW_CURRENCY_INPUT = 'cookie:sw-currency'
export const MAX_VARIANTS = 64

export function withProposed(site, proposed) {
  const variants = site.variants && site.variants.length
    ? site.variants.map((v) => ({ ...v })) : [{}]
  let added = 0
  for (const p of proposed || []) {
    if (variants.some((v) => same(v, p)) || variants.length >= MAX_VARIANTS) continue
    variants.push({ ...p })
    added++
  }
  const variant_inputs = { ...(site.variant_inputs || {}) }
  const needs = (proposed || []).some((p) => 'currency' in p)
  if (needs && !variant_inputs.currency) variant_inputs.currency = SW_CURRENCY_INPUT
  return { variants, variant_inputs, added }
}
