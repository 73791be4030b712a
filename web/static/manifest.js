// The courier's manifest: each scan goes through the scan endpoint with the item's action and
// place; an accepted scan turns its line green. Scans made on other pages show up on refresh.
(function () {
  "use strict";
  const root = document.getElementById("manifest");
  const input = document.getElementById("code");
  const status = document.getElementById("scan-result");
  const counter = document.getElementById("done-count");
  const ORDER = ["collect", "load", "unload"];

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const items = () => [...root.querySelectorAll(".checklist li")];

  function markDone(item) {
    item.classList.add("done");
    item.querySelector(".tick").textContent = "✓";
    counter.textContent = String(items().filter((li) => li.classList.contains("done")).length);
  }

  // The next open item of the scanned envelope: collect before load before unload.
  function nextItem(text) {
    const upper = text.toUpperCase().replace(/[\s-]/g, "");
    const open = items()
      .filter((li) => !li.classList.contains("done") && upper.includes(li.dataset.code))
      .sort((a, b) => ORDER.indexOf(a.dataset.action) - ORDER.indexOf(b.dataset.action));
    return open[0];
  }

  async function scan(text) {
    const item = nextItem(text);
    if (!item) {
      status.textContent = root.dataset.refused + ": " + text;
      status.className = "refused";
      return;
    }
    const body = {
      scans: [{ id: uuid(), code: text, kind: item.dataset.action, location: item.dataset.location }],
    };
    const response = await fetch(root.dataset.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": root.dataset.csrf,
      },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    const result = (answer.results || [])[0];
    if (result && result.ok) {
      markDone(item);
      status.textContent = `${item.dataset.code} · ${result.state_label || ""}`;
      status.className = "ok";
    } else {
      status.textContent = `${root.dataset.refused}: ${(result && result.reason) || ""}`;
      status.className = "refused";
    }
  }

  async function refresh() {
    const response = await fetch(root.dataset.status, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const answer = await response.json();
    for (const entry of answer.items) {
      const item = root.querySelector(
        `.checklist li[data-code="${entry.code}"][data-action="${entry.action}"]`
      );
      if (item && entry.done && !item.classList.contains("done")) markDone(item);
    }
  }

  document.getElementById("manifest-scan").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    input.value = "";
    if (text) scan(text).catch(() => { status.textContent = root.dataset.refused; });
    input.focus();
  });
  setInterval(() => refresh().catch(() => {}), 15000);
})();
