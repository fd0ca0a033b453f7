// A project's notification channels as the dashboard's form takes them,
// and their deliveries as its table shows them.  The form speaks in
// people's units (a share in %, recipients one a line); the API's body
// is made here, and what the form lacks is said by field before it is
// sent.  Pure, for the tests.

export const KINDS = {
  webhook: { label: 'Webhook', hint: 'the event as JSON, signed (Stoke-Signature)',
    placeholder: 'https://hooks.example.com/stoke' },
  slack: { label: 'Slack', hint: "a Slack app's incoming webhook URL",
    placeholder: 'https://hooks.slack.com/services/…' },
  teams: { label: 'Microsoft Teams', hint: "a Teams channel's incoming webhook URL (an Adaptive Card is posted)",
    placeholder: 'https://….webhook.office.com/…' },
  email: { label: 'E-mail', hint: 'a text and HTML message through the operator’s SMTP server' },
}

export const EVENTS = [
  { id: 'job.finished', label: 'a job finished', group: 'Jobs' },
  { id: 'job.failed', label: 'a job failed', group: 'Jobs' },
  { id: 'anomaly.*', label: 'every anomaly', group: 'Anomalies' },
  { id: 'anomaly.hit_ratio', label: 'the warm hit ratio drops', group: 'Anomalies' },
  { id: 'anomaly.visitor_hit_ratio', label: "visitors' hit ratio drops", group: 'Anomalies' },
  { id: 'anomaly.origin_errors', label: 'origin errors or timeouts rise', group: 'Anomalies' },
  { id: 'anomaly.unreachable', label: 'a website becomes unreachable', group: 'Anomalies' },
  { id: 'anomaly.agent_silent', label: 'an agent falls silent', group: 'Anomalies' },
  { id: 'report.daily', label: 'a daily report', group: 'Reports' },
  { id: 'report.weekly', label: 'a weekly report', group: 'Reports' },
]

// The anomalies' thresholds: pct ones are a share the form shows in %,
// the API takes from 0 to 1.  for: the events that read it.
export const THRESHOLDS = [
  { key: 'hit_ratio_below', label: 'Warm hit ratio below', unit: '%', pct: true,
    min: 0, max: 100, default: 50, for: ['anomaly.hit_ratio'] },
  { key: 'visitor_hit_ratio_below', label: "Visitors' hit ratio below", unit: '%', pct: true,
    min: 0, max: 100, default: 50, for: ['anomaly.visitor_hit_ratio'] },
  { key: 'origin_error_share_above', label: 'Origin errors above', unit: '%', pct: true,
    min: 0, max: 100, default: 20, for: ['anomaly.origin_errors'] },
  { key: 'agent_silent_minutes', label: 'Agent silent for', unit: 'min',
    min: 1, max: 10080, default: 15, for: ['anomaly.agent_silent'] },
  { key: 'min_requests', label: 'Answers an hour at least', unit: 'answers',
    min: 1, max: 1000000000, default: 20,
    for: ['anomaly.hit_ratio', 'anomaly.visitor_hit_ratio', 'anomaly.origin_errors'] },
]

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function emptyChannelForm() {
  return { kind: 'webhook', name: '', url: '', recipients: '', events: ['job.failed'],
    settings: Object.fromEntries(THRESHOLDS.map((t) => [t.key, ''])), enabled: true }
}

// A channel as the API lists it, into the form.
export function channelForm(c) {
  const f = emptyChannelForm()
  f.kind = c.kind
  f.name = c.name
  f.url = c.url || ''
  f.recipients = (c.recipients || []).join('\n')
  f.events = [...c.events]
  f.enabled = c.enabled
  for (const t of THRESHOLDS) {
    const v = c.settings?.[t.key]
    if (typeof v === 'number') f.settings[t.key] = t.pct ? round(v * 100) : v
  }
  return f
}

const round = (x) => Math.round(x * 1e6) / 1e6

// The events a channel is sent, once anomaly.* stands for them all.
export function chosenEvents(events) {
  const all = events.includes('anomaly.*')
  return EVENTS.map((e) => e.id).filter((id) => events.includes(id) &&
    !(all && id.startsWith('anomaly.') && id !== 'anomaly.*'))
}

// The thresholds the chosen events read.
export function thresholdsFor(events) {
  const all = events.includes('anomaly.*')
  return THRESHOLDS.filter((t) => all || t.for.some((e) => events.includes(e)))
}

export function recipientList(text) {
  return (text || '').split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean)
}

