(function () {
  "use strict";
  var input = document.getElementById("filter");
  var count = document.getElementById("count");
  var ops = Array.prototype.slice.call(document.querySelectorAll("li.op"));
  var families = Array.prototype.slice.call(document.querySelectorAll("section.family"));
  function apply() {
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    ops.forEach(function (li) {
      var text = li.getAttribute("data-search");
      var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
      li.hidden = !match;
      if (match) shown++;
    });
    families.forEach(function (section) {
      section.hidden = !section.querySelector("li.op:not([hidden])");
    });
    count.textContent = terms.length
      ? shown + " of " + ops.length + " operations match"
      : ops.length + " operations";
    try {
      history.replaceState(null, "", terms.length ? "#q=" + encodeURIComponent(input.value) : location.pathname);
    } catch (e) { /* some file:// setups refuse; the filter still works */ }
  }
  if (location.hash.indexOf("#q=") === 0) input.value = decodeURIComponent(location.hash.slice(3));
  input.addEventListener("input", apply);
  apply();
})();
