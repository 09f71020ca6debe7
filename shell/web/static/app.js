// Keyboard-friendly review queue and "select all". No inline scripts anywhere (strict CSP).
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
      });
    }
    var entries = Array.prototype.slice.call(document.querySelectorAll(".queue .entry"));
    if (!entries.length) { return; }
    var current = -1;
    function focus(i) {
      if (i < 0 || i >= entries.length) { return; }
      if (current >= 0) { entries[current].classList.remove("current"); }
      current = i; entries[i].classList.add("current"); entries[i].focus();
    }
    entries.forEach(function (el, i) { el.addEventListener("focus", function () { if (current !== i) { focus(i); } }); });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      if (t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
      var el = entries[current];
      switch (ev.key) {
        case "j": focus(current + 1); break;
        case "k": focus(current - 1); break;
        case "x": if (el) { var b = el.querySelector("input[name=ids]"); b.checked = !b.checked; } break;
        case "a": if (el) { el.querySelector(".act-approve").click(); } break;
        case "r": if (el) { el.querySelector(".act-reject").click(); } break;
        case "e": if (el) { window.location.href = el.getAttribute("data-edit"); } break;
        default: return;
      }
      ev.preventDefault();
    });
  });
})();
