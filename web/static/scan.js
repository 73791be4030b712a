// The courier's scan page: a focused input for keyboard-wedge scanners (Enter submits), a camera
// photo decoded on the server, and a queue in localStorage so scans made offline are sent when
// the network returns. Each scan carries its own UUID, so sending one twice records it once.
(function () {
  "use strict";
  const root = document.getElementById("scanner");
  const input = document.getElementById("code");
  const kind = document.getElementById("kind");
  const place = document.getElementById("location");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const log = document.getElementById("log");
  const photo = document.getElementById("photo");
  const QUEUE = "courier-scan-queue";
  let sending = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const load = () => JSON.parse(localStorage.getItem(QUEUE) || "[]");
  const save = (queue) => localStorage.setItem(QUEUE, JSON.stringify(queue));

  function remember(key, select) {
    const saved = localStorage.getItem(key);
    if (saved !== null && [...select.options].some((o) => o.value === saved)) select.value = saved;
    select.addEventListener("change", () => {
      localStorage.setItem(key, select.value);
      input.focus();
    });
  }

  function show(entry) {
    result.className = "scan-result " + (entry.ok ? "ok" : "refused");
    result.textContent = "";
    const head = document.createElement("strong");
    head.textContent = (entry.ok ? root.dataset.ok : root.dataset.failed) +
      (entry.state_label ? " · " + entry.state_label : "");
    result.append(head);
    if (entry.reason) {
      const why = document.createElement("p");
      why.textContent = entry.reason;
      result.append(why);
    }
    const line = document.createElement("li");
    line.className = entry.ok ? "ok" : "refused";
    line.textContent = `${entry.tracking_code || entry.code_text || ""} ${entry.state_label || ""} ${entry.reason || ""}`;
    log.prepend(line);
  }

  function showQueued() {
    const count = load().length;
    status.textContent = count ? root.dataset.offline.replace("%(count)s", count) : "";
  }

  async function flush() {
    const queue = load();
    if (sending || !queue.length) return showQueued();
    sending = true;
    try {
      const response = await fetch(root.dataset.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": root.dataset.csrf,
        },
        body: JSON.stringify({ scans: queue }),
        credentials: "same-origin",
      });
      const body = await response.json();
      if (!response.ok) {
        show({ ok: false, reason: body.error ? body.error.message : response.statusText });
        if (response.status >= 400 && response.status < 500) save([]);
        return;
      }
      const sent = new Set(queue.map((scan) => scan.id));
      save(load().filter((scan) => !sent.has(scan.id)));
      body.results.forEach(show);
    } catch (offline) {
      showQueued();
    } finally {
      sending = false;
      showQueued();
    }
  }

  document.getElementById("wedge").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    const queue = load();
    queue.push({ id: uuid(), code: code, kind: kind.value, location: place.value || null,
                 at: new Date().toISOString() });
    save(queue);
    flush();
  });

  photo.addEventListener("change", async () => {
    if (!photo.files.length) return;
    const form = new FormData();
    form.append("photo", photo.files[0]);
    form.append("kind", kind.value);
    form.append("location", place.value);
    form.append("id", uuid());
    photo.value = "";
    try {
      const response = await fetch(root.dataset.photoEndpoint, {
        method: "POST",
        body: form,
        headers: { Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
        credentials: "same-origin",
      });
      const body = await response.json();
      if (body.results) body.results.forEach(show);
      else show({ ok: false, reason: body.error.message });
    } catch (offline) {
      show({ ok: false, reason: root.dataset.offline.replace("%(count)s", load().length) });
    }
    input.focus();
  });

  // Keep the wedge input focused: a scanner types wherever the focus is.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("select, input, label, a, button")) input.focus();
  });
  window.addEventListener("online", flush);
  setInterval(flush, 10000);
  remember("courier-scan-kind", kind);
  remember("courier-scan-location", place);
  flush();
})();
