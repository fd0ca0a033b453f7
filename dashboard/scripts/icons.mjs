// The PWA's PNG icons, made once from public/favicon.svg and committed
// (small files; the build needs no rasteriser): 192 and 512 px as the
// SVG is, and the same sizes maskable: the background to the edges and
// the flame inside the safe circle (80 % of the side) a mask keeps.
//
// usage: node scripts/icons.mjs   (needs playwright-core and Chromium,
// CHROMIUM or /usr/bin/chromium, as the e2e suite does)
import { readFileSync, writeFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const svg = readFileSync(new URL('../public/favicon.svg', import.meta.url), 'utf8')
const flame = svg.match(/<path [^>]*\/>/)[0]
const fill = svg.match(/<rect [^>]*fill="([^"]+)"/)[1]
// The flame's box is x 23 to 43, y 8 to 44: centred, its farthest point
// is 21 units from the middle, inside the safe circle's 25.6.
const maskable = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
  `<rect width="64" height="64" fill="${fill}"/>` +
  `<g transform="translate(-1 6)">${flame}</g></svg>`

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'] })
try {
  const page = await browser.newPage()
  for (const [name, src] of [['icon', svg], ['icon-maskable', maskable]]) {
    for (const size of [192, 512]) {
      await page.setViewportSize({ width: size, height: size })
      await page.setContent('<body style="margin:0">' +
        src.replace('<svg ', `<svg width="${size}" height="${size}" style="display:block" `) + '</body>')
      const png = await page.screenshot({ omitBackground: true, type: 'png',
        clip: { x: 0, y: 0, width: size, height: size } })
      writeFileSync(new URL(`../public/${name}-${size}.png`, import.meta.url), png)
      console.log(`public/${name}-${size}.png: ${png.length} bytes`)
    }
  }
} finally {
  await browser.close()
}
