// After the build: a .gz beside each text file worth it (stoked sends it
// to clients that take gzip), and the first load's weight: the
// JavaScript index.html loads before anything else, compressed.
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const dist = process.argv[2] || 'dist'
const TEXT = /\.(js|mjs|css|html|svg|json|webmanifest|txt)$/
const gz = {}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) {
      walk(p)
      continue
    }
    if (!TEXT.test(name)) continue
    const raw = readFileSync(p)
    const z = gzipSync(raw, { level: 9 })
    gz[relative(dist, p)] = z.length
    if (raw.length >= 1024 && z.length < raw.length) writeFileSync(p + '.gz', z)
  }
}
walk(dist)

// What index.html loads at once: its module script and what it preloads.
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const first = [...html.matchAll(/(?:src|href)="\/([^"]+\.js)"/g)].map((m) => m[1])
const total = first.reduce((n, f) => n + (gz[f] || 0), 0)
const all = Object.entries(gz).filter(([f]) => f.endsWith('.js'))
  .reduce((n, [, s]) => n + s, 0)
console.log(`first load: ${(total / 1024).toFixed(1)} kB of JavaScript, ` +
  `gzip (${first.join(', ')}); all JavaScript: ${(all / 1024).toFixed(1)} kB`)
if (total > 250 * 1024) {
  console.error('the first load is over its budget of 250 kB')
  process.exit(1)
}
