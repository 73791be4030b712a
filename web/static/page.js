// Small behaviours every page may ask for through data attributes, since the Content Security
// Policy refuses inline scripts and event handlers.
(function () {
  "use strict";
  // <select data-autosubmit>: choosing an option submits its form.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // <form data-confirm="question">: submitting asks first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // <element data-reload-after="5000">: reload the page after that many milliseconds.
  var reload = document.querySelector("[data-reload-after]");
  if (reload) {
    setTimeout(function () { location.reload(); }, Number(reload.dataset.reloadAfter));
  }
  // The top menu folds behind its button on narrow screens (the CSS decides when); the button
  // says whether the menu is open, and Escape closes it and returns to the button.
  var toggle = document.querySelector(".menu-toggle");
  var topbar = document.querySelector(".topbar");
  if (toggle && topbar) {
    topbar.classList.add("collapsible");
    toggle.hidden = false;
    var setOpen = function (open) {
      topbar.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    topbar.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }
  // <button data-print>: open the browser's print dialog (label and sheet print views).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // <element data-return-after="8000" data-return-to="/hall/kiosk">: a shared screen (the hall
  // kiosk) goes back to its start after that many milliseconds, counting down in
  // [data-countdown] if there is one.
  var back = document.querySelector("[data-return-after]");
  if (back) {
    var left = Math.ceil(Number(back.dataset.returnAfter) / 1000);
    var shown = document.querySelector("[data-countdown]");
    var tick = setInterval(function () {
      left -= 1;
      if (shown) { shown.textContent = String(Math.max(left, 0)); }
      if (left <= 0) {
        clearInterval(tick);
        location.assign(back.dataset.returnTo);
      }
    }, 1000);
  }
})();
