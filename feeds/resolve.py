"""Opening the address a person gives for a feed source: is it a feed, or a page that names one?

Owns: :func:`resolve_feed_url`, the ``find_feed`` step of :func:`ecitizen.sources.add_source` /
``update_source`` for kind ``feed`` (the web form and ``ecitizen sources add`` pass it). An HTML
page that announces no feed is refused with a hint to watch it as a ``page`` or ``listing``
source instead; an address that cannot be opened right now is accepted with a note (its polls
report the failure). Adapter: fetches with :func:`ecitizen.fetch.fetch_configured`, then the pure
:func:`~ecitizen.feeds.discover.discover_feeds` and :func:`~ecitizen.feeds.parse.parse_feed`.
"""

from __future__ import annotations

from ecitizen.config import HttpConfig
from ecitizen.errors import FetchError, ParseError, UnsafeURLError
from ecitizen.feeds.discover import discover_feeds, looks_like_html
from ecitizen.feeds.parse import parse_feed
from ecitizen.fetch import fetch_configured
from ecitizen.source_settings import KIND_LABELS
from ecitizen.sources import FeedLookup, SourceProblem, SourceRefusedError

NO_FEED = SourceProblem(
    "url",
    "the page announces no feed (no <link rel=\"alternate\"> to RSS/Atom/JSON Feed): add it as a 'page' source "
    "(watch it for changes) or a 'listing' source (settings say where the entries are)",
    "На этой странице нет ленты новостей (RSS или Atom). Добавьте её как источник вида "
    f"«{KIND_LABELS['page']}» (следить за изменениями страницы) или «{KIND_LABELS['listing']}» "
    "(в настройках указать, где на странице записи).",
)


def resolve_feed_url(url: str, http: HttpConfig) -> FeedLookup:
    """Open ``url`` (with the limits of ``config.http``, as a poll would) and say which feed to poll.

    * a feed: ``FeedLookup()`` — the address itself is polled;
    * an HTML page naming feeds: ``FeedLookup(feed_url=<the first one>)``;
    * an HTML page naming none, or a body that is neither a page nor a feed: raises
      :class:`~ecitizen.sources.SourceRefusedError`;
    * no answer or an error status: ``FeedLookup(unreachable=<why>)``.

    A redirect to a private-network address is refused unless ``http.allow_private_targets``.
    """
    try:
        res = fetch_configured(url, http)
    except UnsafeURLError as exc:
        raise SourceRefusedError([SourceProblem(
            "url", str(exc), "Адрес не принят: страница (или её перенаправление) ведёт во внутреннюю сеть, "
            "а такие адреса служба не открывает.")]) from None
    except FetchError as exc:
        return FeedLookup(unreachable=str(exc))
    if res.status >= 400:
        return FeedLookup(unreachable=f"HTTP {res.status}")
    base = res.final_url or url
    if looks_like_html(res.body, res.content_type):
        found = discover_feeds(res.body, base, encoding=res.encoding)
        if not found:
            raise SourceRefusedError([NO_FEED])
        return FeedLookup(feed_url=found[0])
    try:
        parse_feed(res.body, url=base, content_type=res.content_type, header_charset=res.encoding)
    except ParseError as exc:
        raise SourceRefusedError([SourceProblem(
            "url", f"the address answers with neither a feed nor a web page: {exc}",
            f"По этому адресу нет ни ленты новостей, ни веб-страницы ({exc}). Проверьте адрес или выберите "
            "другой вид источника.")]) from None
    return FeedLookup()
