// The dashboard's service worker: an offline shell.  The shell and its
// hashed assets are kept; pages are asked of the network first and,
// without one, answered with the shell, which says it is offline.  The
// API is never cached: what it says is the tenant's data, and current.
const CACHE = 'stoke-shell-v2'
const SHELL = '/index.html'

async function precache() {
  const cache = await caches.open(CACHE)
  const res = await fetch(SHELL, { cache: 'no-cache' })
  if (!res.ok) return
  const html = await res.clone().text()
  await cache.put(SHELL, res)
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1])
  await cache.addAll([...new Set(['/favicon.svg', '/manifest.webmanifest',
    '/icon-192.png', '/icon-512.png', '/icon-maskable-192.png', '/icon-maskable-512.png',
    ...assets])])
}

self.addEventListener('install', (e) => {
  e.waitUntil(precache().then(() => self.skipWaiting()))
})

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()))
})

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url)
  if (e.request.method !== 'GET' || url.origin !== location.origin ||
      url.pathname === '/api' || url.pathname.startsWith('/api/'))
    return
  if (e.request.mode === 'navigate') {
    e.respondWith(fetch(e.request).then((res) => {
      // A fresh shell for next time.
      if (res.ok && res.headers.get('Content-Type')?.startsWith('text/html'))
        caches.open(CACHE).then((c) => c.put(SHELL, res.clone()))
      return res
    }).catch(() => caches.match(SHELL)))
    return
  }
  if (url.pathname.startsWith('/assets/')) {
    // Hashed names: what is kept never changes.
    e.respondWith(caches.match(e.request).then((hit) => hit || fetch(e.request)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone()
          caches.open(CACHE).then((c) => c.put(e.request, copy))
        }
        return res
      })))
    return
  }
  e.respondWith(fetch(e.request).catch(() => caches.match(e.request)))
})
