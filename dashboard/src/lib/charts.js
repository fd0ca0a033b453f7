// What the analytics' charts draw, from the analytics endpoint's answer.
// Pure, for the tests.

// A bin's edges, as its bar's label: "0.71–1 ms", "45–64 ms", "1.4–2 s".
function short(x) {
  return String(x >= 10 ? Math.round(x) : x >= 0.1 ? Math.round(x * 100) / 100
    : Math.round(x * 1000) / 1000)
}

export function binLabel(from, to) {
  return to > 1000 ? `${short(from / 1000)}–${short(to / 1000)} s`
    : `${short(from)}–${short(to)} ms`
}

// The TTFB and load-time distributions (totals.distribution) on one axis:
// the bins of both, from the lowest either holds to the highest, the
// other's count 0 where it has none.  Bins are keyed by their from_ms.
export function distributionBars(dist) {
  const all = new Map()
  for (const k of ['ttfb_ms', 'load_ms'])
    for (const b of dist?.[k] || [])
      if (!all.has(b.from_ms)) all.set(b.from_ms, b.to_ms)
  const edges = [...all.entries()].sort((a, b) => a[0] - b[0])
  const count = (k) => {
    const m = new Map((dist?.[k] || []).map((b) => [b.from_ms, b.n]))
    return edges.map(([f]) => m.get(f) ?? 0)
  }
  return {
    labels: edges.map(([f, t]) => binLabel(f, t)),
    ttfb: count('ttfb_ms'),
    load: count('load_ms'),
  }
}

// The share of a bucket as a percentage with one decimal, or null.
export const percent = (x) => x === null || x === undefined ? null : Math.round(x * 1000) / 10

// Whether any agent reported visitors in the series.
export function hasVisitors(series) {
  return (series || []).some((b) => b.visitors && b.visitors.hit_ratio !== null)
}

// How long an invalidation's re-warm took: from it to its job's end, in
// seconds; null while it runs, or without a job.
export function rewarmSeconds(inv) {
  const j = inv.job
  if (!j || !j.finished_at) return null
  return Math.max(0, (Date.parse(j.finished_at) - Date.parse(inv.occurred_at)) / 1000)
}

// A rendered page's own times (render mode): DOMContentLoaded, Largest
// Contentful Paint and the Time-to-Interactive estimate, as the
// analytics give each, in the order the browser reaches them.
export const RENDER_TIMES = [['dcl_ms', 'DOMContentLoaded'],
  ['lcp_ms', 'Largest Contentful Paint'], ['tti_ms', 'Time to Interactive']]

// Whether any page of the range was rendered (one of its times counted).
export function hasRendered(totals) {
  return RENDER_TIMES.some(([k]) => (totals?.[k]?.n ?? 0) > 0)
}

// The range's percentile rows of the rendered times: one per time, with
// how many pages gave it.
export function renderRows(totals) {
  return RENDER_TIMES.map(([k, label]) => {
    const x = totals?.[k] || { n: 0, p50: null, p95: null, p99: null }
    return { key: k, label, n: x.n, p50: x.p50, p95: x.p95, p99: x.p99 }
  })
}

// Their p50 over the buckets, a line each.
export function renderSeries(series) {
  return RENDER_TIMES.map(([k, label]) => ({ label: label + ' p50',
    data: (series || []).map((b) => b[k]?.p50 ?? null) }))
}
