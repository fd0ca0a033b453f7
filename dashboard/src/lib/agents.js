// A website's agents as the dashboard reads them: how each is doing, and
// the command line that starts one on its node.  Pure, for the tests.

// An agent long-polls the control plane, and its last_seen_at moves at
// most every half minute: two minutes without a word is silence.
export const SILENT_AFTER_S = 120
// Its last batch's oldest event this far behind: it is not keeping up.
export const LAGGING_AFTER_S = 60

// { state, label }: waiting (never seen), silent, lagging or live.
export function agentState(a, now = Date.now()) {
  if (!a.last_seen_at)
    return { state: 'waiting', label: 'never seen: start it on its node' }
  const age = (now - Date.parse(a.last_seen_at)) / 1000
  if (age > SILENT_AFTER_S)
    return { state: 'silent', label: 'silent: not heard of for ' + ago(age) }
  if (a.lag_seconds !== null && a.lag_seconds !== undefined &&
      a.lag_seconds > LAGGING_AFTER_S)
    return { state: 'lagging', label: 'lagging: ' + ago(a.lag_seconds) + ' behind' }
  return { state: 'live', label: 'live' }
}

function ago(s) {
  s = Math.max(0, Math.round(s))
  if (s < 120) return s + ' s'
  if (s < 7200) return Math.round(s / 60) + ' min'
  if (s < 172800) return Math.round(s / 3600) + ' h'
  return Math.round(s / 86400) + ' days'
}

// The control plane an agent reaches: this dashboard's own origin (the
// API is served on the same port).  http is taken only on loopback,
// unless told --insecure-control.
export function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\./.test(h)
}

const quote = (s) => /^[\w@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'"

// The lines to run on the node: the token into a file only its user
// reads, then stoked agent.  token: the one shown once.
export function agentCommand({ control, token, node = 'http://127.0.0.1:6081',
  tokenFile = '/etc/stoke/agent.token', secretFile = '/etc/varnish/stoke.secret',
  stateDir = '/var/lib/stoke-agent' }) {
  const u = new URL(control)
  const args = ['stoked agent', '--node ' + quote(node),
    '--secret-file ' + quote(secretFile), '--control ' + quote(u.origin),
    '--token-file ' + quote(tokenFile), '--state-dir ' + quote(stateDir)]
  if (u.protocol === 'http:' && !isLoopback(u.hostname))
    args.push('--insecure-control')
  return `(umask 077; printf '%s\\n' ${quote(token)} > ${quote(tokenFile)})\n` +
    args.join(' \\\n    ')
}
