import { describe, it, expect, beforeEach } from 'vitest'
import { setActivePinia, createPinia } from 'pinia'
import { useJobLive, KEEP_RESULTS } from '../../src/stores/jobLive.js'

// An EventSource that the test drives.
class FakeES {
  static last = null
  constructor(url) {
    this.url = url
    this.readyState = 0
    this.listeners = {}
    this.closed = false
    FakeES.last = this
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn)
  }
  emit(type, data, id = '') {
    const e = { data: data === undefined ? undefined : JSON.stringify(data), lastEventId: id }
    for (const fn of this.listeners[type] || []) fn(e)
  }
  close() {
    this.closed = true
    this.readyState = 2
  }
}

const progress = (done, failed, total, extra = {}) => ({ job_id: 9,
  urls_total: total, urls_completed: done, urls_failed: failed, rate: 12.5,
  eta_seconds: 4, status: 'running', ...extra })
const result = (id) => ({ id, url: `http://shop/p/${id}`, outcome: 'cached' })

describe('a job followed live', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('opens the stream with the token in the query', () => {
    const s = useJobLive()
    s.start(9, 'a b+c', FakeES)
    expect(FakeES.last.url).toBe('/api/jobs/9/events?access_token=a+b%2Bc')
    expect(s.state).toBe('connecting')
    FakeES.last.emit('open')
    expect(s.state).toBe('open')
  })

  it('follows progress: fraction, rate, ETA', () => {
    const s = useJobLive()
    s.start(9, 't', FakeES)
    expect(s.fraction).toBeNull()
    FakeES.last.emit('progress', progress(0, 0, 0))
    expect(s.fraction).toBeNull() // a sitemap job not read yet
    FakeES.last.emit('progress', progress(30, 10, 80))
    expect([s.fraction, s.completed, s.failed, s.total, s.rate, s.eta])
      .toEqual([0.5, 30, 10, 80, 12.5, 4])
  })

  it('keeps the latest results, newest first, each once', () => {
    const s = useJobLive()
    s.start(9, 't', FakeES)
    for (let i = 1; i <= KEEP_RESULTS + 5; i++)
      FakeES.last.emit('result', result(i), String(i))
    FakeES.last.emit('result', result(3), '3') // a resumed stream's repeat
    expect(s.results.length).toBe(KEEP_RESULTS)
    expect(s.results[0].id).toBe(KEEP_RESULTS + 5)
    expect(s.received).toBe(KEEP_RESULTS + 5)
    expect(s.lastEventId).toBe(String(KEEP_RESULTS + 5))
  })

  it('ends with the job as it ended, and closes', () => {
    const s = useJobLive()
    s.start(9, 't', FakeES)
    const es = FakeES.last
    es.emit('progress', progress(5, 0, 10))
    es.emit('end', { id: 9, status: 'done', urls_total: 10, urls_completed: 9,
      urls_failed: 1, rate: null, eta_seconds: null })
    expect([s.state, s.status, s.fraction, s.rate, s.eta, es.closed])
      .toEqual(['ended', 'done', 1, null, null, true])
    expect(s.live).toBe(false)
  })

  it('tells a cut, which EventSource mends, from a refusal', () => {
    const s = useJobLive()
    s.start(9, 't', FakeES)
    const es = FakeES.last
    es.readyState = 0
    es.emit('error')
    expect([s.state, s.error]).toEqual(['reconnecting', null])
    es.emit('open')
    expect(s.state).toBe('open')
    es.readyState = 2 // a 401 or 404: EventSource gives up
    es.emit('error')
    expect(s.state).toBe('failed')
    expect(s.error).toMatch(/sign in again/)
  })

  it("ignores an old stream's events once another job is followed", () => {
    const s = useJobLive()
    s.start(9, 't', FakeES)
    const old = FakeES.last
    s.start(10, 't', FakeES)
    expect(old.closed).toBe(true)
    old.emit('progress', progress(1, 0, 2))
    old.emit('result', result(1), '1')
    expect([s.jobId, s.progress, s.results.length]).toEqual([10, null, 0])
  })
})
