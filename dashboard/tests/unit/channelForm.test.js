import { describe, it, expect } from 'vitest'
import { mount } from '@vue/test-utils'
import { ApiError } from '../../src/api/client.js'
import ChannelForm from '../../src/components/ChannelForm.vue'

describe('the channel form', () => {
  it("shows a kind's fields: a URL, or recipients", async () => {
    const w = mount(ChannelForm)
    expect(w.find('input[name=url]').exists()).toBe(true)
    await w.find('select[name=kind]').setValue('email')
    expect(w.find('input[name=url]').exists()).toBe(false)
    expect(w.find('textarea[name=recipients]').exists()).toBe(true)
  })
  it('says what is wrong by field, and sends nothing', async () => {
    const w = mount(ChannelForm)
    await w.find('input[name=url]').setValue('ftp://x/')
    await w.find('form').trigger('submit')
    expect(w.emitted('save')).toBeUndefined()
    expect(w.find('input[name=name]').attributes('aria-invalid')).toBe('true')
    expect(w.find('input[name=url]').attributes('aria-invalid')).toBe('true')
    expect(w.find('#ch-url-err').text()).toBe('an http(s) URL')
    expect(w.find('input[name=url]').attributes('aria-describedby')).toBe('ch-url-err')
  })
  it("shows thresholds for the anomalies chosen, and sends the API's body", async () => {
    const w = mount(ChannelForm)
    expect(w.find('[data-test=channel-thresholds]').exists()).toBe(false)
    await w.find('input[name=name]').setValue('ops')
    await w.find('input[name=url]').setValue('https://h.example/in')
    await w.find('input[value="anomaly.hit_ratio"]').setValue(true)
    expect(w.findAll('[data-test=channel-thresholds] input').map((i) => i.attributes('name')))
      .toEqual(['settings.hit_ratio_below', 'settings.min_requests'])
    await w.find('input[name="settings.hit_ratio_below"]').setValue('40')
    await w.find('form').trigger('submit')
    expect(w.emitted('save')[0][0]).toEqual({ kind: 'webhook', name: 'ops',
      url: 'https://h.example/in', events: ['job.failed', 'anomaly.hit_ratio'], enabled: true,
      settings: { hit_ratio_below: 0.4 } })
  })
  it('every anomaly: the single ones are implied', async () => {
    const w = mount(ChannelForm)
    await w.find('input[value="anomaly.*"]').setValue(true)
    expect(w.find('input[value="anomaly.unreachable"]').attributes('disabled')).toBeDefined()
  })
  it("shows the API's error on its field", async () => {
    const w = mount(ChannelForm, { props: { error: new ApiError(422,
      'forbidden_address', 'url: resolves to a private address', 'url') } })
    expect(w.find('#ch-url-err').text()).toBe('url: resolves to a private address')
    expect(w.find('[data-test=error]').text()).toMatch(/forbidden_address, url/)
  })
  it('changes a channel: its kind stays', async () => {
    const w = mount(ChannelForm, { props: { channel: { id: 4, kind: 'email',
      name: 'boss', url: null, recipients: ['b@x.example'], events: ['report.daily'],
      settings: {}, enabled: true } } })
    expect(w.find('select[name=kind]').attributes('disabled')).toBeDefined()
    expect(w.find('textarea[name=recipients]').element.value).toBe('b@x.example')
    await w.find('form').trigger('submit')
    expect(w.emitted('save')[0][0]).toEqual({ name: 'boss', recipients: ['b@x.example'],
      events: ['report.daily'], enabled: true, settings: {} })
  })
})
