// A job followed live, over Server-Sent Events (GET /api/jobs/:id/events,
// the token in the query since EventSource sends no header): its
// progress, its latest results, its end.
//
// EventSource connects again by itself after a cut, sending the last
// result's id, and the server goes on from there; a 401 or 404 (the
// token ended, the job is not ours) closes it for good.
import { markRaw } from 'vue'
import { defineStore } from 'pinia'

export const KEEP_RESULTS = 50

function empty() {
  return {
    jobId: null,
    progress: null, // the last progress event's data (JobProgress)
    results: [], // the latest results, newest first, KEEP_RESULTS at most
    received: 0, // results seen since the start
    lastEventId: null,
    ended: null, // the end event's Job
    state: 'idle', // idle, connecting, open, reconnecting, ended, failed
    error: null,
  }
}

export const useJobLive = defineStore('jobLive', {
  state: empty,
  getters: {
    total: (s) => s.ended?.urls_total ?? s.progress?.urls_total ?? 0,
    completed: (s) => s.ended?.urls_completed ?? s.progress?.urls_completed ?? 0,
    failed: (s) => s.ended?.urls_failed ?? s.progress?.urls_failed ?? 0,
    status: (s) => s.ended?.status ?? s.progress?.status ?? null,
    // Tasks ended, of all: 0 to 1, or null while the total is unknown
    // (a sitemap job before its sitemap is read).
    fraction() {
      if (!this.total) return this.ended ? 1 : null
      return Math.min(1, (this.completed + this.failed) / this.total)
    },
    rate: (s) => s.ended ? null : s.progress?.rate ?? null,
    eta: (s) => s.ended ? null : s.progress?.eta_seconds ?? null,
    live: (s) => s.state === 'open' || s.state === 'connecting' ||
      s.state === 'reconnecting',
  },
  actions: {
    // Follows job jobId; token: the bearer token; Impl: EventSource's
    // constructor (a test's own).  An earlier stream is closed first.
    start(jobId, token, Impl = globalThis.EventSource) {
      this.stop()
      Object.assign(this, empty())
      this.jobId = jobId
      this.state = 'connecting'
      const url = `/api/jobs/${encodeURIComponent(jobId)}/events?` +
        new URLSearchParams({ access_token: token }).toString()
      // Raw: a reactive proxy of it would not be the one its events name.
      const es = markRaw(new Impl(url))
      this._es = es
      es.addEventListener('open', () => {
        if (this._es === es) this.state = 'open'
      })
      es.addEventListener('progress', (e) => this.onProgress(es, e))
      es.addEventListener('result', (e) => this.onResult(es, e))
      es.addEventListener('end', (e) => this.onEnd(es, e))
      es.addEventListener('error', () => this.onError(es))
    },
    stop() {
      if (this._es) {
        this._es.close()
        this._es = null
      }
      if (this.live) this.state = 'idle'
    },
    onProgress(es, e) {
      if (this._es !== es) return
      const d = parse(e.data)
      if (d) this.progress = d
    },
    onResult(es, e) {
      if (this._es !== es) return
      const d = parse(e.data)
      if (!d) return
      // A resumed stream starts after the last id it saw: no duplicates,
      // but be sure.
      if (this.results.length && this.results[0].id >= d.id) return
      this.lastEventId = e.lastEventId || String(d.id)
      this.received++
      this.results.unshift(d)
      if (this.results.length > KEEP_RESULTS) this.results.length = KEEP_RESULTS
    },
    onEnd(es, e) {
      if (this._es !== es) return
      const d = parse(e.data)
      this.ended = d || { status: this.status }
      this.state = 'ended'
      es.close()
      this._es = null
    },
    onError(es) {
      if (this._es !== es) return
      // CLOSED: the server said no (401, 404) or not an event stream;
      // CONNECTING: EventSource tries again by itself.
      if (es.readyState === 2) {
        this.state = 'failed'
        this.error = 'the live view was refused: sign in again, or the ' +
          'job is not one of yours'
        this._es = null
      } else {
        this.state = 'reconnecting'
      }
    },
  },
})

function parse(s) {
  try {
    return JSON.parse(s)
  } catch {
    return null
  }
}