// What has to be fixed, by the form's field names ("settings.min_requests").
export function channelProblems(f) {
  const p = {}
  if (!KINDS[f.kind]) p.kind = 'webhook, slack, teams or email'
  const name = (f.name || '').trim()
  if (!name) p.name = 'a name, to tell the channel apart'
  else if (name.length > 200) p.name = 'at most 200 characters'
  if (f.kind === 'email') {
    const r = recipientList(f.recipients)
    if (!r.length) p.recipients = 'one address at least'
    else if (r.length > 10) p.recipients = 'at most 10 addresses'
    else {
      const bad = r.find((a) => !EMAIL.test(a) || a.length > 254)
      if (bad) p.recipients = `"${bad}" is not an e-mail address`
    }
  } else if (KINDS[f.kind]) {
    const u = (f.url || '').trim()
    let url = null
    try {
      url = new URL(u)
    } catch {
      // said below
    }
    if (!u) p.url = 'the URL the channel posts to'
    else if (!url || !/^https?:$/.test(url.protocol)) p.url = 'an http(s) URL'
    else if (u.length > 2048) p.url = 'at most 2048 characters'
  }
  if (!chosenEvents(f.events || []).length) p.events = 'one event at least'
  for (const t of thresholdsFor(f.events || [])) {
    const v = f.settings?.[t.key]
    if (v === '' || v === null || v === undefined) continue
    const n = Number(v)
    if (!Number.isFinite(n) || n < t.min || n > t.max)
      p['settings.' + t.key] = `${t.min} to ${t.max} ${t.unit}`
  }
  return p
}

// The body of POST (editing false) or PATCH (editing true: the kind
// stays); thresholds left empty are the server's defaults.
export function channelBody(f, { editing = false } = {}) {
  const b = { name: f.name.trim(), events: chosenEvents(f.events), enabled: !!f.enabled }
  if (!editing) b.kind = f.kind
  if (f.kind === 'email') b.recipients = recipientList(f.recipients)
  else b.url = f.url.trim()
  const settings = {}
  for (const t of thresholdsFor(b.events)) {
    const v = f.settings?.[t.key]
    if (v === '' || v === null || v === undefined) continue
    settings[t.key] = t.pct ? round(Number(v) / 100) : Number(v)
  }
  b.settings = settings
  return b
}

// The field of the form an API error is about ("settings" for any of
// its thresholds, "recipients[2]" for the recipients').
export function formField(err) {
  if (!err || !err.field) return null
  return String(err.field).split('[')[0]
}

// Where a channel sends, in a word.
export function destination(c) {
  if (c.kind === 'email') return c.recipients.join(', ')
  try {
    const u = new URL(c.url)
    return u.host + (u.pathname.length > 1 ? u.pathname.slice(0, 24) +
      (u.pathname.length > 24 ? '…' : '') : '')
  } catch {
    return c.url || '–'
  }
}

// A delivery's state, as the table says it.
export function deliveryState(d) {
  if (d.status === 'delivered') return { state: 'delivered', label: 'delivered' }
  if (d.status === 'failed') return { state: 'failed', label: 'given up' }
  if (!d.attempts) return { state: 'pending', label: 'waiting to be sent' }
  return { state: 'pending', label: `pending: attempt ${d.attempts} failed, retried` }
}

// How a receiver checks a webhook's signature (the scheme of
// openapi.json's ChannelCreated.secret), in Node.js and in Python.
// The Node one is run by the tests against a signature made there.
export const VERIFY_NODE = `const crypto = require('node:crypto')

// header: the Stoke-Signature header; body: the raw body, as received.
function verifyStoke(secret, header, body, now = Date.now() / 1000) {
  const p = Object.fromEntries(header.split(',').map((kv) => kv.split('=')))
  if (!p.t || !p.v1 || Math.abs(now - Number(p.t)) > 300) return false
  const mac = crypto.createHmac('sha256', secret)
    .update(p.t + '.').update(body).digest('hex')
  return mac.length === p.v1.length &&
    crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(p.v1))
}`

export const VERIFY_PYTHON = `import hashlib, hmac, time

def verify_stoke(secret: str, header: str, body: bytes) -> bool:
    p = dict(kv.split("=", 1) for kv in header.split(","))
    if "t" not in p or "v1" not in p or abs(time.time() - int(p["t"])) > 300:
        return False
    mac = hmac.new(secret.encode(), p["t"].encode() + b"." + body,
                   hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, p["v1"])`
