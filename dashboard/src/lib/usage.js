// A project's use of its plan (GET /api/projects/:id/usage) as meters:
// each limit with what is used of it and what remains.  Pure, for the
// tests.

import { num } from './format.js'

// A plan's "no limit": the largest integer of its column.
export const UNLIMITED = 2147483647

export function unlimited(max) {
  return max >= UNLIMITED
}

// ok, high (80 % and more) or full.
export function level(taken, max) {
  if (unlimited(max)) return 'ok'
  if (max <= 0 || taken >= max) return 'full'
  return taken / max >= 0.8 ? 'high' : 'ok'
}

function meter(key, label, o, extra = {}) {
  const taken = o.used + (extra.queued ?? 0)
  return { key, label, used: o.used, max: o.max, remaining: o.remaining,
    unlimited: unlimited(o.max), level: level(taken, o.max), ...extra }
}

// The meters, in the order the page shows them.  resetsAt: when today's
// warms start again from none, as a time (resets_in from now).
export function meters(u, now = Date.now()) {
  const w = u.warms_today
  return [
    meter('websites', 'Websites', u.websites),
    meter('warms_today', 'Warm requests today (UTC)', w, { queued: w.queued,
      day: w.day, resetsAt: new Date(now + w.resets_in * 1000) }),
    meter('concurrency', 'Warm requests at once, now', u.concurrency),
  ]
}

// What a meter's bar and its screen reader say.
export function meterText(m) {
  const q = m.queued ? `, ${num(m.queued)} queued` : ''
  if (m.unlimited) return `${num(m.used)} used${q}; no limit`
  return `${num(m.used)} of ${num(m.max)} used${q}, ${num(m.remaining)} remaining`
}

// The bar's parts as shares of the limit, at most the whole.
export function shares(m) {
  if (m.unlimited || m.max <= 0)
    return { used: m.max <= 0 && m.used > 0 ? 1 : 0, queued: 0 }
  const used = Math.min(1, m.used / m.max)
  const queued = Math.min(1 - used, (m.queued ?? 0) / m.max)
  return { used, queued }
}

// A plan's other limits, said as facts.
export function facts(u) {
  const per = u.max_urls_per_job
  return [
    ['URLs in a job', unlimited(per) ? 'no limit' : num(per)],
    ['Results kept', `${num(u.result_retention_days)} day(s)`],
    ['Warm requests a day', unlimited(u.plan.max_warms_per_day) ? 'no limit'
      : num(u.plan.max_warms_per_day)],
    ['Concurrency at most', unlimited(u.plan.max_concurrency) ? 'no limit'
      : num(u.plan.max_concurrency)],
  ]
}
