// The dashboard end to end, in Chromium: the steps of e2e.sh.
//
// usage: node e2e.mjs PORT ORIGIN_PORT NODE_PORT ARTIFACTS NODE_MODULES
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { execFileSync } from 'node:child_process'

const [PORT, ORIGIN, NODE] = process.argv.slice(2, 5).map(Number)
// The Shopware-like origin (stoke-origin -s shopware).
const SHOP = Number(process.env.SHOP_ORIGIN)
const ART = process.argv[5]
const require = createRequire(join(process.argv[6], 'x.js'))
const { chromium, selectors } = require('playwright-core')
// The dashboard marks what tests find as data-test="...".
selectors.setTestIdAttribute('data-test')
const BASE = `http://127.0.0.1:${PORT}`
const PASSWORD = 'a long enough secret'
let checks = 0

// Under the API, as the other suites do: psql on the suite's database.
function sql(q) {
  return execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', process.env.PGURL,
    '-c', q], { encoding: 'utf8' }).trim()
}

function expect(what, got, want) {
  checks++
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

function ok(what, cond, detail = '') {
  checks++
  if (!cond) throw new Error(`${what}${detail ? ': ' + detail : ''}`)
}

// The API as a script would call it, with the page's token.
async function apiAs(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const t = JSON.parse(sessionStorage.getItem('stoke.token') || 'null')
    const h = t ? { Authorization: 'Bearer ' + t.token } : {}
    if (b !== undefined) h['Content-Type'] = 'application/json'
    const r = await fetch(p, { method: m, headers: h,
      body: b === undefined ? undefined : JSON.stringify(b) })
    return { status: r.status, body: await r.json().catch(() => null) }
  }, [method, path, body])
}

// The agent protocol, as stoked agent speaks it, with its token.
async function asAgent(token, path, body) {
  const r = await fetch(BASE + path, { method: 'POST', body: JSON.stringify(body),
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' } })
  return { status: r.status, body: await r.json().catch(() => null) }
}

// Pixels a chart's canvas has drawn.
async function painted(locator) {
  return locator.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++
    return n
  })
}

