// The overview across projects (GET /api/overview): each website's warm
// state, the jobs running, and what needs its tenant (alerts).  Pure,
// for the tests.
import { agentState } from './agents.js'

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

// What needs the tenant, the worst first: sites are the overview's
// websites, each with its latest jobs and its agents.  level: bad or
// warn; to: where to look.
export function alertsOf(sites, now = Date.now()) {
  const out = []
  for (const site of sites) {
    const { jobs, agents } = site
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

// The overview's running jobs, each with its website's name.
export function runningJobs(overview) {
  const names = new Map(overview.websites.map((w) => [w.id, w.name || w.base_url]))
  return overview.running.map((j) => ({ ...j, site: names.get(j.website_id) ?? '' }))
}
