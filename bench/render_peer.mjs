// The peer of bench/render.sh: the same pages loaded by a plain
// playwright-core script driving the same Chromium, as a user would
// write it: a fresh context per page, CONC pages at once in one
// browser, each loaded, scrolled to its end (the same script stoked
// runs), left until the network is idle, its timings read.  Prints
// {"pages", "seconds"} from the launch to the browser's close.
//
// usage: node render_peer.mjs BASE_URL PAGES CONC CHROMIUM NODE_MODULES
import { createRequire } from 'node:module'
import { join } from 'node:path'

const [BASE, N, CONC, CHROMIUM, MODULES] = process.argv.slice(2)
const require = createRequire(join(MODULES, 'x.js'))
const { chromium } = require('playwright-core')

const scroll = `(async () => { const t0 = Date.now();
  const frame = () => new Promise(r => setTimeout(r, 50));
  let y = 0;
  for (let i = 0; i < 200 && Date.now() - t0 < 5000; i++) {
    const h = document.documentElement.scrollHeight;
    if (y >= h - window.innerHeight && i > 0) {
      await frame();
      if (document.documentElement.scrollHeight <= h) break;
    }
    y = Math.min(y + window.innerHeight, h);
    window.scrollTo(0, y); await frame(); }
  return true; })()`

const timings = `(() => { const n = performance.getEntriesByType('navigation')[0] || {};
  return { ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd,
    load: n.loadEventEnd }; })()`

const t0 = Date.now()
const browser = await chromium.launch({ executablePath: CHROMIUM,
  args: process.getuid() === 0 ? ['--no-sandbox'] : [] })
let next = 0
let failed = 0
async function tab () {
  while (next < Number(N)) {
    const i = next++
    const ctx = await browser.newContext()
    const page = await ctx.newPage()
    try {
      await page.goto(`${BASE}/render/page?n=${i}`, { waitUntil: 'load',
        timeout: 30000 })
      await page.evaluate(scroll)
      await page.waitForLoadState('networkidle', { timeout: 30000 })
      await page.evaluate(timings)
    } catch (e) {
      failed++
    }
    await ctx.close()
  }
}
await Promise.all(Array.from({ length: Number(CONC) }, tab))
await browser.close()
console.log(JSON.stringify({ pages: Number(N), failed,
  seconds: (Date.now() - t0) / 1000 }))
