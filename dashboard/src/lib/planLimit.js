// A plan's refusal as the dashboard says it: which limit, what the plan
// allows, what there was, and for a day's warm requests when more may
// come.  The API's plan_limit error carries quota, limit, used and plan
// (api_answer.c); a refusal of a route that does not (a channel's) says
// only its message.  Pure, for the tests.

import { num, clock, until } from './format.js'

export const QUOTAS = {
  websites: { label: 'Websites in the project', noun: ['website', 'websites'] },
  urls_per_job: { label: 'URLs in a job', noun: ['URL', 'URLs'] },
  crawl_pages: { label: 'Pages a crawl may warm (URLs in a job)', noun: ['page', 'pages'] },
  concurrency: { label: 'Concurrency', noun: ['request at once', 'requests at once'] },
  warms_per_day: { label: 'Warm requests a day (UTC)', noun: ['warm request', 'warm requests'] },
}

// What was used, said for the quota: a job's URLs are what was asked,
// a day's warms those made and queued.
const USED = {
  websites: 'in the project',
  urls_per_job: 'asked for',
  crawl_pages: 'asked for',
  concurrency: 'asked for',
  warms_per_day: 'made or queued today',
}

// null for any other error; else the lines to show.
export function refusal(err, now = Date.now()) {
  if (!err || typeof err !== 'object' || err.code !== 'plan_limit') return null
  const q = QUOTAS[err.quota]
  const r = { plan: err.plan ?? null, quota: err.quota ?? null,
    label: q ? q.label : null, limit: null, used: null, retryAt: null, retry: null }
  if (q && Number.isFinite(err.limit))
    r.limit = `${num(err.limit)} ${q.noun[err.limit === 1 ? 0 : 1]}`
  if (q && Number.isFinite(err.used))
    r.used = `${num(err.used)} ${USED[err.quota]}`
  const at = retryOf(err)
  if (at) {
    r.retryAt = at
    r.retry = `${clock(at, new Date(now))} (${until(at, now)})`
  }
  return r
}

// When a refused call may be made again: a 429's Retry-After.
export function retryOf(err) {
  if (!err || typeof err !== 'object' || err.status !== 429) return null
  return err.retryAt instanceof Date && !isNaN(err.retryAt) ? err.retryAt : null
}
