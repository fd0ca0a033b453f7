import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { ApiError } from '../../src/api/client.js'
import { stubRouter } from './stubRouter.js'
import { browserZone } from '../../src/lib/schedule.js'

const get = vi.fn()
const put = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a),
  put: (...a) => put(...a), post: vi.fn() } }))

const { default: ScheduleCard } = await import('../../src/components/ScheduleCard.vue')
const { default: WebsiteFormView } = await import('../../src/views/WebsiteFormView.vue')

const opts = () => ({ global: { plugins: [stubRouter(), createPinia()] } })

const schedule = (o) => ({ website_id: 3, schedule: '0 3 * * *', schedule_tz: 'Europe/Berlin',
  now: '2025-03-29T12:00:00Z', next_runs: ['2025-03-30T01:00:00Z', '2025-03-31T01:00:00Z'],
  next_runs_local: ['2025-03-30T03:00:00+02:00', '2025-03-31T03:00:00+02:00'],
  next_run_at: '2025-03-30T01:00:00Z', last_run_at: '2025-03-29T02:00:00Z', last_job_id: 11,
  last_skipped_at: '2025-03-28T02:00:00Z', last_skipped_job_id: 9, error: null, ...o })

describe('the schedule card', () => {
  beforeEach(() => get.mockReset())
  it('shows the next runs in the zone, the last run and the slot skipped, with their jobs', async () => {
    get.mockResolvedValue(schedule())
    const w = mount(ScheduleCard, { ...opts(), props: { wid: '3' } })
    await flushPromises()
    expect(get).toHaveBeenCalledWith('/api/websites/3/schedule')
    expect(w.findAll('[data-test=run-zone]').map((x) => x.text())).toEqual([
      'Sun 30 Mar 2025, 03:00 (UTC+2)', 'Mon 31 Mar 2025, 03:00 (UTC+2)'])
    if (browserZone() !== 'Europe/Berlin')
      expect(w.findAll('[data-test=run-local]').length).toBe(2)
    expect(w.find('[data-test=last-run] a').attributes('href')).toBe('/jobs/11')
    expect(w.find('[data-test=last-skipped]').text()).toMatch(/job #9 was still queued or running/)
    expect(w.find('[data-test=last-skipped] a').attributes('href')).toBe('/jobs/9')
  })
  it("has one column when the browser's zone is the schedule's", async () => {
    get.mockResolvedValue(schedule({ schedule_tz: browserZone() }))
    const w = mount(ScheduleCard, { ...opts(), props: { wid: '3' } })
    await flushPromises()
    expect(w.findAll('[data-test=run-local]').length).toBe(0)
    expect(w.find('thead').text()).toBe(`Next runs, in ${browserZone()} (your zone too)`)
  })
  it('says when there is none, or why it cannot run', async () => {
    get.mockResolvedValue(schedule({ schedule: null, next_runs: [], next_runs_local: [] }))
    let w = mount(ScheduleCard, { ...opts(), props: { wid: '3', canEdit: true } })
    await flushPromises()
    expect(w.find('[data-test=no-schedule] a').attributes('href')).toBe('/websites/3/edit')
    get.mockResolvedValue(schedule({ next_runs: [], next_runs_local: [],
      error: 'no zone Mars/Olympus' }))
    w = mount(ScheduleCard, { ...opts(), props: { wid: '3' } })
    await flushPromises()
    expect(w.find('[data-test=schedule-error]').text()).toMatch(/Mars\/Olympus/)
  })
})

describe("the website form's schedule", () => {
  const site = { id: 3, project_id: 1, name: 'Shop', base_url: 'http://o/', sitemap_url: null,
    cache_type: 'varnish', concurrency: 2, rate_limit: null, schedule: null, schedule_tz: 'UTC',
    variants: [], variant_inputs: {}, varnish_nodes: [], broadcast_invalidations: false }
  beforeEach(() => {
    get.mockReset()
    put.mockReset()
    get.mockResolvedValue(site)
  })
  it('is looked at as it is typed, and not sent while plainly wrong', async () => {
    const w = mount(WebsiteFormView, { ...opts(), props: { wid: '3' } })
    await flushPromises()
    await w.find('input[name=schedule]').setValue('0 25 * * *')
    expect(w.find('[data-test=schedule-hint]').text()).toBe('hour: 0 to 23')
    expect(w.find('input[name=schedule]').attributes('aria-invalid')).toBe('true')
    await w.find('form').trigger('submit')
    expect(put).not.toHaveBeenCalled()
    expect(w.find('[data-test=error]').text()).toMatch(/^schedule: hour: 0 to 23/)
  })
  it("shows the API's 422 on the field it names, until that field changes", async () => {
    put.mockRejectedValue(new ApiError(422, 'invalid_schedule',
      'schedule_tz: no such time zone', 'schedule_tz'))
    const w = mount(WebsiteFormView, { ...opts(), props: { wid: '3' } })
    await flushPromises()
    await w.find('input[name=schedule]').setValue('@daily')
    await w.find('input[name=schedule_tz]').setValue('Mars/Olympus')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(put.mock.calls[0][1]).toMatchObject({ schedule: '@daily', schedule_tz: 'Mars/Olympus' })
    expect(w.find('[data-test=tz-hint]').text()).toBe('schedule_tz: no such time zone')
    expect(w.find('input[name=schedule_tz]').attributes('aria-invalid')).toBe('true')
    expect(w.find('input[name=schedule]').attributes('aria-invalid')).toBe('false')
    await w.find('input[name=schedule_tz]').setValue('Europe/Berlin')
    expect(w.find('input[name=schedule_tz]').attributes('aria-invalid')).toBe('false')
    expect(w.find('[data-test=error]').exists()).toBe(false)
  })
})