// axe-core run in the page: evaluated by the test rather than loaded by
// the page, which the Content-Security-Policy would refuse.  No serious
// or critical violation.
const AXE = readFileSync(join(process.argv[6], 'axe-core', 'axe.min.js'), 'utf8')
async function accessible(page, what) {
  if (!await page.evaluate(() => !!window.axe)) await page.evaluate(AXE)
  const bad = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.length} node(s), first ` +
        `${v.nodes[0].target.join(' ')}: ${v.help}`)
  })
  expect(`${what}: no serious or critical accessibility violation`, bad, [])
}

async function shot(page, name) {
  await page.screenshot({ path: join(ART, name + '.png'), fullPage: true })
}

// Nothing on the page wider than the screen: tables scroll in their box.
async function fits(page, what) {
  const [sw, vw] = await page.evaluate(() =>
    [document.documentElement.scrollWidth, window.innerWidth])
  ok(`${what} fits ${vw} px`, sw <= vw, `${sw} px wide`)
}

// A webhook's receiver: every request it gets, its headers and body as
// received, answered 204.
async function receiver() {
  const got = []
  const srv = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      got.push({ method: req.method, url: req.url, headers: req.headers,
        body: Buffer.concat(chunks) })
      res.writeHead(204).end()
    })
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return { got, port: srv.address().port, close: () => srv.close() }
}

// Stoke-Signature checked as the dashboard tells receivers to.
function signed(secret, header, body) {
  const p = Object.fromEntries(header.split(',').map((kv) => kv.split('=')))
  if (Math.abs(Date.now() / 1000 - Number(p.t)) > 300) return false
  const mac = createHmac('sha256', secret).update(p.t + '.').update(body).digest('hex')
  return mac.length === p.v1.length && timingSafeEqual(Buffer.from(mac), Buffer.from(p.v1))
}

// Polls fn until it holds, or fails after ms.
async function eventually(what, fn, ms = 30000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    ok(what + ' in time', Date.now() < end)
    await new Promise((r) => setTimeout(r, 200))
  }
}

// The job form's Start: its job's page, watched until the job is done.
async function startToEnd(page) {
  await page.getByRole('button', { name: 'Start' }).click()
  await page.waitForURL(/\/jobs\/\d+/)
  const id = Number(new URL(page.url()).pathname.split('/').pop())
  await page.waitForFunction(() =>
    document.querySelector('[data-test=job-status]')?.innerText === 'done', null,
  { timeout: 90000 })
  return id
}

async function signUp(page, name, email) {
  await page.goto(BASE + '/')
  await page.waitForURL(/\/login/)
  await page.getByRole('link', { name: 'Sign up', exact: true }).first().click()
  await page.getByLabel('Your name').fill(name)
  await page.getByLabel('E-mail', { exact: true }).fill(email)
  await page.getByLabel(/^Password/).fill(PASSWORD)
  await shot(page, `signup-${name}`)
  await page.getByRole('button', { name: 'Sign up' }).click()
  // The landing page: the overview, of nothing yet.
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
  await page.getByTestId('no-projects').waitFor()
  await page.getByRole('navigation', { name: 'Account' })
    .getByRole('link', { name: 'Projects' }).click()
  await page.getByRole('heading', { name: 'Projects' }).waitFor()
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM,
  headless: true, args: ['--no-sandbox'] })
const errors = []
function watch(page) {
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    // The API's refusals the test asks for on purpose are logged as
    // failed loads; scripts' own errors are not expected.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
      errors.push(m.text())
  })
}

try {
  // ---------------------------------------------------------------
  // Alice: sign up, a project, the shop as a website.
  // The browser in a zone of its own, for the schedule's two columns.
  const ctx = await browser.newContext({ acceptDownloads: true,
    viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Tokyo' })
  const page = await ctx.newPage()
  watch(page)
  await signUp(page, 'Alice', 'alice@shop.example')
  await page.getByText('No project yet').waitFor()
  await page.getByLabel('Name').fill('Shop')
  await page.getByRole('button', { name: 'Create' }).click()
  await page.getByRole('link', { name: 'Shop' }).click()
  await page.waitForURL(/\/projects\/\d+$/)
  const pid = Number(page.url().split('/').pop())
  await shot(page, 'project')

  await page.getByRole('link', { name: 'Add a website' }).click()
  await page.getByLabel('Name').fill('Shop')
  await page.getByLabel(/^Base URL/).fill(`http://127.0.0.1:${ORIGIN}/`)
  await page.getByLabel(/^Varnish nodes/).fill(`http://127.0.0.1:${NODE}`)
  await page.getByLabel(/^Concurrency/).fill('2')
  await page.getByRole('textbox', { name: /^Schedule/ }).fill('0 3 * * *')
  await shot(page, 'website-new')
  await page.getByRole('button', { name: 'Add the website' }).click()
  await page.waitForURL(/\/websites\/\d+$/)
  const wid = Number(page.url().split('/').pop())
  const site = (await apiAs(page, 'GET', `/api/websites/${wid}`)).body
  expect('the website as the form said', [site.base_url, site.concurrency,
    site.schedule, site.varnish_nodes], [`http://127.0.0.1:${ORIGIN}/`, 2,
    '0 3 * * *', [`http://127.0.0.1:${NODE}`]])

  // A bad setting: the API's error, on the form, on the field.
  await page.getByRole('link', { name: 'Settings', exact: true }).click()
  await page.waitForURL(/\/websites\/\d+\/edit$/)
  await page.getByRole('textbox', { name: /^Schedule/ }).fill('every day')
  // Said on the field as it is typed.
  expect('a plain mistake, said as typed', await page.getByTestId('schedule-hint').innerText(),
    '2 fields where five are needed (minute hour day month weekday)')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByTestId('error').waitFor()
  ok('the error names the schedule', /schedule/i.test(await page.getByTestId('error').innerText()))
  expect('the field is marked', await page.getByRole('textbox', { name: /^Schedule/ }).getAttribute('aria-invalid'), 'true')
  // One only the server sees: no 30 February comes.
  await page.getByRole('textbox', { name: /^Schedule/ }).fill('0 0 30 2 *')
  expect('nothing said while it may parse', await page.getByRole('textbox', { name: /^Schedule/ })
    .getAttribute('aria-invalid'), 'false')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByTestId('error').waitFor()
  expect("the API's reason on the field", await page.getByTestId('schedule-hint').innerText(),
    'schedule: no date of the next 10 years matches it')
  ok('its code', /invalid_schedule, schedule\)/.test(await page.getByTestId('error').innerText()))
  expect('the field is marked by the API', await page.getByRole('textbox', { name: /^Schedule/ }).getAttribute('aria-invalid'), 'true')
  // A zone the server lacks: its field, its reason.
  await page.getByRole('textbox', { name: /^Schedule/ }).fill('30 2 * * *')
  await page.getByLabel(/^Time zone/).fill('Mars/Olympus')
  ok('the browser does not know it either', /does not know the zone/.test(
    await page.getByTestId('tz-hint').innerText()))
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByTestId('error').waitFor()
  ok("the zone's field says why", /^schedule_tz: .*Mars\/Olympus/.test(
    await page.getByTestId('tz-hint').innerText()), await page.getByTestId('tz-hint').innerText())
  expect('the zone is marked', await page.getByLabel(/^Time zone/).getAttribute('aria-invalid'), 'true')
  expect('the schedule is not', await page.getByRole('textbox', { name: /^Schedule/ }).getAttribute('aria-invalid'), 'false')
  await shot(page, 'website-schedule-error')
  await page.getByLabel(/^Time zone/).fill('America/New_York')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.waitForURL(/\/websites\/\d+$/)
  // Its next runs: in New York, as the API says them, and in Tokyo, the
  // browser's zone, the same instants.
  const card = page.getByTestId('schedule-card')
  await card.getByTestId('next-runs').waitFor()
  const sched = (await apiAs(page, 'GET', `/api/websites/${wid}/schedule`)).body
  expect('five runs', sched.next_runs.length, 5)
  expect('in the zone, as the API writes them', await card.getByTestId('run-zone').allInnerTexts(),
    sched.next_runs_local.map((l) => {
      const [, d, hm, off] = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):00([+-]\d{2}):00$/.exec(l)
      const day = new Date(d + 'T12:00:00Z').toLocaleDateString('en-GB', { timeZone: 'UTC',
        weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).replace(',', '')
      return `${day}, ${hm} (UTC${off[0]}${Number(off.slice(1))})`
    }))
  ok('each at 02:30 there', (await card.getByTestId('run-zone').allInnerTexts())
    .every((t) => t.includes(', 02:30 (UTC-')))
  expect("and in the browser's zone", (await card.getByTestId('run-local').allInnerTexts())
    .map((t) => t.replace(/^.*, (\d\d:\d\d) \(UTC\+9\)$/, '$1')),
  sched.next_runs.map((u) => new Date(u).toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })))
  ok('the columns name their zones', /America\/New_York[\s\S]*Asia\/Tokyo/.test(
    await card.locator('thead').innerText()))
  await shot(page, 'website-schedule')
  // No schedule again: the jobs below are started by hand only.
  await page.getByRole('link', { name: 'Settings', exact: true }).click()
  await page.waitForURL(/\/websites\/\d+\/edit$/)
  await page.getByRole('textbox', { name: /^Schedule/ }).fill('')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.waitForURL(/\/websites\/\d+$/)
  await page.getByTestId('no-schedule').waitFor()

  // ---------------------------------------------------------------
  // A job of the sitemap, watched live to its end.
  await page.getByRole('button', { name: 'Start' }).click()
  await page.waitForURL(/\/jobs\/\d+/)
  const jid = Number(new URL(page.url()).pathname.split('/').pop())
  // Every value the progress bar takes, as the page renders it.
  await page.getByRole('progressbar').waitFor()
  await page.evaluate(() => {
    const bar = document.querySelector('[role=progressbar]')
    window.seen = [bar.getAttribute('aria-valuenow')]
    new MutationObserver(() => window.seen.push(bar.getAttribute('aria-valuenow')))
      .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] })
  })
  await page.waitForFunction(() =>
    document.querySelector('[data-test=job-status]')?.innerText === 'done', null,
  { timeout: 90000 })
  const seen = (await page.evaluate(() => window.seen)).filter((v) => v !== null).map(Number)
  const job = (await apiAs(page, 'GET', `/api/jobs/${jid}`)).body
  ok('the sitemap had its URLs', job.urls_total > 60, String(job.urls_total))
  ok('seen under way, live', seen.some((v) => v > 0 && v < 100), JSON.stringify(seen))
  expect('the page counts what the API does',
    Number((await page.getByTestId('done').innerText()).replace(/,/g, '')),
    job.urls_completed)
  ok('results streamed in', await page.getByTestId('latest').locator('li .badge').count() > 0)
  await shot(page, 'job')

  // ---------------------------------------------------------------
  // Its results: paged, sorted, filtered, exported.
  const table = page.getByTestId('results')
  await table.locator('tbody tr').first().waitFor()
  // The table reads its page again as results come; the last read has 50.
  await page.waitForFunction(() => document.querySelectorAll('[data-test=results] tbody tr').length === 50)
  await page.getByTestId('next-page').click()
  await page.waitForFunction(() => document.querySelectorAll('[data-test=results] tbody tr').length !== 50)
  expect('the rest on the next page', await table.locator('tbody tr').count(),
    job.urls_total - 50)
  await page.getByRole('button', { name: /^URL/ }).click()
  await page.getByRole('button', { name: /^URL/ }).click()
  await page.waitForURL(/order=desc/)
  // Sorting starts again from the first page, in the API's order.
  const byUrl = (await apiAs(page, 'GET', `/api/jobs/${jid}/results?sort=url&order=desc&limit=50`))
    .body.results.map((r) => r.url)
  await page.waitForFunction((first) =>
    document.querySelector('[data-test=results] td.url')?.innerText === first, byUrl[0])
  expect('sorted by URL, descending, as the API sorts',
    await table.locator('td.url').allInnerTexts(), byUrl)
  expect('the header says so', await page.locator('th[aria-sort=descending]').innerText(), 'URL ▼')
  await page.getByLabel('URL holds').fill('/product/1')
  await page.getByLabel('Outcome').selectOption('cached')
  await page.getByRole('button', { name: 'Filter' }).click()
  await page.waitForURL(/outcome=cached/)
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=results] td.url')]
    .every((td) => td.innerText.includes('/product/1')))
  const filtered = await table.locator('td.url').allInnerTexts()
  const want = (await apiAs(page, 'GET',
    `/api/jobs/${jid}/results?url=%2Fproduct%2F1&outcome=cached&limit=1000`)).body.results
  ok('some rows kept', want.length > 0)
  expect('the rows the API keeps', [...filtered].sort(), want.map((r) => r.url).sort())
  await shot(page, 'results')

  // A result's details: a click on its row, every field the API gives.
  const first = await table.locator('tbody tr').first().locator('td').first().innerText()
  const one = want.find((r) => String(r.id) === first)
  await table.locator('tbody tr').first().locator('td.url').click()
  const details = page.getByTestId('result-details')
  await details.waitFor()
  // Every field the API gives, the headers kept in a table of their own.
  expect("the details: the API's fields", await details.locator('dd').evaluateAll((dds) =>
    dds.map((d) => d.dataset.field)), Object.keys(one).filter((k) => k !== 'headers'))
  expect('the details: its URL', await details.locator('dd[data-field=url]').innerText(), one.url)
  expect('the details: its cache status', await details.locator('dd[data-field=cache_status]').innerText(),
    one.cache_status)
  // As Varnish answered the worker: its X-Varnish, as the API has it.
  const kept = details.getByTestId('result-headers')
  expect('the details: the headers kept, X-Varnish among them',
    await kept.locator('tbody tr', { hasText: 'X-Varnish' }).locator('td').allInnerTexts(),
    ['X-Varnish', one.headers['X-Varnish']])
  await shot(page, 'result-details')
  // Esc closes it, and the focus is back on its row.
  await page.keyboard.press('Escape')
  await details.waitFor({ state: 'detached' })
  expect('the focus back on its row', await page.evaluate(() =>
    document.activeElement.dataset.result), first)
  // And by keyboard alone: Enter on the row's button opens it.
  await page.keyboard.press('Enter')
  await details.waitFor()
  await details.getByRole('button', { name: 'Close' }).click()

  const [csvDl] = await Promise.all([page.waitForEvent('download'),
    page.getByTestId('export-csv').click()])
  const csv = readFileSync(await csvDl.path(), 'utf8').trim().split('\n')
  expect('CSV: its header', csv[0].split(',').slice(0, 3), ['id', 'url', 'variant'])
  expect('CSV: the filtered rows', csv.length - 1, want.length)
  const [jsonDl] = await Promise.all([page.waitForEvent('download'),
    page.getByTestId('export-json').click()])
  const exported = JSON.parse(readFileSync(await jsonDl.path(), 'utf8'))
  expect('JSON: the filtered rows', exported.map((r) => r.id).sort(),
    want.map((r) => r.id).sort())

  // ---------------------------------------------------------------
  // The project's usage: each meter's numbers as the API says them.
  await page.goto(`${BASE}/projects/${pid}/usage`)
  await page.getByTestId('usage').waitFor()
  const usage = (await apiAs(page, 'GET', `/api/projects/${pid}/usage`)).body
  ok('the job counted', usage.warms_today.used >= job.urls_total, JSON.stringify(usage.warms_today))
  expect('the plan named', await page.getByTestId('plan').innerText(), usage.plan.name)
  const meterNumbers = (key) => page.getByTestId('meter-' + key).evaluate((m) =>
    Object.fromEntries([...m.querySelectorAll('b[data-test]')].map((b) =>
      [b.dataset.test, b.innerText.replace(/,/g, '')])))
  const asApi = (o, queued) => ({ used: String(o.used), ...(queued ? { queued: String(o.queued) } : {}),
    limit: String(o.max), remaining: String(o.remaining) })
  expect('websites, as the API', await meterNumbers('websites'), asApi(usage.websites))
  expect("today's warms, as the API", await meterNumbers('warms_today'), asApi(usage.warms_today, true))
  expect('the concurrency, as the API', await meterNumbers('concurrency'), asApi(usage.concurrency))
  expect('the free plan has no website left', await page.getByTestId('meter-websites')
    .getAttribute('data-level'), 'full')
  const resets = Date.parse(await page.getByTestId('resets').locator('time').getAttribute('datetime'))
  const midnight = (d = new Date()) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
  ok('the day starts again at midnight UTC', Math.abs(resets - midnight()) < 5000,
    new Date(resets).toISOString())
  await shot(page, 'usage')
  await accessible(page, 'the usage page')

  // A plan's refusal, with its numbers: the free plan's one website.
  await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Websites' }).click()
  await page.getByRole('link', { name: 'Add a website' }).click()
  await page.getByLabel(/^Base URL/).fill(`http://127.0.0.1:${ORIGIN}/two/`)
  await page.getByRole('button', { name: 'Add the website' }).click()
  const refused = page.getByTestId('plan-limit')
  await refused.waitFor()
  expect('402: the plan, the limit, the use', await refused.locator('dd').allInnerTexts(),
    ['free', 'Websites in the project', '1 website', '1 in the project'])
  ok('and the message', /the free plan allows 1 website\(s\) in a project; it has 1/.test(
    await page.getByTestId('error').innerText()))
  await shot(page, 'plan-limit-websites')
  await page.getByTestId('error').getByRole('link', { name: "The project's usage" }).click()
  await page.waitForURL(new RegExp(`/projects/${pid}/usage$`))

  // A day's warms spent (a plan of one warm a day, set under the API):
  // a job is refused 429, with when to come back.
  sql(`INSERT INTO plans (name, max_websites, max_urls_per_job, max_warms_per_day, max_concurrency)
       VALUES ('one-a-day', 1, 1000, 1, 8)`)
  sql(`UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'one-a-day') WHERE id = ${pid}`)
  await page.reload()
  await page.getByTestId('no-warms-left').waitFor()
  expect('none left today', await page.getByTestId('meter-warms_today').getByTestId('remaining')
    .innerText(), '0')
  const jobsBefore = (await apiAs(page, 'GET', `/api/websites/${wid}/jobs?limit=100`)).body.jobs.length
  await page.goto(`${BASE}/websites/${wid}`)
  await page.getByLabel('a list of URLs').check()
  await page.getByLabel(/^URLs/).fill('/product/1')
  await page.getByRole('button', { name: 'Start' }).click()
  const day = page.getByTestId('start-job').getByTestId('plan-limit')
  await day.waitFor()
  const dayUsage = (await apiAs(page, 'GET', `/api/projects/${pid}/usage`)).body.warms_today
  expect('429: the plan, the limit, the use', (await day.locator('dd').allInnerTexts()).slice(0, 4),
    ['one-a-day', 'Warm requests a day (UTC)', '1 warm request',
      `${(dayUsage.used + dayUsage.queued).toLocaleString('en-US')} made or queued today`])
  const retry = Date.parse(await day.getByTestId('retry').locator('time').getAttribute('datetime'))
  ok('Retry-After as a time: midnight UTC', Math.abs(retry - midnight()) < 5000,
    new Date(retry).toISOString())
  ok('said in the browser\'s time, and how long', /\d\d:\d\d.*\(in \d+ (h|min|s)/.test(
    await day.getByTestId('retry').innerText()), await day.getByTestId('retry').innerText())
  expect('no job started', (await apiAs(page, 'GET', `/api/websites/${wid}/jobs?limit=100`)).body
    .jobs.length, jobsBefore)
  await shot(page, 'plan-limit-day')
  await accessible(page, 'a plan refusal on the website page')

  // ---------------------------------------------------------------
  // A Shopware shop (on a plan of more websites): its search terms as
  // tags, a job's findings on its page, and the currencies it proposes
  // made the website's variants in one click.  Gone again after.
  sql(`UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro') WHERE id = ${pid}`)
  await page.goto(`${BASE}/projects/${pid}/websites/new`)
  await page.getByLabel('Name').fill('Shopware shop')
  await page.getByLabel(/^Base URL/).fill(`http://127.0.0.1:${SHOP}/`)
  expect('no Shopware settings for Varnish', await page.getByTestId('shopware-settings').count(), 0)
  await page.getByLabel('Cache').selectOption('shopware')
  await page.getByRole('textbox', { name: /^Search terms/ }).fill('boots, red  shoes')
  await page.getByRole('textbox', { name: /^Search terms/ }).press('Enter')
  expect('the terms as tags', await page.getByTestId('tag').locator('span').allInnerTexts(),
    ['boots', 'red shoes'])
  await page.getByLabel(/Warm every currency/).check()
  ok('a currency input asked for', /proposed, not warmed/.test(
    await page.getByTestId('no-currency-input').innerText()))
  await shot(page, 'website-shopware')
  await accessible(page, 'the Shopware settings')
  await page.getByLabel(/Warm every currency/).uncheck()
  await page.getByRole('button', { name: 'Add the website' }).click()
  await page.waitForURL(/\/websites\/\d+$/)
  const swid = Number(page.url().split('/').pop())
  const shop = (await apiAs(page, 'GET', `/api/websites/${swid}`)).body
  expect('the shop as the form said', [shop.cache_type, shop.search_terms, shop.auto_variants],
    ['shopware', ['boots', 'red shoes'], false])
  const sjid = await startToEnd(page)
  const det = (await apiAs(page, 'GET', `/api/jobs/${sjid}`)).body.detected
  const shopCard = page.getByTestId('shop-detected')
  await shopCard.waitFor()
  ok('its version, and where it was read', (await shopCard.getByTestId('shop-version').innerText())
    .startsWith(`Shopware ${det.version}, read from its generator tag.`))
  expect('its currencies', await shopCard.getByTestId('shop-currencies').innerText(),
    det.currencies.map((c) => c.name + (c.default ? ' (default)' : '')).join(', '))
  expect('its categories', await shopCard.getByTestId('shop-categories').innerText(),
    `${det.categories} warmed first`)
  ok("its sitemap, Shopware's", /^Shopware's own/.test(await shopCard.getByTestId('shop-sitemap').innerText()))
  expect('the currencies proposed', await shopCard.getByTestId('proposed-variants').locator('li').allInnerTexts(),
    det.proposed_variants.map((v) => 'currency: ' + det.currencies.find((c) => c.id === v.currency).name))
  await shot(page, 'job-shopware')
  await accessible(page, "a Shopware job's page")
  await shopCard.getByRole('button', { name: 'Use these variants' }).click()
  await shopCard.getByTestId('variants-used').waitFor()
  const used = (await apiAs(page, 'GET', `/api/websites/${swid}`)).body
  expect('the website warms them now', [used.variants, used.variant_inputs],
    [[{}, ...det.proposed_variants], { currency: 'cookie:sw-currency' }])
  await page.getByRole('link', { name: 'Shopware shop' }).click()
  await page.getByRole('link', { name: 'Settings', exact: true }).click()
  await page.waitForURL(/\/websites\/\d+\/edit$/)
  // The form is filled once the website is read: waited for.
  const plain = ['(plain)', ...det.proposed_variants.map((v) => 'currency=' + v.currency)].join('\n')
  await eventually('the form filled', async () =>
    (await page.getByLabel(/^Variants/).inputValue()) !== '')
  expect('the plain variant kept, said so', await page.getByLabel(/^Variants/).inputValue(), plain)
  expect('deleted', (await apiAs(page, 'DELETE', `/api/websites/${swid}`)).status, 204)
  sql(`UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'free') WHERE id = ${pid}`)
  await page.goto(`${BASE}/jobs/${jid}`)

  // ---------------------------------------------------------------
  // Analytics: a chart with data.
  await page.getByRole('link', { name: job ? 'Shop' : '' }).first().click()
  await page.getByRole('link', { name: 'Analytics' }).click()
  await page.getByTestId('totals').waitFor()
  const total = Number((await page.getByTestId('totals').locator('b').first()
    .innerText()).replace(/,/g, ''))
  expect('analytics: every result', total, job.urls_total)
  const canvas = page.getByTestId('chart-cached').locator('canvas')
  await canvas.waitFor()
  const drawn = await painted(canvas)
  ok('the cached-share chart is drawn', drawn > 1000, String(drawn))
  ok('its summary says the share', /Cached share over time; over the range \d/.test(
    await canvas.getAttribute('aria-label')))
  await shot(page, 'analytics')

  // ---------------------------------------------------------------
  // Purge a URL: each node's answer, and the page warmed again.
  await page.getByRole('link', { name: 'Purge' }).click()
  await page.getByLabel(/^URLs/).fill('/product/1')
  await page.getByRole('button', { name: 'Purge' }).click()
  const report = page.getByTestId('purge-report')
  await report.waitFor()
  ok('the node purged it', /1 purged, 0 failed/.test(await report.innerText()),
    await report.innerText())
  expect('the node named', await report.locator('tbody td').nth(1).innerText(),
    `http://127.0.0.1:${NODE}`)
  await shot(page, 'purge')
  await page.getByTestId('rewarm-job').click()
  await page.waitForURL(/\/jobs\/\d+/)
  const rewarmJid = Number(new URL(page.url()).pathname.split('/').pop())
  // The job's own status, from the API: the page may show the last
  // job's for a moment before it has loaded this one.
  await eventually('the re-warm job done', async () =>
    (await apiAs(page, 'GET', `/api/jobs/${rewarmJid}`)).body.status === 'done', 60000)
  await page.waitForFunction(() =>
    document.querySelector('[data-test=job-status]')?.innerText === 'done', null,
    { timeout: 60000 })
  const back = (await apiAs(page, 'GET', `/api/jobs/${rewarmJid}/results`)).body.results
  expect('warmed again, cached', back.map((r) => [new URL(r.url).pathname, r.outcome]),
    [['/product/1', 'cached']])

  // ---------------------------------------------------------------
  // The analytics again: the purge on the timeline with its re-warm, the
  // times' distribution and the re-warm latency drawn.
  await page.goto(`${BASE}/websites/${wid}/analytics`)
  const inval = page.getByTestId('invalidations').locator('li').first()
  await inval.waitFor()
  ok('the purge on the timeline', (await inval.innerText()).includes('/product/1'),
    await inval.innerText())
  ok('what it dropped', /^Dropped \d+ object\(s\), \d+ queued to warm again\.$/.test(
    await inval.getByTestId('inval-effect').innerText()))
  ok('what came back', new RegExp(`^Re-warm job #${rewarmJid} done: 1 of 1 back`).test(
    await inval.getByTestId('inval-job').innerText()), await inval.getByTestId('inval-job').innerText())
  const an = (await apiAs(page, 'GET', `/api/websites/${wid}/analytics`)).body.totals
  ok('a re-warm timed', an.rewarm_ms.n >= 1, JSON.stringify(an.rewarm_ms))
  expect('the distribution counts every load time', an.distribution.load_ms
    .reduce((n, b) => n + b.n, 0), an.load_ms.n)
  for (const c of ['chart-distribution', 'chart-rewarm']) {
    const canvas = page.getByTestId(c).locator('canvas')
    await canvas.waitFor()
    ok(`the ${c} is drawn`, await painted(canvas) > 1000)
  }
  ok('the distribution summarised', /^Distribution of TTFB and load time over the range: \d+ TTFBs/.test(
    await page.getByTestId('chart-distribution').locator('canvas').getAttribute('aria-label')))
  await shot(page, 'analytics-after-purge')
  // Its job, from the timeline.
  await inval.getByRole('link', { name: `Re-warm job #${rewarmJid}` }).click()
  await page.waitForURL(new RegExp(`/jobs/${rewarmJid}$`))

  // ---------------------------------------------------------------
  // A crawl of the site: its limits, its notes (what it did, why it
  // stopped), its pages' ESI fragment marked as such.
  await page.goto(`${BASE}/websites/${wid}`)
  await page.getByLabel('the pages a crawl of the site finds').check()
  await page.getByLabel(/^Depth/).fill('21')
  await page.getByRole('button', { name: 'Start' }).click()
  ok("a depth out of the API's bounds, said", /max_depth: a whole number, 1 to 20/.test(
    await page.getByTestId('start-job').getByTestId('error').innerText()))
  expect('on its field', await page.getByLabel(/^Depth/).getAttribute('aria-invalid'), 'true')
  await page.getByLabel(/^Depth/).fill('2')
  await page.getByLabel(/^Pages at most/).fill('8')
  await page.getByLabel(/^Query parameters to drop/).fill('utm_*, gclid')
  await shot(page, 'start-crawl')
  const cjid = await startToEnd(page)
  const crawled = (await apiAs(page, 'GET', `/api/jobs/${cjid}`)).body
  expect('a crawl', crawled.source, 'crawl')
  ok('its notes say how it was bounded', crawled.notes.startsWith(
    `crawled http://127.0.0.1:${ORIGIN}/ to depth 2, at most 8 pages`), crawled.notes)
  const notes = page.getByTestId('job-notes')
  await notes.waitFor()
  const stopped = /it ended: ([^;]+)/.exec(crawled.notes)[1]
  expect('why it stopped, told apart', await notes.getByTestId('crawl-end').innerText(),
    `Why the crawl stopped: ${stopped}.`)
  ok('what it did, listed', (await notes.locator('li').allInnerTexts())[0].startsWith('crawled '))
  const crawlRows = (await apiAs(page, 'GET', `/api/jobs/${cjid}/results?limit=1000`)).body.results
  const frags = crawlRows.filter((r) => r.fragment).map((r) => r.url)
  expect("the pages' ESI include, warmed as a fragment", frags, [`http://127.0.0.1:${ORIGIN}/esi/header`])
  await page.getByTestId('results').locator('tbody tr').first().waitFor()
  await page.waitForFunction((n) =>
    document.querySelectorAll('[data-test=results] tbody tr').length === n, crawlRows.length)
  expect('marked in the table, and only it', await page.getByTestId('results')
    .locator('tr:has([data-test=fragment]) td.url').allInnerTexts(),
  frags.map((u) => u + ' ESI fragment'))
  // The table's fragment filter: the fragment alone, then the pages.
  await page.getByLabel('Pages or fragments').selectOption('true')
  await page.getByRole('button', { name: 'Filter' }).click()
  await page.waitForURL(/fragment=true/)
  await page.waitForFunction((n) =>
    document.querySelectorAll('[data-test=results] tbody tr').length === n, frags.length)
  expect('fragments only', await page.getByTestId('results').locator('td.url').allInnerTexts(),
    frags.map((u) => u + ' ESI fragment'))
  await shot(page, 'job-crawl-fragments')
  await page.getByLabel('Pages or fragments').selectOption('false')
  await page.getByRole('button', { name: 'Filter' }).click()
  await page.waitForURL(/fragment=false/)
  await page.waitForFunction((n) =>
    document.querySelectorAll('[data-test=results] tbody tr').length === n, crawlRows.length - frags.length)
  expect('pages only: none marked', await page.getByTestId('results').locator('[data-test=fragment]')
    .count(), 0)
  expect('pages only: the pages', (await page.getByTestId('results').locator('td.url').allInnerTexts())
    .sort(), crawlRows.filter((r) => !r.fragment).map((r) => r.url).sort())
  const [fragCsv] = await Promise.all([page.waitForEvent('download'),
    page.getByTestId('export-csv').click()])
  const fragLines = readFileSync(await fragCsv.path(), 'utf8').trim().split('\n')
  expect("CSV: the fragment column", fragLines[0].trim().split(',').at(-1), 'fragment')
  expect('CSV: the pages, none a fragment', fragLines.slice(1).map((l) => l.trim().split(',').at(-1)),
    crawlRows.filter((r) => !r.fragment).map(() => 'false'))
  await shot(page, 'job-crawl')

  // ---------------------------------------------------------------
  // An agent: its token shown once with the command, it says hello and
  // reports its visitors; a job waits for it (running now, on the
  // overview), a job that fails is an alert; revoked, it is refused.
  await page.goto(`${BASE}/websites/${wid}/agents`)
  await page.getByTestId('no-agents').waitFor()
  await page.getByLabel(/^Its name/).fill('varnish-1')
  await page.getByRole('button', { name: 'Make its token' }).click()
  const tokenEl = page.getByTestId('agent-token')
  await tokenEl.waitFor()
  const agentToken = await tokenEl.innerText()
  ok('the token, once', /^sta_[0-9A-Za-z]{40}$/.test(agentToken), agentToken)
  const cmd = await page.getByTestId('agent-command').innerText()
  ok('the command reaches this control plane with the token file',
    cmd.includes(`--control ${BASE}`) && cmd.includes(agentToken) &&
    /--token-file \/etc\/stoke\/agent\.token/.test(cmd), cmd)
  await shot(page, 'agent-token')
  expect('the agent says hello', (await asAgent(agentToken, '/api/agent/v1/hello',
    { name: 'varnish-1', version: '9.9.9-e2e', node: `http://127.0.0.1:${NODE}`, run: 'e2e' })).status, 200)
  const minute = Math.floor(Date.now() / 60000) * 60
  expect('its visitors reported', (await asAgent(agentToken, '/api/agent/v1/batches', {
    batch: 'e2e:1', sent_at: Date.now() / 1000,
    traffic: [{ minute, host: '127.0.0.1', hits: 30, misses: 9, passes: 1 }] })).status, 200)
  await page.reload()
  await page.getByTestId('agents').waitFor()
  expect('the token is not shown again', await page.getByTestId('agent-token').count(), 0)
  expect('the agent as it said', await page.getByTestId('agents').locator('tbody td').nth(2).innerText(),
    '9.9.9-e2e')
  expect('live', await page.getByTestId('agent-state').innerText(), 'live')

  // An agent that claims (none yet) is at work: without Varnish nodes of
  // its own for workers to warm through, a job waits for it to claim its
  // tasks, running until cancelled.
  expect('the agent claims', (await asAgent(agentToken, '/api/agent/v1/tasks/claim',
    { max: 1 })).body.tasks, [])
  expect('no nodes but the agent', (await apiAs(page, 'PUT', `/api/websites/${wid}`,
    { varnish_nodes: [] })).status, 200)
  const waiting = (await apiAs(page, 'POST', `/api/websites/${wid}/jobs`, { urls: ['/product/2'] })).body
  await page.goto(BASE + '/')
  const running = page.getByTestId('running')
  await running.getByRole('link', { name: `Job #${waiting.id}` }).waitFor()
  expect("the website's warm state", await page.getByTestId('warm-state').innerText(), 'warming now')
  expect("visitors' hit ratio, as the agent reported", await page.getByTestId('visitors-hit-ratio')
    .innerText(), '75.0 %')
  await shot(page, 'overview')
  await accessible(page, 'the overview, light')
  await running.getByRole('link', { name: `Job #${waiting.id}` }).click()
  await page.waitForURL(new RegExp(`/jobs/${waiting.id}$`))
  expect('cancelled', (await apiAs(page, 'DELETE', `/api/jobs/${waiting.id}`)).body.status, 'cancelled')
  expect('its node back', (await apiAs(page, 'PUT', `/api/websites/${wid}`,
    { varnish_nodes: [`http://127.0.0.1:${NODE}`] })).status, 200)

  // A sitemap that is not there: the job fails, and the overview says so.
  const broken = (await apiAs(page, 'POST', `/api/websites/${wid}/jobs`,
    { sitemap_url: `http://127.0.0.1:${ORIGIN}/no-such-sitemap.xml` })).body
  const until = Date.now() + 60000
  let st
  while ((st = (await apiAs(page, 'GET', `/api/jobs/${broken.id}`)).body.status) !== 'failed') {
    ok(`job ${broken.id} fails in time`, Date.now() < until && !['done', 'cancelled'].includes(st), st)
    await page.waitForTimeout(200)
  }
  await page.goto(BASE + '/')
  const alert = page.getByTestId('alerts').locator('li').first()
  await alert.waitFor()
  ok('the failed job is an alert', (await alert.innerText()).includes(`job #${broken.id} failed`),
    await alert.innerText())
  expect("the website's warm state now", await page.getByTestId('warm-state').innerText(),
    'its last job failed')

  // The visitors beside the warm requests on the analytics.
  await page.goto(`${BASE}/websites/${wid}/analytics`)
  await page.getByTestId('totals').waitFor()
  expect("analytics: visitors' hit ratio", await page.getByTestId('visitors-hit-ratio').innerText(),
    '75.0 %')
  ok("the hit-ratio chart has the visitors' too", /75\.0 % of visitors' requests were hits/.test(
    await page.getByTestId('chart-cached').locator('canvas').getAttribute('aria-label')))

  // Revoked: gone from the list, its token refused.
  await page.goto(`${BASE}/websites/${wid}/agents`)
  page.once('dialog', (d) => d.accept())
  await page.getByRole('button', { name: 'Revoke varnish-1' }).click()
  await page.getByTestId('no-agents').waitFor()
  expect('the revoked token refused', (await asAgent(agentToken, '/api/agent/v1/hello',
    { name: 'varnish-1' })).status, 401)

  // ---------------------------------------------------------------
  // Notifications: a webhook to a receiver of the test's own, its secret
  // shown once; a test sent, received signed, shown delivered; changed;
  // an e-mail channel added and deleted.
  const hook = await receiver()
  await page.goto(`${BASE}/projects/${pid}/notifications`)
  await page.getByTestId('no-channels').waitFor()
  await page.getByTestId('no-deliveries').waitFor()
  await page.getByRole('button', { name: 'Add the channel' }).click()
  expect('a name is asked for', await page.getByLabel(/^Name/).getAttribute('aria-invalid'), 'true')
  expect('and a URL', await page.getByLabel(/^URL/).getAttribute('aria-invalid'), 'true')
  await page.getByLabel(/^Name/).fill('ops hook')
  await page.getByLabel(/^URL/).fill(`http://127.0.0.1:${hook.port}/hook`)
  await page.getByLabel(/a job finished/).check()
  await page.getByLabel(/the warm hit ratio drops/).check()
  await page.getByLabel(/^Warm hit ratio below/).fill('40')
  await shot(page, 'channel-new')
  await page.getByRole('button', { name: 'Add the channel' }).click()
  const secretBox = page.getByTestId('webhook-secret')
  await secretBox.waitFor()
  const secret = await secretBox.getByTestId('secret').innerText()
  ok('its secret, once', /^whsec_[0-9a-f]{64}$/.test(secret), secret)
  await secretBox.getByText('How to verify the signature').click()
  ok('how to verify it', /createHmac\('sha256', secret\)/.test(
    await secretBox.getByTestId('verify-snippet').innerText()))
  await secretBox.getByRole('button', { name: 'Python' }).click()
  ok('in Python too', /hmac\.compare_digest/.test(await secretBox.getByTestId('verify-snippet').innerText()))
  await shot(page, 'channel-secret')
  await accessible(page, 'the notifications page with a secret')
  const chans = (await apiAs(page, 'GET', `/api/projects/${pid}/channels`)).body.channels
  expect('the channel as the form said', chans.map((c) => [c.kind, c.name, c.url, c.events, c.settings]),
    [['webhook', 'ops hook', `http://127.0.0.1:${hook.port}/hook`,
      ['job.finished', 'job.failed', 'anomaly.hit_ratio'], { hit_ratio_below: 0.4 }]])
  await secretBox.getByRole('button', { name: 'Done' }).click()
  await page.reload()
  await page.getByTestId('channels').waitFor()
  expect('the secret is not shown again', await page.getByTestId('webhook-secret').count(), 0)

  // A test: the receiver has it, signed; the table shows it delivered.
  const before = hook.got.length
  await page.getByRole('button', { name: 'Send a test to ops hook' }).click()
  await page.getByText(/A test is on its way to “ops hook”: delivery #\d+/).waitFor()
  const did = Number(/delivery #(\d+)/.exec(await page.getByTestId('said').innerText())[1])
  const drow = page.locator(`[data-delivery="${did}"]`)
  await drow.waitFor()
  await page.waitForFunction((id) => document.querySelector(
    `[data-delivery="${id}"] [data-test=delivery-status]`)?.innerText === 'delivered', did,
  { timeout: 30000 })
  const test = await eventually('the receiver has the test', () =>
    hook.got.slice(before).find((r) => r.headers['stoke-event'] === 'channel.test'))
  ok('signed with the secret', signed(secret, test.headers['stoke-signature'], test.body),
    test.headers['stoke-signature'])
  const dl = (await apiAs(page, 'GET', `/api/projects/${pid}/deliveries`)).body.deliveries
    .find((d) => d.id === did)
  expect('its idempotency key sent', test.headers['stoke-delivery'], dl.idempotency_key)
  expect('the row as the API says', (await drow.locator('td').allInnerTexts()).slice(0, 5),
    [String(did), 'channel.test', 'ops hook', 'delivered', String(dl.attempts)])
  await shot(page, 'notifications')

  // Changed: its name and events.
  await page.getByRole('button', { name: 'Change ops hook' }).click()
  await page.getByRole('heading', { name: 'Change “ops hook”' }).waitFor()
  expect('the kind stays', await page.getByLabel(/^Kind/).isDisabled(), true)
  expect('its threshold, in %', await page.getByLabel(/^Warm hit ratio below/).inputValue(), '40')
  await page.getByLabel(/^Name/).fill('ops')
  await page.getByLabel(/the warm hit ratio drops/).uncheck()
  await page.getByRole('button', { name: 'Save the channel' }).click()
  await page.getByText('“ops” saved.').waitFor()
  expect('changed', (await apiAs(page, 'GET', `/api/projects/${pid}/channels`)).body.channels
    .map((c) => [c.name, c.events]), [['ops', ['job.finished', 'job.failed']]])

  // E-mail: recipients, not a URL; added, then deleted.
  await page.getByLabel(/^Kind/).selectOption('email')
  expect('no URL for e-mail', await page.getByLabel(/^URL/).count(), 0)
  await page.getByLabel(/^Name/).fill('the boss')
  await page.getByLabel(/^Recipients/).fill('boss@shop.example\nnot an address')
  await page.getByLabel(/a weekly report/).check()
  await page.getByRole('button', { name: 'Add the channel' }).click()
  ok('a bad address, named', /"not an address" is not an e-mail address/.test(
    await page.getByTestId('channel-form').innerText()))
  await page.getByLabel(/^Recipients/).fill('boss@shop.example')
  await page.getByRole('button', { name: 'Add the channel' }).click()
  await page.getByText('“the boss” added.').waitFor()
  expect('no secret for e-mail', await page.getByTestId('webhook-secret').count(), 0)
  await page.getByTestId('channels').getByText('boss@shop.example').waitFor()
  page.once('dialog', (d) => d.accept())
  await page.getByRole('button', { name: 'Delete the boss' }).click()
  await page.getByText('“the boss” deleted.').waitFor()
  expect('one channel left', (await apiAs(page, 'GET', `/api/projects/${pid}/channels`)).body
    .channels.map((c) => c.name), ['ops'])

  // ---------------------------------------------------------------
  // The largest pages, measured: the job's with its table, the analytics
  // with their charts (a chunk of their own).
  for (const [name, path, ready] of [['job', `/jobs/${jid}`, '[data-test=results] tbody tr'],
    ['analytics', `/websites/${wid}/analytics`, '[data-test=chart-cached] canvas']]) {
    await page.goto(BASE + path)
    await page.locator(ready).first().waitFor()
    const t = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0]
      return [n.domInteractive, n.domContentLoadedEventEnd, n.loadEventEnd, performance.now()]
    })
    console.log(`timing of the ${name} page (ms from navigation): DOM interactive ` +
      `${t[0].toFixed(0)}, DOMContentLoaded ${t[1].toFixed(0)}, load ${t[2].toFixed(0)}, ` +
      `its data shown ${t[3].toFixed(0)}`)
  }

  // ---------------------------------------------------------------
  // Installable: the manifest's icons are PNGs of the sizes it says,
  // maskable ones among them.
  const manifest = await (await fetch(BASE + '/manifest.webmanifest')).json()
  const pngs = manifest.icons.filter((i) => i.type === 'image/png')
  expect('PNG icons: 192 and 512, plain and maskable', pngs.map((i) => `${i.sizes} ${i.purpose}`).sort(),
    ['192x192 any', '192x192 maskable', '512x512 any', '512x512 maskable'])
  for (const i of pngs) {
    const size = await page.evaluate((src) => new Promise((resolve) => {
      const img = new Image()
      img.onload = () => resolve(`${img.naturalWidth}x${img.naturalHeight}`)
      img.onerror = () => resolve('not an image')
      img.src = src
    }), i.src)
    expect(`${i.src} is ${i.sizes}`, size, i.sizes)
  }

  // Offline: the service worker's shell loads, and says it is offline.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  await ctx.setOffline(true)
  await page.goto(`${BASE}/websites/${wid}`)
  await page.getByTestId('offline').waitFor()
  ok('the shell says why nothing loads', /cannot be reached/.test(
    await page.getByTestId('error').first().innerText()))
  await shot(page, 'offline')
  expect('its icon kept for offline', await page.evaluate(() =>
    fetch('/icon-192.png').then((r) => r.headers.get('Content-Type'), () => 'failed')), 'image/png')
  await ctx.setOffline(false)

  // ---------------------------------------------------------------
  // Log out: the token is gone, and with it the pages.
  await page.getByTestId('logout').click()
  await page.waitForURL(/\/login/)
  await page.goto(`${BASE}/websites/${wid}`)
  await page.waitForURL(/\/login\?next=/)
  expect('no token kept', await page.evaluate(() => sessionStorage.getItem('stoke.token')), null)
  await shot(page, 'login')
  // And back, by keyboard alone, to where the login was asked from.
  await page.getByLabel('E-mail', { exact: true }).focus()
  await page.keyboard.type('alice@shop.example')
  await page.keyboard.press('Tab')
  await page.keyboard.type(PASSWORD)
  await page.keyboard.press('Enter')
  await page.waitForURL(new RegExp(`/websites/${wid}$`))
  await ctx.close()

  // ---------------------------------------------------------------
  // Bob sees none of it.
  const bctx = await browser.newContext()
  const bob = await bctx.newPage()
  watch(bob)
  await signUp(bob, 'Bob', 'bob@other.example')
  await bob.getByText('No project yet').waitFor()
  expect("Bob's projects", await bob.getByTestId('projects').count(), 0)
  for (const path of [`/api/projects/${pid}`, `/api/websites/${wid}`,
    `/api/jobs/${jid}`, `/api/jobs/${jid}/results`, `/api/websites/${wid}/schedule`,
    `/api/projects/${pid}/channels`, `/api/projects/${pid}/deliveries`])
    expect('Bob: ' + path, (await apiAs(bob, 'GET', path)).status, 404)
  await bob.goto(`${BASE}/jobs/${jid}`)
  await bob.getByTestId('error').first().waitFor()
  ok("Bob: Alice's job is not found", /not|no such/i.test(await bob.getByTestId('error').first().innerText()))
  expect('Bob: no result shown', await bob.getByTestId('results').count(), 0)
  await bob.goto(`${BASE}/websites/${wid}/analytics`)
  await bob.getByTestId('error').first().waitFor()
  expect('Bob: no analytics', await bob.getByTestId('totals').count(), 0)
  await bob.goto(`${BASE}/projects/${pid}/notifications`)
  await bob.getByTestId('error').first().waitFor()
  expect('Bob: no channel shown', await bob.getByTestId('channels').count(), 0)
  await shot(bob, 'other-tenant')
  await bctx.close()

  // ---------------------------------------------------------------
  // A phone: 360 px wide, every page; its system in dark mode.
  const pctx = await browser.newContext({ viewport: { width: 360, height: 740 },
    isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: 'dark' })
  const phone = await pctx.newPage()
  watch(phone)
  await phone.goto(BASE + '/login')
  await fits(phone, 'the login page')
  await accessible(phone, 'the login page, dark, on a phone')
  expect('dark, as the system', await phone.evaluate(() =>
    getComputedStyle(document.documentElement).backgroundColor), 'rgb(22, 20, 18)')
  // The keyboard's focus is seen: the skip link first, then the fields.
  await phone.keyboard.press('Tab')
  expect('the skip link first', await phone.evaluate(() => document.activeElement.innerText),
    'Skip to the content')
  // Past the header's links (Stoke, Log in, Sign up).
  let tabs = 0
  while (tabs < 8 && await phone.evaluate(() => document.activeElement.name) !== 'email') {
    await phone.keyboard.press('Tab')
    tabs++
  }
  expect('then the header, then the e-mail field', tabs, 4)
  ok('its focus is outlined', await phone.evaluate(() => {
    const st = getComputedStyle(document.activeElement)
    return st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2
  }))
  await phone.getByLabel('E-mail', { exact: true }).fill('alice@shop.example')
  await phone.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await phone.getByRole('button', { name: 'Log in' }).click()
  await phone.getByRole('heading', { name: 'Overview' }).waitFor()
  const pages = [
    ['overview', '/', 'overview-websites'],
    ['projects', '/projects', 'projects'],
    ['project', `/projects/${pid}`, 'websites'],
    ['website', `/websites/${wid}`, 'jobs'],
    ['website-edit', `/websites/${wid}/edit`, 'website-form'],
    ['job', `/jobs/${jid}`, 'results'],
    ['analytics', `/websites/${wid}/analytics`, 'invalidations'],
    ['purge', `/websites/${wid}/purge`, 'purge-form'],
    ['agents', `/websites/${wid}/agents`, 'no-agents'],
    ['keys', `/projects/${pid}/keys`, null],
    ['members', `/projects/${pid}/members`, 'members'],
    ['notifications', `/projects/${pid}/notifications`, 'deliveries'],
    ['usage', `/projects/${pid}/usage`, 'usage']]
  for (const [name, path, ready] of pages) {
    await phone.goto(BASE + path)
    if (ready) await phone.getByTestId(ready).first().waitFor()
    else await phone.getByRole('heading', { name: 'A new key' }).waitFor()
    await fits(phone, `the ${name} page`)
    await shot(phone, `phone-${name}`)
    await accessible(phone, `the ${name} page, dark, on a phone`)
  }
  await pctx.close()

  // Every page again in light mode, on a desktop's screen, for axe.
  const lctx = await browser.newContext({ viewport: { width: 1280, height: 900 },
    colorScheme: 'light' })
  const light = await lctx.newPage()
  watch(light)
  await light.goto(BASE + '/login')
  await accessible(light, 'the login page, light')
  await light.getByLabel('E-mail', { exact: true }).fill('alice@shop.example')
  await light.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await light.getByRole('button', { name: 'Log in' }).click()
  await light.getByRole('heading', { name: 'Overview' }).waitFor()
  for (const [name, path, ready] of pages) {
    await light.goto(BASE + path)
    if (ready) await light.getByTestId(ready).first().waitFor()
    else await light.getByRole('heading', { name: 'A new key' }).waitFor()
    await accessible(light, `the ${name} page, light`)
  }
  await lctx.close()

  hook.close()
  expect('no script error on any page', errors, [])
  console.log(`e2e: ${checks} checks; screenshots in ${ART}`)
} finally {
  await browser.close()
}
