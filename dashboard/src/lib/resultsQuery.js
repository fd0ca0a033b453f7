// A job's results as the table asks for them: its sort, its filters and
// the page it is on, turned into GET /api/jobs/:id/results's query, and
// back.  Pure, so that what the table sends can be tested alone.

export const OUTCOMES = ['cached', 'fresh', 'uncacheable', 'origin_error',
  'timeout', 'failed']

// The table's sortable columns, by the Result field they show, and the
// API's name for each.
export const SORTS = { id: 'id', url: 'url', ttfb_ms: 'ttfb',
  load_ms: 'load_time' }

export const PAGE_SIZES = [25, 50, 100, 250]

// Pages, their ESI fragments, or both ('').
export const FRAGMENTS = ['false', 'true']

export function defaultState() {
  return { sort: 'id', order: 'asc', outcome: '', cache_status: '',
    status: '', url: '', fragment: '', limit: 50 }
}

// The problems of a state, by field: what the user has to fix before
// the query is sent.
export function problems(state) {
  const p = {}
  if (state.status !== '' && state.status !== null &&
      state.status !== undefined) {
    const n = Number(state.status)
    if (!Number.isInteger(n) || n < 100 || n > 599)
      p.status = 'an HTTP status, 100 to 599'
  }
  if (state.outcome && !OUTCOMES.includes(state.outcome))
    p.outcome = 'one of ' + OUTCOMES.join(', ')
  if (state.url && state.url.length > 2048)
    p.url = 'at most 2048 characters'
  if (state.cache_status && state.cache_status.length > 64)
    p.cache_status = 'at most 64 characters'
  if (state.fragment && !FRAGMENTS.includes(String(state.fragment)))
    p.fragment = 'pages (false) or ESI fragments (true)'
  return p
}

// The query of a page: cursor (a next_cursor) or none for the first.
// Empty filters are left out; the API's defaults are not repeated.
export function buildQuery(state, cursor = null) {
  const q = {}
  const sort = Object.values(SORTS).includes(state.sort) ? state.sort : 'id'
  if (sort !== 'id') q.sort = sort
  if (state.order === 'desc') q.order = 'desc'
  if (state.outcome && OUTCOMES.includes(state.outcome))
    q.outcome = state.outcome
  const cs = (state.cache_status || '').trim()
  if (cs) q.cache_status = cs
  if (state.status !== '' && state.status !== null &&
      state.status !== undefined) {
    const n = Number(state.status)
    if (Number.isInteger(n) && n >= 100 && n <= 599) q.status = n
  }
  const url = (state.url || '').trim()
  if (url) q.url = url
  if (FRAGMENTS.includes(String(state.fragment))) q.fragment = String(state.fragment)
  const limit = Number(state.limit)
  if (Number.isInteger(limit) && limit >= 1 && limit <= 1000 && limit !== 100)
    q.limit = limit
  if (cursor) q.cursor = cursor
  return q
}

export function toSearch(q) {
  return new URLSearchParams(Object.entries(q).map(([k, v]) =>
    [k, String(v)])).toString()
}

// A click on a column's header: the same column flips the order, another
// sorts by it, ascending.
export function sortBy(state, field) {
  const sort = SORTS[field]
  if (!sort) return state
  if (state.sort === sort)
    return { ...state, order: state.order === 'asc' ? 'desc' : 'asc' }
  return { ...state, sort, order: 'asc' }
}

// The order a column is shown sorted in, for aria-sort.
export function ariaSort(state, field) {
  if (SORTS[field] !== state.sort) return 'none'
  return state.order === 'desc' ? 'descending' : 'ascending'
}

// The filters as the page's own URL keeps them (so that a reload or a
// shared link shows the same rows), and back.
export function fromRoute(query) {
  const s = defaultState()
  for (const k of Object.keys(s)) {
    if (query[k] === undefined) continue
    s[k] = k === 'limit' ? Number(query[k]) || s.limit : String(query[k])
  }
  if (!Object.values(SORTS).includes(s.sort)) s.sort = 'id'
  if (s.order !== 'desc') s.order = 'asc'
  if (!PAGE_SIZES.includes(s.limit)) s.limit = 50
  if (!FRAGMENTS.includes(s.fragment)) s.fragment = ''
  return s
}

export function toRoute(state) {
  const d = defaultState()
  const q = {}
  for (const [k, v] of Object.entries(state))
    if (v !== d[k] && v !== '' && v !== null && v !== undefined)
      q[k] = String(v)
  return q
}
