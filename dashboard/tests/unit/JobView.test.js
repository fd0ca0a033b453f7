import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { stubRouter } from './stubRouter.js'
import { useJobLive } from '../../src/stores/jobLive.js'

const get = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a),
  post: vi.fn(), patch: vi.fn(), del: vi.fn() } }))

const { default: JobView } = await import('../../src/views/JobView.vue')

// An EventSource that never speaks: the page's own state is what shows.
class Quiet {
  addEventListener() {}
  close() {}
}

describe('a job page opened after another', () => {
  let jobAnswer

  beforeEach(() => {
    get.mockReset()
    jobAnswer = null
    get.mockImplementation(async (path) => {
      if (path === '/api/jobs/3') return jobAnswer
      if (path === '/api/websites/1') return { id: 1, name: 'Shop', project_id: 2 }
      if (path === '/api/projects/2') return { id: 2, role: 'owner' }
      if (path === '/api/jobs/3/results') return { results: [], next_after: null }
      throw new Error('unexpected ' + path)
    })
    globalThis.EventSource = Quiet
  })

  it('shows neither the last job\'s status nor its numbers while it loads', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const live = useJobLive()
    // The last job's page followed job 1 to its end.
    live.jobId = '1'
    live.ended = { status: 'done', urls_total: 67, urls_completed: 67, urls_failed: 0 }
    let release
    const loaded = new Promise((resolve) => { release = resolve })
    get.mockImplementationOnce(async () => loaded)
    const w = mount(JobView, { props: { jid: '3' },
      global: { plugins: [stubRouter(), pinia] } })
    await flushPromises()
    expect(w.find('[data-test=job-status]').exists()).toBe(false)
    expect(live.ended).toBe(null)

    release({ id: 3, website_id: 1, status: 'queued', trigger: 'purge', source: 'urls',
      urls_total: 1, urls_completed: 0, urls_failed: 0, created_at: '2026-01-01T00:00:00Z' })
    await flushPromises()
    expect(w.find('[data-test=job-status]').text()).toBe('queued')
    expect(live.jobId).toBe('3')
  })
})
