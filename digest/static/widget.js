/* e-citizen watch: news widget.
 * <div id="ecitizen-news" data-feed="https://…/feed.json" data-limit="5"></div>
 * <script src="https://…/widget.js" defer></script>
 * Renders the JSON Feed into the element with text nodes only: feed content is never parsed as HTML.
 */
(function () {
  "use strict";
  var MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
    "сентября", "октября", "ноября", "декабря"];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.appendChild(document.createTextNode(text)); }
    return node;
  }

  function safeUrl(url) {
    try {
      var u = new URL(url, window.location.href);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : null;
    } catch (e) { return null; }
  }

  function ruDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear() + " г.";
  }

  function render(target, feed, limit) {
    while (target.firstChild) { target.removeChild(target.firstChild); }
    var items = (feed && Array.isArray(feed.items)) ? feed.items.slice(0, limit) : [];
    if (!items.length) { target.appendChild(el("p", "ecitizen-empty", "Новостей пока нет.")); return; }
    var list = el("ul", "ecitizen-list");
    items.forEach(function (item) {
      var li = el("li", "ecitizen-item");
      var href = safeUrl(String(item.url || ""));
      var title = String(item.title || item.content_text || "").slice(0, 300);
      var tags = Array.isArray(item.tags) ? item.tags : [];
      if (tags.indexOf("Новая онлайн-услуга") >= 0) { li.appendChild(el("span", "ecitizen-new", "Новая услуга")); }
      if (href) {
        var a = el("a", "ecitizen-link", title);
        a.setAttribute("href", href);
        a.setAttribute("target", "_blank");
        a.setAttribute("rel", "noopener noreferrer");
        li.appendChild(a);
      } else {
        li.appendChild(el("span", "ecitizen-title", title));
      }
      var date = ruDate(String(item.date_published || ""));
      if (date) { li.appendChild(el("div", "ecitizen-date", date)); }
      if (item.summary) { li.appendChild(el("p", "ecitizen-summary", String(item.summary).slice(0, 400))); }
      list.appendChild(li);
    });
    target.appendChild(list);
  }

  function start(target) {
    var src = target.getAttribute("data-feed");
    var limit = parseInt(target.getAttribute("data-limit") || "5", 10) || 5;
    if (!src) { return; }
    fetch(src, { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (feed) { render(target, feed, limit); })
      .catch(function () {
        while (target.firstChild) { target.removeChild(target.firstChild); }
        target.appendChild(el("p", "ecitizen-error", "Не удалось загрузить новости."));
      });
  }

  function init() {
    var nodes = document.querySelectorAll("[data-ecitizen-feed], #ecitizen-news");
    for (var i = 0; i < nodes.length; i++) {
      if (!nodes[i].getAttribute("data-feed") && nodes[i].getAttribute("data-ecitizen-feed")) {
        nodes[i].setAttribute("data-feed", nodes[i].getAttribute("data-ecitizen-feed"));
      }
      start(nodes[i]);
    }
  }

  window.ecitizenWidget = { render: render, start: start };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
