// The courier's departure checklist: each scan is queued (courier-queue.js) with the item's
// action and place, so it is kept offline and after the session ends; the item shows it waits,
// then turns green when the server accepts it, or says why it was refused. Scans made on other
// pages show up on refresh.
(function () {
  "use strict";
  const root = document.getElementById("manifest");
  const input = document.getElementById("code");
  const status = document.getElementById("scan-result");
  const counter = document.getElementById("done-count");
  const queue = window.courierQueue;
  const ORDER = ["collect", "load", "unload"];
  const MARKS = { ok: "✓", warn: "!", refused: "✕", queued: "…" };
  const WORDS = { ok: root.dataset.ok, warn: root.dataset.warn, refused: root.dataset.refused, queued: root.dataset.queued };

  const items = () => [...root.querySelectorAll(".checklist li")];
  const keyOf = (item) => `${item.dataset.action}:${item.dataset.code}`;
  const itemFor = (key) => items().find((item) => keyOf(item) === key);

  function mark(item, tone, note) {
    item.classList.remove("queued", "refused", "warn");
    item.classList.add(tone === "ok" || tone === "warn" ? "done" : tone);
    if (tone === "warn") item.classList.add("warn");
    item.querySelector(".tick").textContent = MARKS[tone];
    item.querySelector(".item-note").textContent = note || (tone === "ok" ? "" : WORDS[tone]);
    counter.textContent = String(items().filter((li) => li.classList.contains("done")).length);
  }

  function say(tone, message) {
    status.textContent = `${MARKS[tone]} ${WORDS[tone]} · ${message}`;
    status.className = tone;
    status.setAttribute("role", tone === "ok" || tone === "queued" ? "status" : "alert");
  }

  // The next open item of the scanned envelope: collect before load before unload.
  function nextItem(text) {
    const upper = text.toUpperCase().replace(/[\s-]/g, "");
    const open = items()
      .filter((li) => !li.classList.contains("done") && !li.classList.contains("queued"))
      .filter((li) => upper.includes(li.dataset.code.replace(/[\s-]/g, "")))
      .sort((a, b) => ORDER.indexOf(a.dataset.action) - ORDER.indexOf(b.dataset.action));
    return open[0];
  }

  async function scan(text) {
    const item = nextItem(text);
    if (!item) {
      queue.feedback({ ok: false });
      say("refused", `${text} · ${root.dataset.notListed}`);
      return;
    }
    mark(item, "queued");
    say("queued", item.dataset.code);
    await queue.add({
      code: text,
      kind: item.dataset.action,
      location: item.dataset.location,
      note: item.closest("ul").previousElementSibling.textContent,
      item: keyOf(item),
      page: location.pathname,
    });
  }

  queue.onResults((results, scans) => {
    for (const answer of results) {
      const scan = scans.get(answer.id);
      const tone = queue.feedback(answer);
      const item = scan && scan.page === location.pathname ? itemFor(scan.item) : null;
      if (item) mark(item, tone, answer.reason);
      const code = answer.tracking_code || (scan && scan.code) || "";
      say(tone, [code, answer.state_label, answer.reason].filter(Boolean).join(" · "));
    }
  });

  // Scans still waiting from before a reload keep their mark.
  queue.list().then((scans) => {
    for (const scan of scans) {
      const item = scan.page === location.pathname ? itemFor(scan.item) : null;
      if (item && !item.classList.contains("done")) mark(item, "queued");
    }
  });

  async function refresh() {
    const response = await fetch(root.dataset.status, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const answer = await response.json();
    for (const entry of answer.items) {
      const item = root.querySelector(
        `.checklist li[data-code="${entry.code}"][data-action="${entry.action}"]`
      );
      if (item && entry.done && !item.classList.contains("done")) mark(item, "ok");
    }
  }

  document.getElementById("manifest-scan").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    input.value = "";
    if (text) scan(text);
    input.focus();
  });
  setInterval(() => refresh().catch(() => {}), 15000);
})();
