// A website's schedule as the dashboard shows and takes it: the time
// zones to pick from, a first look at an expression while it is typed,
// and the next runs in the schedule's zone and in the browser's.  The
// server parses and judges; this only spares a round trip for the
// mistakes anyone can see.  Pure, for the tests.

export const MACROS = ['@yearly', '@annually', '@monthly', '@weekly',
  '@daily', '@midnight', '@hourly']

// The fields as the server names them in its errors.
const FIELDS = [
  { name: 'minute', lo: 0, hi: 59 },
  { name: 'hour', lo: 0, hi: 23 },
  { name: 'day of the month', lo: 1, hi: 31 },
  { name: 'month', lo: 1, hi: 12, names: 'jan-dec' },
  { name: 'day of the week', lo: 0, hi: 7, names: 'sun-sat' },
]

// The IANA zones this browser knows, UTC first; null where it cannot
// list them (the form then takes the name as typed).
export function timeZones(intl = globalThis.Intl) {
  if (!intl || typeof intl.supportedValuesOf !== 'function') return null
  let zones
  try {
    zones = intl.supportedValuesOf('timeZone')
  } catch {
    return null
  }
  return ['UTC', ...zones.filter((z) => z !== 'UTC')]
}

export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

// What is plainly wrong with an expression, said as the server would
// ("hour: 0 to 23"), or null: empty (no schedule) and anything that may
// parse are left to the server.
export function cronProblem(text) {
  const t = (text || '').trim()
  if (!t) return null
  if (t.length > 256) return 'over 256 bytes'
  if (t.startsWith('@')) {
    const [m, ...rest] = t.split(/\s+/)
    if (rest.length) return `a macro (${m}) stands alone`
    if (!MACROS.includes(m.toLowerCase()))
      return `'${m}' is not a macro (${MACROS.join(', ')})`
    return null
  }
  const parts = t.split(/\s+/)
  if (parts.length < 5)
    return `${parts.length} fields where five are needed (minute hour day month weekday)`
  if (parts.length > 5)
    return 'more than five fields (minute hour day month weekday)'
  for (let i = 0; i < 5; i++) {
    const p = fieldProblem(FIELDS[i], parts[i])
    if (p) return p
  }
  return null
}

function fieldProblem(f, s) {
  const ok = f.names ? /^[0-9A-Za-z*,/-]+$/ : /^[0-9*,/-]+$/
  if (!ok.test(s)) {
    const word = s.match(/[A-Za-z]+/)
    if (word && !f.names) return `${f.name}: '${word[0]}' is not a number`
    return `${f.name}: not '*', a ${f.names ? 'number or a name' : 'number'}, ` +
      "a range 'a-b', a list of them, or any of them with a '/step'"
  }
  // The values of each item, a-b/step; a step and a name are the
  // server's to judge.
  for (const item of s.split(',')) {
    for (const n of item.split('/')[0].split('-')) {
      if (/^\d+$/.test(n) && (Number(n) < f.lo || Number(n) > f.hi))
        return `${f.name}: ${f.lo} to ${f.hi}`
    }
  }
  return null
}

// "2025-03-30T03:00:00+02:00" (the zone's wall time, as the API gives
// it) as people read it: "Sun 30 Mar 2025, 03:00 (UTC+2)".  The
// server's own reading, so that it holds whether or not the browser
// knows the zone.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug',
  'Sep', 'Oct', 'Nov', 'Dec']

export function wallTime(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/
    .exec(iso || '')
  if (!m) return iso || '–'
  const [, y, mo, d, h, mi, s, off] = m
  const day = DAYS[new Date(Date.UTC(+y, +mo - 1, +d)).getUTCDay()]
  const sec = s && s !== '00' ? ':' + s : ''
  return `${day} ${+d} ${MONTHS[+mo - 1]} ${y}, ${h}:${mi}${sec} (${utcOffset(off)})`
}

// "+02:00", "Z", "GMT-4", "GMT+5:30" as "UTC+2", "UTC", "UTC-4", "UTC+5:30":
// the two columns of the card say offsets the same way.
export function utcOffset(off) {
  const m = /([+-])(\d{1,2}):?(\d{2})?$/.exec(off || '')
  if (!m || (+m[2] === 0 && !+(m[3] || 0))) return 'UTC'
  return `UTC${m[1]}${+m[2]}${m[3] && m[3] !== '00' ? ':' + m[3] : ''}`
}

// An instant in a zone the browser knows: "Sun 30 Mar 2025, 03:00 (UTC+2)".
export function inZone(iso, zone) {
  const d = new Date(iso)
  if (!iso || isNaN(d)) return '–'
  let parts
  try {
    parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short',
      day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit',
      minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' }).formatToParts(d)
  } catch {
    return d.toISOString()
  }
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]))
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} (${utcOffset(p.timeZoneName)})`
}

// The rows of the schedule card: each next run in the schedule's zone
// and in the browser's (the same instant), and whether the two differ.
export function nextRuns(s, here = browserZone()) {
  if (!s || !s.next_runs) return []
  return s.next_runs.map((utc, i) => ({
    utc,
    zone: wallTime(s.next_runs_local?.[i]),
    local: inZone(utc, here),
  }))
}

// What the card says of the last slots: the job the scheduler started
// last, and the slot it skipped and why.
export function lastSlots(s) {
  const out = {}
  if (s?.last_run_at)
    out.run = { at: s.last_run_at, job: s.last_job_id }
  if (s?.last_skipped_at)
    out.skipped = { at: s.last_skipped_at, job: s.last_skipped_job_id,
      reason: s.last_skipped_job_id
        ? `job #${s.last_skipped_job_id} was still queued or running`
        : 'a job of the website was still queued or running' }
  return out
}

// The field a 422 of the website's form is about, by the form's names:
// "variants[2]" is the variants' field.
export function errorField(err) {
  if (!err || typeof err !== 'object' || !err.field) return null
  return String(err.field).split('[')[0]
}
