/* The hall's display board: calls arrive by Server-Sent Events and are spoken aloud.
 * EventSource reconnects by itself and sends Last-Event-ID, so a call is never missed when the
 * server ends a stream. Browsers only let a page speak after a click, hence the start button. */
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board) { return; }
  var repeat = parseInt(board.dataset.repeat, 10) || 1;
  var lang = board.dataset.lang || "zh-CN";
  var sayTemplate = board.dataset.say;
  var windowTemplate = document.querySelector("[data-window-label]").innerHTML;
  var number = board.querySelector("[data-test=board-number]");
  var where = board.querySelector("[data-test=board-window]");
  var said = board.querySelector("[data-test=announcement]");
  var recent = board.querySelector("[data-test=board-recent]");
  var speaking = false;

  function fill(template, call) {
    return template.replace("{number}", call.number).replace("{window}", String(call.window));
  }

  function speak(text) {
    if (!speaking || !("speechSynthesis" in window)) { return; }
    var voices = window.speechSynthesis.getVoices().filter(function (v) {
      return v.lang.replace("_", "-").toLowerCase().indexOf(lang.slice(0, 2).toLowerCase()) === 0;
    });
    for (var i = 0; i < repeat; i += 1) {
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = lang;
      if (voices.length) { utterance.voice = voices[0]; }
      window.speechSynthesis.speak(utterance);
    }
  }

  function show(call) {
    if (number.textContent.trim() !== "—") {
      var item = document.createElement("li");
      var bold = document.createElement("b");
      bold.textContent = number.textContent;
      item.appendChild(bold);
      item.appendChild(document.createTextNode(" → " + where.textContent));
      recent.insertBefore(item, recent.firstChild);
      while (recent.children.length > 5) { recent.removeChild(recent.lastChild); }
    }
    number.textContent = call.number;
    where.textContent = fill(windowTemplate, call);
    var text = fill(sayTemplate, call);
    said.textContent = text;
    board.classList.remove("flash-call");
    void board.offsetWidth;  // restart the highlight animation
    board.classList.add("flash-call");
    speak(text);
  }

  var after = board.dataset.after;
  function listen() {
    var source = new EventSource(board.dataset.stream + "?after=" + after);
    source.addEventListener("call", function (event) {
      after = event.lastEventId || after;
      show(JSON.parse(event.data));
    });
    // A refusal (too many boards, 429/503) closes the stream for good: ask again later.
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) { setTimeout(listen, 30000); }
    });
  }
  listen();

  board.querySelector("[data-start]").addEventListener("click", function (event) {
    speaking = true;
    event.currentTarget.hidden = true;
    if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
  });
})();
