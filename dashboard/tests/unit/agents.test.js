import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import { createPinia } from 'pinia'
import { agentState, agentCommand, isLoopback, SILENT_AFTER_S } from '../../src/lib/agents.js'

const T = Date.parse('2026-03-01T12:00:00Z')
const at = (s) => new Date(T - s * 1000).toISOString()
const agent = (o = {}) => ({ id: 1, website_id: 3, name: 'varnish-1', prefix: 'sta_abcdefgh',
  created_at: at(3600), last_seen_at: at(10), version: '0.1.0',
  node: 'http://127.0.0.1:6081', lag_seconds: 0.4, ...o })

describe("an agent's state", () => {
  it('waits for a first hello', () => {
    expect(agentState(agent({ last_seen_at: null, lag_seconds: null }), T).state).toBe('waiting')
  })
  it('is live when heard of lately and keeping up', () => {
    expect(agentState(agent(), T)).toEqual({ state: 'live', label: 'live' })
  })
  it('is silent past the threshold, whatever its lag said', () => {
    expect(agentState(agent({ last_seen_at: at(SILENT_AFTER_S) }), T).state).toBe('live')
    const s = agentState(agent({ last_seen_at: at(SILENT_AFTER_S + 1) }), T)
    expect(s.state).toBe('silent')
    expect(s.label).toBe('silent: not heard of for 2 min')
    expect(agentState(agent({ last_seen_at: at(3 * 86400) }), T).label).toMatch(/3 days$/)
  })
  it('lags when its last batch was far behind', () => {
    expect(agentState(agent({ lag_seconds: 61 }), T)).toEqual({ state: 'lagging',
      label: 'lagging: 61 s behind' })
    expect(agentState(agent({ lag_seconds: null }), T).state).toBe('live')
  })
})

describe("an agent's command line", () => {
  const token = 'sta_' + 'a1'.repeat(20)
  it('writes the token where only root reads it, then starts the agent', () => {
    const c = agentCommand({ control: 'https://stoke.example/websites/3/agents', token })
    expect(c.split('\n')).toEqual([
      `(umask 077; printf '%s\\n' ${token} > /etc/stoke/agent.token)`,
      'stoked agent \\',
      '    --node http://127.0.0.1:6081 \\',
      '    --secret-file /etc/varnish/stoke.secret \\',
      '    --control https://stoke.example \\',
      '    --token-file /etc/stoke/agent.token \\',
      '    --state-dir /var/lib/stoke-agent'])
  })
  it('says --insecure-control for plain http off loopback only', () => {
    expect(agentCommand({ control: 'http://10.0.0.2:6087', token })).toMatch(/--insecure-control$/)
    expect(agentCommand({ control: 'http://127.0.0.1:6087', token })).not.toMatch(/insecure/)
    expect(agentCommand({ control: 'http://[::1]:6087', token })).not.toMatch(/insecure/)
    expect(isLoopback('localhost')).toBe(true)
    expect(isLoopback('127.9.9.9')).toBe(true)
    expect(isLoopback('10.0.0.1')).toBe(false)
  })
  it('quotes what a shell would split', () => {
    expect(agentCommand({ control: 'https://s.example', token, tokenFile: "/tmp/my agent's" }))
      .toContain(`> '/tmp/my agent'\\''s')`)
  })
})

const get = vi.fn()
const post = vi.fn()
const del = vi.fn()
vi.mock('../../src/api/index.js', () => ({ api: { get: (...a) => get(...a),
  post: (...a) => post(...a), del: (...a) => del(...a) } }))
const { default: AgentsView } = await import('../../src/views/AgentsView.vue')

async function mountAs(role) {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/:p(.*)*', name: 'any', component: { template: '<div/>' } },
    { path: '/w/:wid', name: 'website', component: { template: '<div/>' } },
    { path: '/w/:wid/a', name: 'agents', component: { template: '<div/>' } },
    { path: '/w/:wid/e', name: 'website-edit', component: { template: '<div/>' } },
    { path: '/w/:wid/n', name: 'analytics', component: { template: '<div/>' } },
    { path: '/w/:wid/p', name: 'purge', component: { template: '<div/>' } },
    { path: '/p/:pid', name: 'project', component: { template: '<div/>' } },
    { path: '/projects', name: 'projects', component: { template: '<div/>' } }] })
  let list = [agent()]
  get.mockImplementation(async (path) => {
    if (path === '/api/websites/3') return { id: 3, project_id: 9, name: 'Shop',
      base_url: 'http://shop/', broadcast_invalidations: true }
    if (path === '/api/projects/9') return { id: 9, role }
    if (path === '/api/websites/3/agents') return { agents: list }
    throw new Error(path)
  })
  post.mockImplementation(async (path, body) => {
    const a = agent({ id: 2, name: body.name, last_seen_at: null, lag_seconds: null,
      version: null, node: null })
    list = [...list, a]
    return { ...a, token: 'sta_' + 'Z'.repeat(40) }
  })
  del.mockImplementation(async (path) => {
    list = list.filter((a) => path !== `/api/websites/3/agents/${a.id}`)
    return null
  })
  const w = mount(AgentsView, { props: { wid: '3' },
    global: { plugins: [router, createPinia()] } })
  await flushPromises()
  return w
}

describe('the agents page', () => {
  beforeEach(() => {
    get.mockReset()
    post.mockReset()
    del.mockReset()
    vi.stubGlobal('confirm', () => true)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T)
  })
  afterEach(() => vi.useRealTimers())

  it('lists the agents, and lets a viewer do no more', async () => {
    const w = await mountAs('viewer')
    const cells = w.findAll('[data-test=agents] tbody td').map((td) => td.text())
    expect(cells[0]).toContain('varnish-1')
    expect(cells[1]).toBe('http://127.0.0.1:6081')
    expect(cells[2]).toBe('0.1.0')
    expect(w.find('form').exists()).toBe(false)
    expect(w.findAll('button.danger').length).toBe(0)
    expect(w.text()).toContain('done by the others too')
    w.unmount()
  })

  it('shows a new token once, with its command, and revokes', async () => {
    const w = await mountAs('admin')
    await w.find('input[name=agent_name]').setValue(' varnish-2 ')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(post).toHaveBeenCalledWith('/api/websites/3/agents', { name: 'varnish-2' })
    expect(w.find('[data-test=agent-token]').text()).toBe('sta_' + 'Z'.repeat(40))
    expect(w.find('[data-test=agent-command]').text()).toContain('--token-file /etc/stoke/agent.token')
    expect(w.findAll('[data-test=agent-state]').map((b) => b.text())).toEqual(['live', 'waiting'])
    // Revoking the new one forgets its token too.
    await w.findAll('button.danger')[1].trigger('click')
    await flushPromises()
    expect(del).toHaveBeenCalledWith('/api/websites/3/agents/2')
    expect(w.find('[data-test=agent-token]').exists()).toBe(false)
    expect(w.findAll('[data-test=agents] tbody tr').length).toBe(1)
    w.unmount()
  })
})
