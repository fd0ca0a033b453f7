import { describe, it, expect } from 'vitest'
import { buildQuery, defaultState, problems, sortBy, ariaSort, fromRoute,
  toRoute, toSearch } from '../../src/lib/resultsQuery.js'

describe("the results table's query", () => {
  it('asks nothing the API does by default', () => {
    expect(buildQuery({ ...defaultState(), limit: 100 })).toEqual({})
    expect(buildQuery(defaultState())).toEqual({ limit: 50 })
  })

  it('sends each filter as the API names it, trimmed', () => {
    const q = buildQuery({ ...defaultState(), outcome: 'uncacheable',
      cache_status: ' miss ', status: '503', url: ' /product/ ' }, 'abc_-9')
    expect(q).toEqual({ outcome: 'uncacheable', cache_status: 'miss',
      status: 503, url: '/product/', limit: 50, cursor: 'abc_-9' })
    expect(toSearch(q)).toBe('outcome=uncacheable&cache_status=miss&status=503' +
      '&url=%2Fproduct%2F&limit=50&cursor=abc_-9')
  })

  it('never sends what the API would refuse', () => {
    const q = buildQuery({ ...defaultState(), outcome: 'bogus', status: '99',
      sort: 'drop table', limit: 5000 })
    expect(q).toEqual({})
    expect(problems({ ...defaultState(), status: '99' })).toEqual({
      status: 'an HTTP status, 100 to 599' })
    expect(problems({ ...defaultState(), status: '2x0' }).status).toBeTruthy()
    expect(problems({ ...defaultState(), status: '200' })).toEqual({})
    expect(problems({ ...defaultState(), url: 'x'.repeat(2049) }).url).toBeTruthy()
  })

  it('keeps pages or their ESI fragments, or both', () => {
    expect(buildQuery({ ...defaultState(), fragment: 'true', limit: 100 })).toEqual({ fragment: 'true' })
    expect(buildQuery({ ...defaultState(), fragment: 'false', limit: 100 })).toEqual({ fragment: 'false' })
    expect(buildQuery({ ...defaultState(), fragment: 'maybe', limit: 100 })).toEqual({})
    expect(problems({ ...defaultState(), fragment: 'maybe' }).fragment).toBeTruthy()
    expect(problems({ ...defaultState(), fragment: 'true' })).toEqual({})
    expect(toRoute({ ...defaultState(), fragment: 'false' })).toEqual({ fragment: 'false' })
    expect(fromRoute({ fragment: 'false' }).fragment).toBe('false')
    expect(fromRoute({ fragment: 'yes' }).fragment).toBe('')
  })

  it('sorts by a column, then flips it', () => {
    let s = defaultState()
    s = sortBy(s, 'ttfb_ms')
    expect([s.sort, s.order, ariaSort(s, 'ttfb_ms'), ariaSort(s, 'url')])
      .toEqual(['ttfb', 'asc', 'ascending', 'none'])
    s = sortBy(s, 'ttfb_ms')
    expect(buildQuery(s)).toEqual({ sort: 'ttfb', order: 'desc', limit: 50 })
    s = sortBy(s, 'load_ms')
    expect(buildQuery(s)).toEqual({ sort: 'load_time', limit: 50 })
    expect(sortBy(s, 'reason')).toBe(s)
  })

  it("keeps its state in the page's URL, and reads back only what is valid", () => {
    const s = { ...defaultState(), sort: 'url', order: 'desc', outcome: 'cached' }
    const q = toRoute(s)
    expect(q).toEqual({ sort: 'url', order: 'desc', outcome: 'cached' })
    expect(fromRoute(q)).toEqual(s)
    expect(fromRoute({ sort: 'evil', order: 'sideways', limit: '7' })).toEqual(defaultState())
  })
})
