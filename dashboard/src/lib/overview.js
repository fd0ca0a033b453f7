// The overview across projects, from the tenant API's pieces: each
// website's latest jobs and agents, read a few at a time, and what needs
// its tenant (alerts).  Pure but for mapLimit's calls, for the tests.
import { agentState } from './agents.js'

// fn over items, at most n at once; the answers in items' order.  A
// failed call gives its error in place of an answer: one website that
// cannot be read leaves the others shown.
export async function mapLimit(items, n, fn) {
  const out = new Array(items.length)
  let next = 0
  async function worker() {
    while (next < items.length) {
      const i = next++
      try {
        out[i] = await fn(items[i], i)
      } catch (e) {
        out[i] = e instanceof Error ? e : new Error(String(e))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
  return out
}

const LIVE = ['queued', 'running']

// A website's warm state from its latest jobs (newest first):
//   warming (a job queued or running), warm (the last one ended done,
//   nothing failed), partly (done, some URLs failed), failed, cancelled,
//   never (no job yet).
export function warmState(jobs) {
  if (jobs.some((j) => LIVE.includes(j.status))) return 'warming'
  const last = jobs[0]
  if (!last) return 'never'
  if (last.status === 'done') return last.urls_failed > 0 ? 'partly' : 'warm'
  return last.status
}

export const WARM_LABEL = {
  warming: 'warming now', warm: 'warm', partly: 'warm, some URLs failed',
  failed: 'its last job failed', cancelled: 'its last job was cancelled',
  never: 'never warmed',
}

// What needs the tenant, the worst first: sites are {site, project,
// jobs, agents}.  level: bad or warn; to: where to look.
export function alertsOf(sites, now = Date.now()) {
  const out = []
  for (const { site, jobs, agents } of sites) {
    const name = site.name || site.base_url
    const last = jobs.find((j) => !LIVE.includes(j.status))
    if (last && last.status === 'failed')
      out.push({ level: 'bad', kind: 'job_failed', site: name,
        text: `job #${last.id} failed` + (last.error ? `: ${last.error}` : ''),
        to: { name: 'job', params: { jid: last.id } } })
    else if (last && last.status === 'done' && last.urls_failed > 0)
      out.push({ level: 'warn', kind: 'urls_failed', site: name,
        text: `job #${last.id}: ${last.urls_failed} of ${last.urls_total} URLs failed`,
        to: { name: 'job', params: { jid: last.id } } })
    for (const a of agents) {
      const s = agentState(a, now)
      if (s.state === 'silent' || s.state === 'lagging')
        out.push({ level: s.state === 'silent' ? 'bad' : 'warn', kind: 'agent_' + s.state,
          site: name, text: `agent ${a.name}: ${s.label}`,
          to: { name: 'agents', params: { wid: site.id } } })
    }
  }
  const rank = { bad: 0, warn: 1 }
  return out.sort((a, b) => rank[a.level] - rank[b.level])
}

// The jobs running now, across websites, oldest first.
export function runningJobs(sites) {
  return sites.flatMap(({ site, jobs }) => jobs.filter((j) => LIVE.includes(j.status))
    .map((j) => ({ ...j, site: site.name || site.base_url })))
    .sort((a, b) => a.id - b.id)
}
