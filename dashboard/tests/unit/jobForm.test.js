import { describe, it, expect } from 'vitest'
import { jobBody, emptyJobForm, parseParams } from '../../src/lib/jobForm.js'
import { noteItems, noteLines, crawlEnd } from '../../src/lib/jobNotes.js'

const form = (o) => ({ ...emptyJobForm(), ...o })
const fieldOf = (fn) => {
  try {
    fn()
  } catch (e) {
    return [e.field, e.message]
  }
  return null
}

describe("the start-a-job form's body", () => {
  it("is empty for the website's sitemap, and names another one", () => {
    expect(jobBody(form())).toEqual({})
    expect(jobBody(form({ sitemap_url: ' http://s/x.xml ' }))).toEqual({ sitemap_url: 'http://s/x.xml' })
  })
  it('lists URLs, one a line', () => {
    expect(jobBody(form({ kind: 'urls', urls: '/a\n\n /b \n', sitemap_url: 'ignored' })))
      .toEqual({ urls: ['/a', '/b'] })
    expect(fieldOf(() => jobBody(form({ kind: 'urls', urls: ' \n' }))))
      .toEqual(['urls', 'urls: one URL at least'])
  })
  it("asks for a crawl with the server's defaults, or the limits given", () => {
    expect(jobBody(form({ kind: 'crawl', sitemap_url: 'ignored' }))).toEqual({ source: 'crawl' })
    expect(jobBody(form({ kind: 'crawl', max_depth: '2', max_pages: ' 40 ',
      drop_params: 'utm_*, ref\nsid ref' }))).toEqual({ source: 'crawl', max_depth: 2,
      max_pages: 40, drop_params: ['utm_*', 'ref', 'sid'] })
  })
  it('refuses limits out of the API schema, naming the field', () => {
    expect(fieldOf(() => jobBody(form({ kind: 'crawl', max_depth: '21' }))))
      .toEqual(['max_depth', 'max_depth: a whole number, 1 to 20'])
    expect(fieldOf(() => jobBody(form({ kind: 'crawl', max_depth: '1.5' })))[0]).toBe('max_depth')
    expect(fieldOf(() => jobBody(form({ kind: 'crawl', max_pages: '0' }))))
      .toEqual(['max_pages', 'max_pages: a whole number, 1 to 100000'])
    expect(fieldOf(() => jobBody(form({ kind: 'crawl', drop_params: 'a=b' })))[0]).toBe('drop_params')
  })
  it('takes variants for any kind, and says what is wrong with them', () => {
    expect(jobBody(form({ kind: 'crawl', variants: 'currency=EUR\n{}' })))
      .toEqual({ source: 'crawl', variants: [{ currency: 'EUR' }, {}] })
    expect(fieldOf(() => jobBody(form({ variants: 'EUR' })))[0]).toBe('variants')
  })
})

describe('query parameters a crawl drops', () => {
  it('are names, or prefixes ending in *, each once, 32 at most', () => {
    expect(parseParams('')).toEqual([])
    expect(parseParams('a[] b.c x-y')).toEqual(['a[]', 'b.c', 'x-y'])
    expect(() => parseParams('ü')).toThrow(/query parameter/)
    expect(() => parseParams(Array.from({ length: 33 }, (_, i) => 'p' + i).join(' ')))
      .toThrow(/at most 32/)
  })
})

describe("a job's notes", () => {
  const crawl = 'crawled http://o/ to depth 2, at most 10 pages: 10 pages and 1 ESI fragment ' +
    'to warm; it ended: the page limit was reached; Crawl-delay 0.05 s kept; ' +
    '3 links to other sites not followed'
  it('are listed part by part, the crawl\'s end told apart', () => {
    expect(crawlEnd(crawl)).toBe('the page limit was reached')
    expect(noteLines(crawl)).toEqual([
      'crawled http://o/ to depth 2, at most 10 pages: 10 pages and 1 ESI fragment to warm',
      'Crawl-delay 0.05 s kept', '3 links to other sites not followed'])
  })
  it("are a sitemap's as they come, and nothing when there are none", () => {
    expect(crawlEnd('read http://o/sitemap.xml: 60 URLs')).toBe(null)
    expect(noteItems('read http://o/sitemap.xml: 60 URLs')).toEqual(['read http://o/sitemap.xml: 60 URLs'])
    expect(noteItems(null)).toEqual([])
    expect(noteLines('')).toEqual([])
  })
})
