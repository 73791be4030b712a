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
})();
