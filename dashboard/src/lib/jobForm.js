// The "Start a job" form as POST /api/websites/:id/jobs takes it: a
// sitemap, a list of URLs, or a crawl of the site with its limits.
// Pure, for the tests; throws an Error whose message names the field.
import { parseVariants, lines } from './format.js'

export const CRAWL_DEPTH = { min: 1, max: 20, default: 5 }
export const CRAWL_PAGES = { min: 1, max: 100000, default: 500 }
const PARAM = /^[A-Za-z0-9_.\-*[\]]{1,64}$/

export function emptyJobForm() {
  return { kind: 'sitemap', urls: '', sitemap_url: '', variants: '',
    max_depth: '', max_pages: '', drop_params: '' }
}

// "utm_*, gclid ref" or one a line: the names, each once.
export function parseParams(text) {
  const names = (text || '').split(/[\s,]+/).filter(Boolean)
  for (const n of names)
    if (!PARAM.test(n))
      throw new FieldError('drop_params', `"${n}": a query parameter's name ` +
        '(letters, digits, _ . - [ ]), or a prefix ending in *')
  if (names.length > 32) throw new FieldError('drop_params', 'at most 32 names')
  return [...new Set(names)]
}

export class FieldError extends Error {
  constructor(field, message) {
    super(`${field}: ${message}`)
    this.field = field
  }
}

function whole(field, text, { min, max }) {
  const t = String(text ?? '').trim()
  if (!t) return undefined
  const n = Number(t)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FieldError(field, `a whole number, ${min} to ${max}`)
  return n
}

export function jobBody(f) {
  const b = {}
  if (f.kind === 'urls') {
    b.urls = lines(f.urls)
    if (!b.urls.length) throw new FieldError('urls', 'one URL at least')
  } else if (f.kind === 'crawl') {
    b.source = 'crawl'
    const depth = whole('max_depth', f.max_depth, CRAWL_DEPTH)
    const pages = whole('max_pages', f.max_pages, CRAWL_PAGES)
    if (depth !== undefined) b.max_depth = depth
    if (pages !== undefined) b.max_pages = pages
    // Empty: the server's own list of tracking parameters.
    const params = parseParams(f.drop_params)
    if (params.length) b.drop_params = params
  } else if (f.sitemap_url.trim()) {
    b.sitemap_url = f.sitemap_url.trim()
  }
  try {
    if (f.variants.trim()) b.variants = parseVariants(f.variants)
  } catch (e) {
    throw new FieldError('variants', e.message)
  }
  return b
}
