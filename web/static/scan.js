// The courier's scan page: a focused input for keyboard-wedge scanners (Enter queues the scan)
// and a camera photo decoded on the server. Typed and scanned codes go through the shared queue
// (courier-queue.js), so scans made offline or after the session ended are sent later; answers
// show green, amber (misrouted) or red (refused), with a sound and a vibration.
(function () {
  "use strict";
  const root = document.getElementById("scanner");
  const input = document.getElementById("code");
  const kind = document.getElementById("kind");
  const place = document.getElementById("location");
  const result = document.getElementById("result");
  const log = document.getElementById("log");
  const photo = document.getElementById("photo");
  const queue = window.courierQueue;
  const HEADS = { ok: ["✓", root.dataset.ok], warn: ["!", root.dataset.warn], refused: ["✕", root.dataset.failed] };

  function remember(key, select) {
    const saved = localStorage.getItem(key);
    if (saved !== null && [...select.options].some((o) => o.value === saved)) select.value = saved;
    select.addEventListener("change", () => {
      localStorage.setItem(key, select.value);
      input.focus();
    });
  }

  // Refusals and misroutes interrupt (role=alert); an accepted scan is announced politely.
  function present(tone, heading, detail, line) {
    result.className = "scan-result " + tone;
    result.setAttribute("role", tone === "ok" || tone === "queued" ? "status" : "alert");
    result.textContent = "";
    const head = document.createElement("strong");
    head.textContent = heading;
    result.append(head);
    if (detail) {
      const why = document.createElement("p");
      why.textContent = detail;
      result.append(why);
    }
    if (!line) return;
    const entry = document.createElement("li");
    entry.className = tone;
    entry.textContent = line;
    log.prepend(entry);
  }

  function show(answer, scan) {
    const tone = queue.feedback(answer);
    const [mark, word] = HEADS[tone];
    const code = answer.tracking_code || (scan && scan.code) || "";
    present(
      tone,
      `${mark} ${word}` + (answer.state_label ? " · " + answer.state_label : ""),
      answer.reason,
      `${mark} ${code} ${answer.state_label || ""} ${answer.reason || ""}`
    );
  }

  queue.onResults((results, scans) => results.forEach((answer) => show(answer, scans.get(answer.id))));

  document.getElementById("wedge").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    const note = kind.options[kind.selectedIndex].text;
    // The log lists answers; what waits for one is listed by the queue.
    present("queued", `… ${root.dataset.queued} · ${code}`, note, null);
    await queue.add({ code, kind: kind.value, location: place.value || null, note });
  });

  photo.addEventListener("change", async () => {
    if (!photo.files.length) return;
    const form = new FormData();
    form.append("photo", photo.files[0]);
    form.append("kind", kind.value);
    form.append("location", place.value);
    form.append("id", queue.uuid());
    photo.value = "";
    try {
      // The page may be a copy the service worker kept: ask for this session's token.
      const who = await queue.whoIsLoggedIn();
      if (!who) {
        queue.flush();
        return;
      }
      const response = await fetch(root.dataset.photoEndpoint, {
        method: "POST",
        body: form,
        headers: { Accept: "application/json", "X-CSRFToken": who.csrf },
        credentials: "same-origin",
      });
      const body = await response.json();
      if (body.results) body.results.forEach((answer) => show(answer));
      else show({ ok: false, reason: body.error.message });
    } catch (offline) {
      show({ ok: false, reason: root.dataset.photoOffline });
    }
    input.focus();
  });

  // Keep the wedge input focused: a scanner types wherever the focus is.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("select, input, label, a, button, summary, details")) input.focus();
  });
  remember("courier-scan-kind", kind);
  remember("courier-scan-location", place);
})();
