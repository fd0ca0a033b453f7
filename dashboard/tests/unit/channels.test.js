import { describe, it, expect } from 'vitest'
import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'
import { emptyChannelForm, channelForm, channelProblems, channelBody, chosenEvents,
  thresholdsFor, recipientList, destination, deliveryState, formField,
  VERIFY_NODE, VERIFY_PYTHON } from '../../src/lib/channels.js'

const form = (o) => ({ ...emptyChannelForm(), name: 'ops', ...o })

describe('a channel form, checked by its kind', () => {
  it('wants a name, an http(s) URL for the HTTP kinds, and an event', () => {
    for (const kind of ['webhook', 'slack', 'teams']) {
      expect(channelProblems(form({ kind, url: 'https://hooks.example/x' }))).toEqual({})
      expect(channelProblems(form({ kind, url: '' })).url).toBe('the URL the channel posts to')
      expect(channelProblems(form({ kind, url: 'ftp://x/' })).url).toBe('an http(s) URL')
      expect(channelProblems(form({ kind, url: 'not a url' })).url).toBe('an http(s) URL')
      expect(channelProblems(form({ kind, url: 'https://x/' + 'a'.repeat(2048) })).url)
        .toBe('at most 2048 characters')
    }
    expect(channelProblems(form({ name: ' ', url: 'https://x/', events: [] }))).toEqual({
      name: 'a name, to tell the channel apart', events: 'one event at least' })
  })
  it('wants one to ten addresses for e-mail, and no URL', () => {
    expect(channelProblems(form({ kind: 'email', recipients: 'a@x.example\nb@y.example' }))).toEqual({})
    expect(channelProblems(form({ kind: 'email', url: 'ignored', recipients: '' })).recipients)
      .toBe('one address at least')
    expect(channelProblems(form({ kind: 'email', recipients: 'a@x.example, nobody' })).recipients)
      .toBe('"nobody" is not an e-mail address')
    expect(channelProblems(form({ kind: 'email',
      recipients: Array.from({ length: 11 }, (_, i) => `u${i}@x.example`).join('\n') })).recipients)
      .toBe('at most 10 addresses')
  })
  it('checks the thresholds its events read, and only those', () => {
    const f = form({ url: 'https://x/', events: ['anomaly.hit_ratio'],
      settings: { hit_ratio_below: '101', min_requests: '0', agent_silent_minutes: 'x' } })
    expect(channelProblems(f)).toEqual({ 'settings.hit_ratio_below': '0 to 100 %',
      'settings.min_requests': '1 to 1000000000 answers' })
    expect(thresholdsFor(['job.failed'])).toEqual([])
    expect(thresholdsFor(['anomaly.*']).map((t) => t.key)).toEqual(['hit_ratio_below',
      'visitor_hit_ratio_below', 'origin_error_share_above', 'agent_silent_minutes', 'min_requests'])
    expect(thresholdsFor(['anomaly.agent_silent']).map((t) => t.key)).toEqual(['agent_silent_minutes'])
  })
})

describe("a channel form's body", () => {
  it('is what POST takes, by kind', () => {
    expect(channelBody(form({ url: ' https://h.example/x ', events: ['job.finished', 'job.failed'] })))
      .toEqual({ kind: 'webhook', name: 'ops', url: 'https://h.example/x',
        events: ['job.finished', 'job.failed'], enabled: true, settings: {} })
    expect(channelBody(form({ kind: 'email', url: 'left', recipients: 'a@x.example; b@x.example',
      events: ['report.weekly'], enabled: false }))).toEqual({ kind: 'email', name: 'ops',
      recipients: ['a@x.example', 'b@x.example'], events: ['report.weekly'], enabled: false,
      settings: {} })
  })
  it('gives shares from 0 to 1, and leaves empty thresholds to the server', () => {
    const b = channelBody(form({ kind: 'slack', url: 'https://hooks.slack.com/services/T/B/x',
      events: ['anomaly.*', 'anomaly.hit_ratio'],
      settings: { hit_ratio_below: '35', visitor_hit_ratio_below: '', origin_error_share_above: '12.5',
        agent_silent_minutes: '30', min_requests: '' } }))
    expect(b.events).toEqual(['anomaly.*'])
    expect(b.settings).toEqual({ hit_ratio_below: 0.35, origin_error_share_above: 0.125,
      agent_silent_minutes: 30 })
  })
  it('leaves the kind out of a change', () => {
    expect(channelBody(form({ kind: 'teams', url: 'https://t.example/' }), { editing: true }))
      .not.toHaveProperty('kind')
  })
  it('round-trips a channel as listed', () => {
    const c = { id: 3, kind: 'webhook', name: 'hook', url: 'https://h.example/', recipients: [],
      events: ['job.failed', 'anomaly.origin_errors'], enabled: false,
      settings: { origin_error_share_above: 0.07, min_requests: 5 } }
    const f = channelForm(c)
    expect(f.settings.origin_error_share_above).toBe(7)
    expect(channelBody(f, { editing: true })).toEqual({ name: 'hook', url: 'https://h.example/',
      events: ['job.failed', 'anomaly.origin_errors'], enabled: false,
      settings: { origin_error_share_above: 0.07, min_requests: 5 } })
  })
})

