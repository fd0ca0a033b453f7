// How numbers, times and dates read in the dashboard.

export function num(n) {
  if (n === null || n === undefined) return '–'
  return Number(n).toLocaleString('en-US')
}

export function ms(n) {
  if (n === null || n === undefined) return '–'
  return n < 10 ? n.toFixed(2) + ' ms' : n < 1000 ? Math.round(n) + ' ms'
    : (n / 1000).toFixed(2) + ' s'
}

export function pct(x) {
  if (x === null || x === undefined) return '–'
  return (x * 100).toFixed(1) + ' %'
}

export function duration(s) {
  if (s === null || s === undefined || !isFinite(s)) return '–'
  s = Math.round(s)
  if (s < 60) return s + ' s'
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s'
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min'
}

export function date(iso) {
  if (!iso) return '–'
  const d = new Date(iso)
  if (isNaN(d)) return iso
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short',
    day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

export function rate(r) {
  if (r === null || r === undefined) return '–'
  return r.toFixed(r < 10 ? 1 : 0) + ' URL/s'
}

// A variant as the index writes it ("country=de%20de currency=EUR"), and
// as a form takes it (one per line, "country=de de, currency=EUR").
export function variantText(v) {
  return Object.entries(v).map(([k, x]) => `${k}=${x}`).join(', ')
}

export function parseVariants(text) {
  const out = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t) continue
    if (t === '{}' || t === '(plain)') {
      out.push({})
      continue
    }
    const v = {}
    for (const part of t.split(',')) {
      const p = part.trim()
      if (!p) continue
      const i = p.indexOf('=')
      if (i <= 0) throw new Error(`"${p}": write name=value`)
      v[p.slice(0, i).trim()] = p.slice(i + 1).trim()
    }
    out.push(v)
  }
  return out
}

export function parseMap(text) {
  const v = {}
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t) continue
    const i = t.indexOf('=')
    if (i <= 0) throw new Error(`"${t}": write name=source`)
    v[t.slice(0, i).trim()] = t.slice(i + 1).trim()
  }
  return v
}

export function mapText(m) {
  return Object.entries(m || {}).map(([k, x]) => `${k}=${x}`).join('\n')
}

export function lines(text) {
  return text.split('\n').map((s) => s.trim()).filter(Boolean)
}

// A file the browser saves: an export.
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

// A time to come, in the browser's zone, with its day when not today:
// "14:05", "Tue 3 Mar, 01:00".
export function clock(d, now = new Date()) {
  if (!(d instanceof Date) || isNaN(d)) return '–'
  const t = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
  if (d.toDateString() === now.toDateString()) return t
  return d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric',
    month: 'short' }) + ', ' + t
}

// How long until a time: "in 3 h 12 min", "now" once it is past.
export function until(d, now = Date.now()) {
  const s = (d - now) / 1000
  return s > 0 ? 'in ' + duration(s) : 'now'
}
