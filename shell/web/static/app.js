// The staff pages' only script (the strict CSP allows no inline script):
// * the review queue: keyboard shortcuts by key position (KeyboardEvent.code), so they work in the
//   Russian layout too; they can be switched off (WCAG 2.1.4), the choice kept in localStorage;
//   after approve/reject the page comes back with the focus on the next entry;
// * "select all";
// * the source form: only the chosen kind's settings are shown (and sent); the result of
//   «Проверить» gets the focus.
(function () {
  "use strict";
  var SHORTCUTS_KEY = "ecitizen.shortcuts";
  var NEXT_KEY = "ecitizen.review.next";

  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }  // blocked storage must not break the page
  }

  function shortcutsWanted() {
    var s = storage("localStorage");
    return !s || s.getItem(SHORTCUTS_KEY) !== "off";
  }

  function setupSelectAll() {
    var all = document.getElementById("select-all");
    if (!all) { return; }
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }

  function setupKindSwitch() {
    var select = document.getElementById("kind");
    if (!select) { return; }
    function show() {
      document.querySelectorAll("fieldset.kind-settings").forEach(function (fs) {
        var on = fs.getAttribute("data-kind") === select.value;
        fs.hidden = !on;
        fs.disabled = !on;
      });
      var none = document.getElementById("no-settings");
      if (none) { none.hidden = select.value !== "feed"; }
    }
    select.addEventListener("change", show);
    show();
  }

  function setupReview() {
    var entries = Array.prototype.slice.call(document.querySelectorAll(".queue .entry"));
    var toggle = document.getElementById("shortcuts-on");
    var enabled = shortcutsWanted();
    if (toggle) {
      toggle.checked = enabled;
      toggle.addEventListener("change", function () {
        enabled = toggle.checked;
        var s = storage("localStorage");
        if (s) { s.setItem(SHORTCUTS_KEY, enabled ? "on" : "off"); }
        var help = document.getElementById("shortcuts-help");
        if (help) { help.hidden = !enabled; }
      });
      var help = document.getElementById("shortcuts-help");
      if (help) { help.hidden = !enabled; }
    }
    if (!entries.length) { return; }
    var current = -1;
    function focus(i) {
      if (i < 0 || i >= entries.length) { return; }
      if (current >= 0) { entries[current].classList.remove("current"); }
      current = i; entries[i].classList.add("current"); entries[i].focus();
    }
    entries.forEach(function (el, i) {
      el.addEventListener("focus", function () { if (current !== i) { focus(i); } });
      el.addEventListener("focusin", function () {
        if (current !== i) { if (current >= 0) { entries[current].classList.remove("current"); } current = i; el.classList.add("current"); }
      });
    });

    // after an approve/reject the page reloads: remember which entry comes next
    var form = document.getElementById("bulk");
    if (form) {
      form.addEventListener("submit", function (ev) {
        var by = ev.submitter;
        if (!by || by.name !== "single") { return; }
        var entry = by.closest(".entry");
        var i = entries.indexOf(entry);
        var s = storage("sessionStorage");
        if (!s || i < 0) { return; }
        var next = entries[i + 1];
        s.setItem(NEXT_KEY, JSON.stringify({ path: location.pathname + location.search, index: i,
                                             next: next ? next.getAttribute("data-id") : null }));
      });
    }
    var s = storage("sessionStorage");
    var saved = s && s.getItem(NEXT_KEY);
    if (saved) {
      s.removeItem(NEXT_KEY);
      try {
        var place = JSON.parse(saved);
        if (place.path === location.pathname + location.search) {
          var target = -1;
          entries.forEach(function (el, i) { if (place.next && el.getAttribute("data-id") === place.next) { target = i; } });
          if (target < 0) { target = Math.min(place.index, entries.length - 1); }
          focus(target);
        }
      } catch (e) { /* a stale or foreign value: ignore it */ }
    }

    var KEYS = { KeyJ: "next", KeyK: "prev", KeyX: "mark", KeyA: "approve", KeyR: "reject", KeyE: "edit" };
    document.addEventListener("keydown", function (ev) {
      if (!enabled || ev.ctrlKey || ev.metaKey || ev.altKey || ev.shiftKey) { return; }
      var t = ev.target;
      if (t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
      var action = KEYS[ev.code];
      if (!action) { return; }
      var el = entries[current];
      switch (action) {
        case "next": focus(current + 1); break;
        case "prev": focus(current - 1); break;
        case "mark": if (el) { var b = el.querySelector("input[name=ids]"); b.checked = !b.checked; } break;
        case "approve": if (el) { el.querySelector(".act-approve").click(); } break;
        case "reject": if (el) { el.querySelector(".act-reject").click(); } break;
        case "edit": if (el) { window.location.href = el.getAttribute("data-edit"); } break;
      }
      ev.preventDefault();
    });
  }

  function showPreview() {
    var box = document.getElementById("preview");
    if (box) { box.focus(); box.scrollIntoView({ block: "start" }); }
  }

  ready(function () {
    setupSelectAll();
    setupKindSwitch();
    setupReview();
    showPreview();
  });
})();

// The item edit form: a count of the characters the poster holds for the fields with `data-limit`
// (the headline, the explanation). Longer text is allowed — the poster shortens it — so the count
// only warns. The visible count follows every key; screen readers hear it, politely, once the
// typing pauses (the `aria-live` element beside the field). Without script the static hint says
// the limit.
(function () {
  "use strict";
  var PAUSE_MS = 700;

  function plural(n, one, few, many) {
    var d = n % 10, h = n % 100;
    if (d === 1 && h !== 11) { return one; }
    if (d >= 2 && d <= 4 && (h < 12 || h > 14)) { return few; }
    return many;
  }

  // what the poster counts: the text trimmed, runs of spaces as one, letters (not UTF-16 units)
  function length(value) { return Array.from(value.trim().replace(/\s+/g, " ")).length; }

  function describe(n, limit) {
    var text = n + " " + plural(n, "знак", "знака", "знаков") + " из " + limit;
    return n > limit ? text + " — на плакате может быть сокращено" : text;
  }

  function setupCounter(field) {
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    var shown = document.querySelector('[data-counter-for="' + field.id + '"]');
    var status = document.querySelector('[data-counter-status-for="' + field.id + '"]');
    if (!limit || !shown) { return; }
    var timer = null;
    function update() {
      var n = length(field.value);
      shown.textContent = describe(n, limit);
      shown.classList.toggle("over", n > limit);
      shown.hidden = false;
      if (status) {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { status.textContent = describe(n, limit) + "."; }, PAUSE_MS);
      }
    }
    field.addEventListener("input", update);
    var n = length(field.value);  // on load: shown, not announced
    shown.textContent = describe(n, limit);
    shown.classList.toggle("over", n > limit);
    shown.hidden = false;
  }

  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-limit], textarea[data-limit]"), setupCounter);
  });
})();