describe('what the page shows of channels and deliveries', () => {
  it('keeps the events in their order, anomaly.* standing for the others', () => {
    expect(chosenEvents(['report.daily', 'job.failed'])).toEqual(['job.failed', 'report.daily'])
    expect(chosenEvents(['anomaly.unreachable', 'anomaly.*', 'job.failed']))
      .toEqual(['job.failed', 'anomaly.*'])
  })
  it('reads recipients one a line or by commas', () => {
    expect(recipientList(' a@x.example,\n\nb@x.example ;c@x.example')).toEqual(
      ['a@x.example', 'b@x.example', 'c@x.example'])
  })
  it('says where a channel sends', () => {
    expect(destination({ kind: 'email', recipients: ['a@x', 'b@x'] })).toBe('a@x, b@x')
    expect(destination({ kind: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX' }))
      .toBe('hooks.slack.com/services/T000/B000/XXXX…')
    expect(destination({ kind: 'webhook', url: 'http://127.0.0.1:9/' })).toBe('127.0.0.1:9')
  })
  it("says a delivery's state", () => {
    expect(deliveryState({ status: 'pending', attempts: 0 }).label).toBe('waiting to be sent')
    expect(deliveryState({ status: 'pending', attempts: 2 }).label)
      .toBe('pending: attempt 2 failed, retried')
    expect(deliveryState({ status: 'delivered', attempts: 1 }).state).toBe('delivered')
    expect(deliveryState({ status: 'failed', attempts: 1 })).toEqual({ state: 'failed', label: 'given up' })
  })
  it("maps an API error's field to the form's", () => {
    expect(formField({ field: 'recipients[1]' })).toBe('recipients')
    expect(formField({ field: 'settings' })).toBe('settings')
    expect(formField(null)).toBe(null)
  })
})

// A signature as stoked makes it (the scheme of openapi.json).
const secret = 'whsec_' + 'ab'.repeat(32)
const body = '{"event":"channel.test","id":"channel.test/1"}'
const t = Math.floor(Date.now() / 1000)
const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')

describe('the snippets that verify a signature', () => {
  it('in Node.js, accepts a good one and refuses the rest', () => {
    const verify = new Function('require', VERIFY_NODE + '\nreturn verifyStoke')(
      createRequire(import.meta.url))
    expect(verify(secret, `t=${t},v1=${v1}`, body)).toBe(true)
    expect(verify(secret, `t=${t},v1=${v1}`, Buffer.from(body))).toBe(true)
    expect(verify(secret, `t=${t},v1=${v1}`, body + ' ')).toBe(false)
    expect(verify('whsec_other', `t=${t},v1=${v1}`, body)).toBe(false)
    expect(verify(secret, `t=${t - 600},v1=${v1}`, body)).toBe(false)
    expect(verify(secret, `t=${t}`, body)).toBe(false)
    expect(verify(secret, `t=${t},v1=abc`, body)).toBe(false)
  })
  it('in Python, the same', () => {
    const py = spawnSync('python3', ['-c', VERIFY_PYTHON + `
import sys
s, h, b = sys.argv[1], sys.argv[2], sys.argv[3].encode()
print(verify_stoke(s, h, b), verify_stoke(s, h, b + b" "), verify_stoke("x", h, b))`,
    secret, `t=${t},v1=${v1}`, body], { encoding: 'utf8' })
    if (py.error) return // no python3 here: the Node test stands for both
    expect(py.stderr).toBe('')
    expect(py.stdout.trim()).toBe('True False False')
  })
})
