// The page's service worker: a class on weak Wi-Fi downloads the page once, and a second
// visit opens without the network. On install it caches the page and everything the
// page names (its script, its module, the stylesheet, the icon, the worker's loader);
// afterwards the page itself is fetched network-first (a new build is seen at once) and
// everything else cache-first (Trunk's hashed names never change content). The data a
// visitor loaded is kept by the page itself (Cache Storage, "collab-kept").
const CACHE = 'collab-notebook';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const page = await fetch('./', { cache: 'no-cache' });
    if (!page.ok) return;
    const html = await page.clone().text();
    await cache.put('./', page);
    // Every relative URL the page names (its script, module, stylesheet, icon).
    const named = [...html.matchAll(/(?:href|src)="(?![a-z]+:|#|\/)([^"#?]+)"/g)].map((m) => m[1]);
    await cache.addAll([...new Set(['./worker.js', ...named])]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith((async () => {
      try {
        const fresh = await fetch(request);
        if (fresh.ok) (await caches.open(CACHE)).put('./', fresh.clone());
        return fresh;
      } catch {
        return (await caches.match('./')) ?? Response.error();
      }
    })());
    return;
  }
  event.respondWith((async () => {
    const cached = await caches.match(request, { ignoreSearch: true });
    if (cached) return cached;
    const fresh = await fetch(request);
    // The served MovieLens copy is the visitor's to keep too; anything else that loaded.
    if (fresh.ok) (await caches.open(CACHE)).put(request, fresh.clone());
    return fresh;
  })());
});
