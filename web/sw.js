// The page's service worker: a class on weak Wi-Fi downloads the page once, and a second
// visit opens without the network. On install it caches the page and everything the
// page names (its script, its module, the stylesheet, the icon, the worker's loader, the
// loading bar's initializer: Trunk names each in a link; not the GPU module, which only
// WebGPU training fetches);
// afterwards files with Trunk's hashed names come cache-first (their content never
// changes) and everything else network-first, from the cache when offline (a new build
// is seen at once). The data a visitor loaded is kept by the page itself (Cache Storage,
// "collab-kept").
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

/** Trunk's hashed names (`name-<16 hex>.ext`) never change content: cache-first. */
const HASHED = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/;

/** The network's answer, kept for later; the kept one when the network fails. */
async function networkFirst(request, key) {
  try {
    const fresh = await fetch(request);
    if (fresh.ok) await (await caches.open(CACHE)).put(key, fresh.clone());
    return fresh;
  } catch {
    return (await caches.match(key, { ignoreSearch: true })) ?? Response.error();
  }
}

/** The kept answer; else the network's, kept. */
async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const fresh = await fetch(request);
  if (fresh.ok) await (await caches.open(CACHE)).put(request, fresh.clone());
  return fresh;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(networkFirst(request, './'));
  } else if (HASHED.test(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else {
    // The worker's loader, the icon, the served MovieLens copy: fresh when online.
    event.respondWith(networkFirst(request, request));
  }
});
