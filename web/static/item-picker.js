// The send form's service picker: typing in [data-filter-options] narrows the <select> it names
// as you type, by name, full pinyin or initials (each option's data-search holds them, lower
// case). Without this script the Find button asks the server, which matches the same way.
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter-options]").forEach(function (input) {
    var select = document.getElementById(input.dataset.filterOptions);
    if (!select) { return; }
    var options = Array.prototype.slice.call(select.options, 1);
    function filter() {
      var terms = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      options.forEach(function (option) {
        var text = option.dataset.search || option.textContent.toLowerCase();
        var match = terms.every(function (term) { return text.indexOf(term) !== -1; });
        option.hidden = !match;
        if (match) { shown += 1; }
      });
      if (select.selectedOptions.length && select.selectedOptions[0].hidden) { select.value = ""; }
      if (shown === 1 && terms.length) {
        select.value = options.filter(function (o) { return !o.hidden; })[0].value;
      }
    }
    input.addEventListener("input", filter);
    // Enter in the search box filters here instead of submitting the whole form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); filter(); }
    });
  });
})();
