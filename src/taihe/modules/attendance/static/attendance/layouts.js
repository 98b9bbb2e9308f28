// The export layout form: up and down buttons move a column and renumber the order inputs,
// which are what the server reads (the form works without this script by typing numbers).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.querySelector("[data-layout-columns]");
    if (!body) { return; }
    function renumber() {
      Array.prototype.forEach.call(body.rows, function (row, index) {
        var input = row.querySelector("[data-order]");
        if (input) { input.value = String(index + 1); }
      });
    }
    body.querySelectorAll("[data-move]").forEach(function (button) { button.hidden = false; });
    body.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) { return; }
      var row = button.closest("tr");
      if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      }
      renumber();
      button.focus();
    });
  });
})();
