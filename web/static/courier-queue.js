// The courier's queue, shared by the scan page and the departure checklists. Every scan is
// written to IndexedDB before anything is sent, with its own UUID, so it survives reloads,
// logouts and ended sessions, and a scan sent twice is recorded once (the server answers a
// repeated id with its first result). A scan leaves the queue only when the server has
// answered it or when the courier discards it and confirms. The page is told the answers
// through onResults; feedback() beeps and vibrates for them.
(function () {
  "use strict";
  const root = document.getElementById("queue");
  const stateLine = document.getElementById("queue-state");
  const ended = document.getElementById("session-ended");
  const endedText = document.getElementById("session-ended-text");
  const waiting = document.getElementById("queued");
  const waitingList = document.getElementById("queued-list");
  const waitingCount = document.getElementById("queued-count");
  const text = root.dataset;
  const STORE = "scans";
  // Under the server's batch limit, and small enough to answer quickly on a weak network.
  const BATCH = 100;
  const listeners = [];
  let sending = false;
  let again = false;
  let state = "idle";
  let failure = "";
  let me = text.login;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const opened = new Promise((resolve, reject) => {
    const request = indexedDB.open("courier-queue", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function transact(mode, work) {
    const db = await opened;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  async function list() {
    const scans = await transact("readonly", (store) => store.getAll());
    return scans.sort((a, b) => a.seq - b.seq);
  }

  const put = (scan) => transact("readwrite", (store) => store.put(scan));

  async function remove(ids) {
    const db = await opened;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, "readwrite");
      ids.forEach((id) => tx.objectStore(STORE).delete(id));
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }

  const fill = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, key) => (key in values ? values[key] : ""));

  async function render() {
    const scans = await list();
    const mine = scans.filter((scan) => scan.login === me);
    const others = scans.length - mine.length;
    const count = mine.length;
    const lines = [];
    if (state === "login") {
      endedText.textContent = fill(text.expired, { count: scans.length });
      ended.hidden = false;
    } else {
      ended.hidden = true;
      if (count && state === "offline") lines.push(fill(text.offline, { count }));
      else if (count && state === "error") lines.push(fill(text.error, { count, reason: failure }));
      else if (count) lines.push(fill(text.sending, { count }));
    }
    if (others && state !== "login") {
      const owner = scans.find((scan) => scan.login !== me).login;
      lines.push(fill(text.other, { login: owner, count: others }));
    }
    stateLine.textContent = lines.join(" ");
    stateLine.className = state === "error" ? "queue-state problem" : "queue-state";
    waiting.hidden = !scans.length;
    waitingCount.textContent = String(scans.length);
    renderWaiting(scans);
  }

  function renderWaiting(scans) {
    const asking = waitingList.querySelector("[data-asking]");
    const askingId = asking ? asking.dataset.asking : null;
    waitingList.textContent = "";
    for (const scan of scans) {
      const item = document.createElement("li");
      item.dataset.test = "queued-scan";
      const what = document.createElement("span");
      const when = new Date(scan.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      what.textContent = `${when} · ${scan.code} · ${scan.note || scan.kind}` +
        (scan.login !== me ? ` · ${scan.login}` : "");
      item.append(what);
      item.append(scan.id === askingId ? confirmation(scan) : discardButton(scan));
      waitingList.append(item);
    }
  }

  function discardButton(scan) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = text.discard;
    button.dataset.test = "discard";
    button.addEventListener("click", () => {
      const item = button.closest("li");
      item.replaceChild(confirmation(scan), button);
      item.querySelector("[data-test=discard-keep]").focus();
    });
    return button;
  }

  // Discarding needs a second, explicit choice: the scan would otherwise be lost for good.
  function confirmation(scan) {
    const box = document.createElement("span");
    box.className = "discard-ask";
    box.dataset.asking = scan.id;
    box.setAttribute("role", "group");
    const question = document.createElement("span");
    question.textContent = text.discardAsk;
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger";
    yes.textContent = text.discardYes;
    yes.dataset.test = "discard-confirm";
    yes.addEventListener("click", async () => {
      await remove([scan.id]);
      render();
    });
    const no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.textContent = text.discardNo;
    no.dataset.test = "discard-keep";
    no.addEventListener("click", () => {
      box.replaceWith(discardButton(scan));
    });
    box.append(question, yes, no);
    return box;
  }

  // Who the server would record the scans for, with a token for that session; null when the
  // session has ended or belongs to someone who may not scan. Throws when offline.
  async function whoIsLoggedIn() {
    const response = await fetch(text.session, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
    });
    if (response.status === 401 || response.status === 403 || response.type === "opaqueredirect") {
      return null;
    }
    if (!response.ok) throw new Error(response.statusText);
    return response.json();
  }

  async function post(batch, csrf) {
    return fetch(text.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify({
        scans: batch.map((s) => ({ id: s.id, code: s.code, kind: s.kind, location: s.location, at: s.at })),
      }),
      credentials: "same-origin",
      redirect: "manual",
    });
  }

  async function sendAll() {
    let who;
    try {
      who = await whoIsLoggedIn();
    } catch (offline) {
      state = "offline";
      return;
    }
    if (!who) {
      state = "login";
      return;
    }
    me = who.login;
    const mine = (await list()).filter((scan) => scan.login === me);
    for (let start = 0; start < mine.length; start += BATCH) {
      const batch = mine.slice(start, start + BATCH);
      let response;
      try {
        response = await post(batch, who.csrf);
      } catch (offline) {
        state = "offline";
        return;
      }
      if (response.status === 401 || response.type === "opaqueredirect") {
        state = "login";
        return;
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        // Kept, not dropped: a refused batch is tried again, and the courier may discard it.
        state = "error";
        const error = body.error || {};
        const problems = (error.problems || []).map((problem) => problem.message);
        failure = problems.length ? problems.join(" ") : error.message || String(response.status);
        return;
      }
      const byId = new Map(batch.map((scan) => [scan.id, scan]));
      await remove(body.results.map((result) => result.id));
      listeners.forEach((listener) => listener(body.results, byId));
    }
    state = "idle";
  }

  // Two tabs sending the same queue would race to record the same scan ids.
  function oneTabAtATime(work) {
    return navigator.locks ? navigator.locks.request("courier-queue", work) : work();
  }

  async function flush() {
    // A scan added while a batch is on its way goes out right after it, not at the next tick.
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    try {
      do {
        again = false;
        if ((await list()).length) await oneTabAtATime(sendAll);
        else state = "idle";
      } while (again && state === "idle");
    } finally {
      sending = false;
      await render();
    }
  }

  async function add(scan) {
    const stored = {
      id: uuid(),
      at: new Date().toISOString(),
      seq: Date.now() + Math.random(),
      login: text.login,
      ...scan,
    };
    await put(stored);
    await render();
    flush();
    return stored;
  }

  // Sound and vibration for an answer: the courier is looking at the envelope, not the screen.
  let audio = null;
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }
  const TONES = {
    ok: { beeps: [[1046, 0.08]], vibrate: 40 },
    warn: { beeps: [[660, 0.15], [660, 0.15]], vibrate: [150, 80, 150] },
    refused: { beeps: [[220, 0.35]], vibrate: [300, 100, 300] },
  };

  function toneOf(entry) {
    if (!entry.ok) return "refused";
    return entry.state === "misrouted" ? "warn" : "ok";
  }

  function feedback(entry) {
    const tone = toneOf(entry);
    const plan = TONES[tone];
    if (navigator.vibrate) navigator.vibrate(plan.vibrate);
    if (audio) {
      let at = audio.currentTime;
      for (const [frequency, length] of plan.beeps) {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.type = tone === "refused" ? "square" : "sine";
        oscillator.frequency.value = frequency;
        gain.gain.value = 0.2;
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(at);
        oscillator.stop(at + length);
        at += length + 0.08;
      }
    }
    return tone;
  }

  // Browsers start sound only after a gesture; a scanner's Enter key is one.
  document.addEventListener("keydown", unlockAudio);
  document.addEventListener("pointerdown", unlockAudio);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(text.worker, { scope: text.scope })
      .then(async () => {
        // A page the worker fetched is kept already; one loaded before the worker existed is
        // not, even when the new worker has claimed it since (so ask how the page came).
        const [navigation] = performance.getEntriesByType("navigation");
        if (navigation && navigation.workerStart > 0) return;
        const worker = (await navigator.serviceWorker.ready).active;
        const used = performance.getEntriesByType("resource").map((entry) => entry.name);
        worker.postMessage({ keep: [location.pathname + location.search, ...used] });
      })
      .catch(() => {});
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", () => {
    state = "offline";
    render();
  });
  // Back from logging in on another tab, or from the lock screen.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  setInterval(flush, 10000);

  window.courierQueue = {
    /** Queue a scan ({code, kind, location, note, ...}) and try to send it. */
    add,
    /** The scans waiting on this phone, oldest first. */
    list,
    /** Try to send what waits now. */
    flush,
    /** Call listener(results, scansById) with each batch the server answers. */
    onResults: (listener) => listeners.push(listener),
    /** Beep and vibrate for an answer; returns its tone: "ok", "warn" or "refused". */
    feedback,
    /** A fresh UUID for a scan. */
    uuid,
    /** {login, csrf} of the session now, null when it has ended; throws when offline. */
    whoIsLoggedIn,
  };
  flush();
})();
