import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { stubRouter } from './stubRouter.js'

const get = vi.fn()
const post = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a),
  post: (...a) => post(...a), patch: vi.fn(), del: vi.fn() } }))

const { default: NotificationsView } = await import('../../src/views/NotificationsView.vue')

const channel = { id: 5, project_id: 2, kind: 'webhook', name: 'ops', url: 'https://h.example/in',
  recipients: [], events: ['job.failed'], settings: {}, enabled: true,
  created_at: '2026-01-01T00:00:00Z' }
const delivery = (o) => ({ id: 9, channel_id: 5, event: 'channel.test', event_id: 'channel.test/x',
  idempotency_key: 'channel.test/x:5', status: 'pending', attempts: 0, last_error: null,
  last_status: null, next_attempt_at: '2026-01-01T00:00:00Z', created_at: '2026-01-01T00:00:00Z',
  delivered_at: null, ...o })

let role
let pages
function answer(path, opts) {
  if (path === '/api/projects/2') return { id: 2, name: 'Shop', role, plan: 'free' }
  if (path === '/api/projects/2/channels') return { channels: [channel] }
  if (path === '/api/projects/2/deliveries') return pages(opts.query)
  throw new Error('unexpected ' + path)
}

async function mountAs(r) {
  role = r
  const w = mount(NotificationsView, { props: { pid: '2' },
    global: { plugins: [stubRouter(), createPinia()] } })
  await flushPromises()
  return w
}

describe('the notifications page', () => {
  beforeEach(() => {
    vi.useRealTimers()
    get.mockReset()
    post.mockReset()
    get.mockImplementation(async (p, o = {}) => answer(p, o))
    pages = (q) => q.before ? { deliveries: [delivery({ id: 3, status: 'failed', attempts: 4,
      last_status: 410, last_error: 'gone', next_attempt_at: null })], next_before: null }
      : { deliveries: [], next_before: null }
  })

  it('lets a viewer read, not change', async () => {
    const w = await mountAs('viewer')
    expect(w.find('[data-test=channels]').text()).toContain('ops')
    expect(w.find('[data-test=channel-form]').exists()).toBe(false)
    expect(w.findAll('[data-test=channels] button').length).toBe(0)
    expect(w.text()).toContain('Only owners and admins add and change channels.')
  })

  it('sends a test and follows its delivery until it is sent', async () => {
    const w = await mountAs('admin')
    expect(w.find('[data-test=channel-form]').exists()).toBe(true)
    expect(w.find('[data-test=no-deliveries]').exists()).toBe(true)
    vi.useFakeTimers()
    let sent = false
    pages = () => ({ deliveries: [sent ? delivery({ status: 'delivered', attempts: 1,
      last_status: 204, next_attempt_at: null, delivered_at: '2026-01-01T00:00:01Z' })
      : delivery()], next_before: null })
    post.mockResolvedValue(delivery())
    await w.find('button[aria-label="Send a test to ops"]').trigger('click')
    await flushPromises()
    expect(post).toHaveBeenCalledWith('/api/projects/2/channels/5/test')
    expect(w.find('[data-test=said]').text()).toBe('A test is on its way to “ops”: delivery #9, below.')
    expect(w.find('[data-delivery="9"] [data-test=delivery-status]').text()).toBe('waiting to be sent')
    // Pending: the first page is read again until it is not.
    sent = true
    await vi.advanceTimersByTimeAsync(1600)
    expect(w.find('[data-delivery="9"] [data-test=delivery-status]').text()).toBe('delivered')
    expect(w.find('[data-delivery="9"] [data-test=delivery-answer]').text()).toBe('204')
    const reads = get.mock.calls.filter(([p]) => p.endsWith('/deliveries')).length
    await vi.advanceTimersByTimeAsync(5000)
    expect(get.mock.calls.filter(([p]) => p.endsWith('/deliveries')).length).toBe(reads)
    w.unmount()
  })

  it('pages and filters the deliveries by channel', async () => {
    pages = (q) => q.before ? { deliveries: [delivery({ id: 3, status: 'failed', attempts: 4,
      last_status: 410, last_error: 'gone', next_attempt_at: null })], next_before: null }
      : { deliveries: [delivery({ id: 4, status: 'delivered', attempts: 1, next_attempt_at: null })],
        next_before: 4 }
    const w = await mountAs('owner')
    const older = w.findAll('button').find((b) => b.text() === 'Older')
    await older.trigger('click')
    await flushPromises()
    expect(get.mock.calls.at(-1)).toEqual(['/api/projects/2/deliveries',
      { query: { limit: 20, before: 4, channel: '' } }])
    expect(w.find('[data-delivery="3"]').text()).toContain('given up')
    expect(w.find('[data-delivery="3"] [data-test=delivery-answer]').text()).toBe('410: gone')
    await w.find('select[name=channel]').setValue('5')
    await flushPromises()
    expect(get.mock.calls.at(-1)).toEqual(['/api/projects/2/deliveries',
      { query: { limit: 20, before: null, channel: '5' } }])
  })
})
