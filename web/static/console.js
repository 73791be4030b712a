/* Window console shortcuts: a single key presses the button marked data-key, unless the
 * clerk is typing in a field. Access keys (Alt+key) work as well without this script. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var control = document.querySelector("[data-key='" + event.key.toLowerCase() + "']");
    if (!control) { return; }
    event.preventDefault();
    if (control.tagName === "SELECT") { control.focus(); } else { control.click(); }
  });
})();
