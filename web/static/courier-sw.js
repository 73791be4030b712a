// The courier app's service worker: the scan page, the departure checklists and the files they
// load open with no network. What it handles goes to the network first, so a courier online
// always sees today's page, and falls back to the copy kept from the last visit. Scans never
// pass through here: POSTs go straight to the server and the page keeps its queue in IndexedDB.
"use strict";
const CACHE = "courier-app-v1";
// On a network that answers too slowly to work with, show the kept copy instead of waiting.
const NETWORK_WAIT_MS = 4000;
// Only these are kept; the session check, this worker and every other page always go to the
// network (a kept copy of them would lie about the session or about other people's data).
const KEPT = [
  /^\/courier\/scan$/,
  /^\/network\/manifests\/\d+$/,
  /^\/courier\/app\.webmanifest$/,
  /^\/courier\/icons\/\d+\.png$/,
  /^\/static\//,
];

const isKept = (url) => url.origin === self.location.origin && KEPT.some((re) => re.test(url.pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function keep(request, response) {
  // A redirect (to the login page, say) or an error page must never stand in for the page.
  if (response.ok && response.type === "basic" && !response.redirected) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request) {
  const network = fetch(request).then((response) => keep(request, response));
  network.catch(() => {});
  const slow = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS));
  try {
    const response = await Promise.race([network, slow]);
    if (response) return response;
  } catch (offline) {
    // No network: the kept copy answers below.
  }
  // The session cookie and the language vary the page, but any copy beats none offline.
  const copy = await caches.match(request, { ignoreVary: true, ignoreSearch: false });
  return copy || network;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !isKept(new URL(request.url))) return;
  event.respondWith(networkFirst(request));
});

// A page loaded before this worker controlled it sends the addresses it used, so that very
// first visit is kept too.
self.addEventListener("message", (event) => {
  const addresses = (event.data && event.data.keep) || [];
  event.waitUntil(Promise.all(addresses.map(async (address) => {
    const url = new URL(address, self.location.origin);
    if (!isKept(url)) return;
    try {
      await keep(new Request(url.href), await fetch(url.href, { credentials: "same-origin" }));
    } catch (offline) {
      // Kept on the next visit instead.
    }
  })));
});
