/* e-citizen watch: news widget.
 * <div id="ecitizen-news" data-feed="https://…/feed.json" data-limit="5">
 *   <noscript><a href="https://…/widget.html">Новости и новые онлайн-услуги</a></noscript>
 * </div>
 * <script src="https://…/widget.js" defer></script>
 * Renders the JSON Feed into the element with text nodes only: feed content is never parsed as HTML.
 * data-limit: how many news to show, a whole number from 1 to 50 (anything else: 5).
 * Styles are set through the CSSOM (element.style), which a page's Content-Security-Policy allows.
 */
(function () {
  "use strict";
  var MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
    "сентября", "октября", "ноября", "декабря"];
  var DEFAULT_LIMIT = 5;
  var MAX_LIMIT = 50;

  /* "5" -> 5; "-1", "0", "51", "2.5", "abc", "" -> the default (never a negative slice) */
  function parseLimit(value) {
    var text = String(value === undefined || value === null ? "" : value).trim();
    if (!/^[0-9]{1,3}$/.test(text)) { return DEFAULT_LIMIT; }
    var n = parseInt(text, 10);
    return (n >= 1 && n <= MAX_LIMIT) ? n : DEFAULT_LIMIT;
  }

  /* «Новая услуга:» before the title: its own box for the eye, its own words (with the colon and
     a space) for a screen reader, outside the link so the link's name is the title alone */
  function badge() {
    var b = el("strong", "ecitizen-new", "Новая услуга:");
    b.style.display = "inline-block";
    b.style.marginRight = "0.5em";
    b.style.padding = "0 0.35em";
    b.style.border = "2px solid currentColor";
    b.style.fontWeight = "bold";
    return b;
  }

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
    var items = (feed && Array.isArray(feed.items)) ? feed.items.slice(0, parseLimit(limit)) : [];
    if (!items.length) { target.appendChild(el("p", "ecitizen-empty", "Новостей пока нет.")); return; }
    var list = el("ul", "ecitizen-list");
    items.forEach(function (item) {
      var li = el("li", "ecitizen-item");
      var href = safeUrl(String(item.url || ""));
      var title = String(item.title || item.content_text || "").slice(0, 300);
      var tags = Array.isArray(item.tags) ? item.tags : [];
      if (tags.indexOf("Новая онлайн-услуга") >= 0) {
        li.appendChild(badge());
        li.appendChild(document.createTextNode(" "));
      }
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
    var limit = parseLimit(target.getAttribute("data-limit"));
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

  window.ecitizenWidget = { render: render, start: start, parseLimit: parseLimit };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
