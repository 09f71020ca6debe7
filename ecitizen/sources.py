"""Adding and changing a watched source: the one operation behind config seeding, the CLI, OPML
import and the web form; and the reads of the source list.

Owns: the rules every new or changed source passes (:func:`check_source`): a name, a known kind
(:data:`~ecitizen.source_settings.SOURCE_KINDS`), settings valid for a crawler kind
(:func:`~ecitizen.source_settings.parse_source_settings`, the key named — a source that would only
fail at its first crawl is never saved), known topics, the minimum poll interval
(``feeds.min_interval_minutes``), a public http(s) address unless ``http.allow_private_targets``
(:func:`~ecitizen.urls.check_public_url`), and no second source on the same address (compared in
canonical form; the refusal names the source that has it). :func:`add_source` and
:func:`update_source` apply them to the ``source`` table. For kind ``feed`` the caller may pass
``find_feed`` — the feed reader's ``feeds.resolve_feed_url`` — which opens the address and finds
the feed a page announces (the core never imports a domain package).

Every refusal is one :class:`SourceRefusedError` listing :class:`SourceProblem` s: the form field
it belongs to, an English text (CLI, logs) and a Russian one (web form).

Must not import: network code or any domain package. The checks are pure apart from the DNS
lookup of ``check_public_url`` (``resolve=None`` checks literal addresses only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from sqlalchemy import func
from sqlmodel import Session, col, select

from ecitizen import outcomes
from ecitizen.config import Config, SourceConfig
from ecitizen.errors import ConfigError, EcitizenError, NotFoundError, UnsafeURLError
from ecitizen.source_settings import CRAWLER_KINDS, KIND_LABELS, SOURCE_KINDS, parse_source_settings
from ecitizen.storage import Item, Source
from ecitizen.urls import Resolver, canonical_url, check_public_url, is_http_url
from ecitizen.urls import _resolve as default_resolve

# -- refusals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceProblem:
    """One reason a source is refused."""

    #: the field it belongs to: name | url | kind | topics | interval_minutes | settings
    field: str
    #: English, for the CLI and the logs
    problem: str
    #: Russian, for the web form
    russian: str


class SourceRefusedError(EcitizenError, ValueError):
    """A source was not saved; ``problems`` says why, field by field."""

    def __init__(self, problems: Iterable[SourceProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in self.problems))

    def russian(self) -> dict[str, list[str]]:
        """The Russian messages by field, for showing each next to its field."""
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p.russian)
        return out


#: the words of :func:`ecitizen.validation.problem_of` a manager most often meets, in Russian
_PROBLEM_RU = {"required key is missing": "обязательный ключ не указан", "unknown key": "неизвестный ключ"}


# -- values ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInput:
    """What a person (or the config file, or an OPML file) says a source is."""

    name: str
    url: str
    kind: str = "feed"
    topics: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    interval_minutes: int | None = None
    timezone: str | None = None
    enabled: bool = True

    @classmethod
    def from_config(cls, sc: SourceConfig) -> SourceInput:
        return cls(name=sc.name, url=sc.url, kind=sc.kind, topics=tuple(sc.topics), settings=dict(sc.settings),
                   interval_minutes=sc.interval_minutes, timezone=sc.timezone, enabled=sc.enabled)

    @classmethod
    def from_row(cls, row: Source) -> SourceInput:
        """A stored source as input (change a few fields with ``dataclasses.replace``)."""
        return cls(name=row.name, url=row.url, kind=row.kind, topics=tuple(row.topics), settings=dict(row.settings),
                   interval_minutes=row.interval_minutes, timezone=row.timezone, enabled=row.enabled)


@dataclass(frozen=True)
class SourceRules:
    """The values of the config the checks need."""

    known_topics: frozenset[str]
    min_interval_minutes: int = 1
    allow_private_targets: bool = False

    @classmethod
    def from_config(cls, config: Config) -> SourceRules:
        return cls(frozenset(t.id for t in config.topics), config.feeds.min_interval_minutes,
                   config.http.allow_private_targets)


@dataclass(frozen=True)
class FeedLookup:
    """What opening a feed source's address found (``feeds.resolve_feed_url``)."""

    #: the feed an HTML page announces (None: the address is the feed itself, or was not opened)
    feed_url: str | None = None
    #: why the address could not be opened now (the source is saved; its polls will report it)
    unreachable: str | None = None


#: opens a feed source's address; raises :class:`SourceRefusedError` for a page without a feed
FindFeed = Callable[[str], FeedLookup]


@dataclass(frozen=True)
class SavedSource:
    source: Source
    created: bool
    #: the fields written (every field of a new source; none when an update changed nothing)
    changed: tuple[str, ...]
    #: what the feed look-up found (None when there was none)
    lookup: FeedLookup | None = None


# -- the rules (pure, apart from check_public_url's DNS lookup) -------------------------------------


def _problems(
    data: SourceInput, rules: SourceRules, *, check_url: bool, resolve: Resolver | None
) -> tuple[SourceInput, list[SourceProblem]]:
    problems: list[SourceProblem] = []
    name = data.name.strip()
    if not name:
        problems.append(SourceProblem("name", "the name must not be empty", "Укажите название источника."))
    if data.kind not in SOURCE_KINDS:
        problems.append(SourceProblem(
            "kind", f"unknown kind {data.kind!r} (known: {', '.join(SOURCE_KINDS)})", "Неизвестный вид источника."))
    elif data.kind in CRAWLER_KINDS:
        try:
            parse_source_settings(data.kind, dict(data.settings))
        except ConfigError as exc:
            problems.append(SourceProblem(
                "settings", str(exc),
                f"Настройки не приняты: {exc.key} — {_PROBLEM_RU.get(exc.problem, exc.problem)}."))
    topics = tuple(dict.fromkeys(data.topics))
    for t in topics:
        if t not in rules.known_topics:
            problems.append(SourceProblem(
                "topics", f"unknown topic {t!r} (known: {', '.join(sorted(rules.known_topics))})",
                f"Неизвестная тема «{t}»."))
    if data.interval_minutes is not None and data.interval_minutes < rules.min_interval_minutes:
        problems.append(SourceProblem(
            "interval_minutes", f"the interval must be at least {rules.min_interval_minutes} minutes",
            f"Интервал не меньше {rules.min_interval_minutes} минут."))
    url = data.url.strip()
    if check_url:
        try:
            url = check_public_url(url, allow_private=rules.allow_private_targets, resolve=resolve)
        except UnsafeURLError as exc:
            problems.append(SourceProblem("url", str(exc), address_refusal(url)))
    checked = replace(data, name=name, url=url, topics=topics, settings=dict(data.settings))
    return checked, problems


def address_refusal(url: str) -> str:
    """Why an address is refused (:func:`~ecitizen.urls.check_public_url`), in plain Russian."""
    if not is_http_url(url.strip()):
        return ("Адрес не принят: он должен начинаться с http:// или https:// и содержать имя сайта, "
                "например https://www.gosuslugi.ru/.")
    return f"Адрес не принят: {outcomes.explain(outcomes.UNSAFE_TARGET)} Укажите адрес сайта в интернете."


def check_source(data: SourceInput, rules: SourceRules, *, resolve: Resolver | None = default_resolve) -> SourceInput:
    """``data`` with its name trimmed and its address in canonical form; raises
    :class:`SourceRefusedError` listing every rule it breaks (duplicates need the database: see
    :func:`add_source`)."""
    checked, problems = _problems(data, rules, check_url=True, resolve=resolve)
    if problems:
        raise SourceRefusedError(problems)
    return checked


def address_key(url: str) -> str:
    """The form two addresses are compared in (canonical; as written if it cannot be parsed)."""
    try:
        return canonical_url(url)
    except ValueError:
        return url.strip()


def watching_source(urls: Iterable[str], others: Iterable[Source], *, exclude_id: int | None = None) -> Source | None:
    """The first of ``others`` whose address or feed is one of ``urls`` (canonical comparison). Pure."""
    wanted = {address_key(u) for u in urls}
    for other in others:
        if other.id is not None and other.id == exclude_id:
            continue
        if any(u and address_key(u) in wanted for u in (other.url, other.feed_url)):
            return other
    return None


def _duplicate(url: str, holder: Source, *, feed: bool = False) -> SourceProblem:
    if feed:
        return SourceProblem("url", f"its feed {url} is already watched: source {holder.name!r}",
                             f"Адрес не принят: этот адрес уже отслеживается: источник «{holder.name}» (лента {url}).")
    return SourceProblem("url", f"this address is already watched: source {holder.name!r}",
                         f"Адрес не принят: этот адрес уже отслеживается: источник «{holder.name}».")


def _found_feed(
    lookup: FeedLookup, page_url: str, others: list[Source], rules: SourceRules, *, exclude_id: int | None,
    resolve: Resolver | None,
) -> str | None:
    """The checked feed URL of a look-up (None when the page is the feed itself)."""
    if not lookup.feed_url or address_key(lookup.feed_url) == address_key(page_url):
        return None
    try:
        feed_url = check_public_url(lookup.feed_url, allow_private=rules.allow_private_targets, resolve=resolve)
    except UnsafeURLError as exc:
        raise SourceRefusedError([SourceProblem(
            "url", f"the page's feed is refused: {exc}",
            f"Лента, которую называет страница, не принята: {exc}")]) from None
    holder = watching_source([feed_url], others, exclude_id=exclude_id)
    if holder is not None:
        raise SourceRefusedError([_duplicate(feed_url, holder, feed=True)])
    return feed_url


# -- the operations ----------------------------------------------------------------------------------

_FIELDS = ("name", "url", "feed_url", "kind", "topics", "settings", "interval_minutes", "timezone", "enabled")


def add_source(
    session: Session, data: SourceInput, rules: SourceRules, *, origin: str, find_feed: FindFeed | None = None,
    resolve: Resolver | None = default_resolve,
) -> SavedSource:
    """Check ``data`` and store it as a new source (``origin``: config | cli | web | opml).

    Raises :class:`SourceRefusedError` (nothing written) when a rule is broken, the name is taken or
    the address (or the feed its page announces) is already watched. The caller owns the transaction.
    """
    checked, problems = _problems(data, rules, check_url=True, resolve=resolve)
    others = list(session.exec(select(Source)))
    if checked.name and any(o.name == checked.name for o in others):
        problems.append(SourceProblem("name", f"a source named {checked.name!r} already exists",
                                      "Источник с таким названием уже есть."))
    if not any(p.field == "url" for p in problems):
        holder = watching_source([checked.url], others)
        if holder is not None:
            problems.append(_duplicate(checked.url, holder))
    if problems:
        raise SourceRefusedError(problems)
    lookup = None
    feed_url = None
    if checked.kind == "feed" and find_feed is not None:
        lookup = find_feed(checked.url)
        feed_url = _found_feed(lookup, checked.url, others, rules, exclude_id=None, resolve=resolve)
    row = Source(name=checked.name, kind=checked.kind, url=checked.url, feed_url=feed_url, topics=list(checked.topics),
                 settings=dict(checked.settings), interval_minutes=checked.interval_minutes,
                 timezone=checked.timezone, enabled=checked.enabled, origin=origin)
    session.add(row)
    session.flush()
    return SavedSource(row, True, _FIELDS, lookup)


def update_source(
    session: Session, source: Source | int, data: SourceInput, rules: SourceRules, *,
    find_feed: FindFeed | None = None, resolve: Resolver | None = default_resolve,
) -> SavedSource:
    """Check ``data`` and write it over a stored source (by row or id).

    The address is checked (public target, not watched by another source) only when it changes;
    a new address drops the conditional-GET validators and the discovered feed. ``find_feed`` runs
    for kind ``feed`` when the address changes or the kind becomes ``feed``. Raises
    :class:`SourceRefusedError` (nothing written) or :class:`NotFoundError`.
    """
    row = source if isinstance(source, Source) else get_source_by_id(session, source)
    url_changed = address_key(data.url) != address_key(row.url)
    checked, problems = _problems(data, rules, check_url=url_changed, resolve=resolve)
    others = list(session.exec(select(Source)))
    if checked.name and checked.name != row.name and any(o.name == checked.name and o.id != row.id for o in others):
        problems.append(SourceProblem("name", f"a source named {checked.name!r} already exists",
                                      "Источник с таким названием уже есть."))
    if url_changed and not any(p.field == "url" for p in problems):
        holder = watching_source([checked.url], others, exclude_id=row.id)
        if holder is not None:
            problems.append(_duplicate(checked.url, holder))
    if problems:
        raise SourceRefusedError(problems)
    lookup = None
    feed_url = None if url_changed else row.feed_url
    if checked.kind != "feed":
        feed_url = None
    elif find_feed is not None and (url_changed or row.kind != "feed"):
        lookup = find_feed(checked.url)
        feed_url = _found_feed(lookup, checked.url, others, rules, exclude_id=row.id, resolve=resolve)
    values: dict[str, Any] = {
        "name": checked.name, "url": checked.url if url_changed else row.url, "feed_url": feed_url,
        "kind": checked.kind, "topics": list(checked.topics), "settings": dict(checked.settings),
        "interval_minutes": checked.interval_minutes, "timezone": checked.timezone, "enabled": checked.enabled,
    }
    changed = tuple(name for name in _FIELDS if getattr(row, name) != values[name])
    for name in changed:
        setattr(row, name, values[name])
    if url_changed:
        row.etag = None
        row.last_modified = None
    if changed:
        session.add(row)
        session.flush()
    return SavedSource(row, False, changed, lookup)


# -- settings as text (the web form, the CLI's --settings) ------------------------------------------


def parse_settings_text(text: str) -> dict[str, Any]:
    """Settings written as YAML or JSON (a mapping); empty text is no settings."""
    if not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceRefusedError([SourceProblem(
            "settings", f"settings are not valid YAML or JSON: {first}",
            f"Настройки не читаются: это не YAML и не JSON ({first}).")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SourceRefusedError([SourceProblem(
            "settings", "settings must be a mapping of keys to values",
            "Настройки должны быть набором «ключ: значение».")])
    return {str(k): v for k, v in data.items()}


def settings_text(settings: Mapping[str, Any]) -> str:
    """Settings as YAML for editing ("" when there are none)."""
    if not settings:
        return ""
    return yaml.safe_dump(dict(settings), allow_unicode=True, sort_keys=False, width=120)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


# -- reads and small changes --------------------------------------------------------------------------


def get_source_by_id(session: Session, source_id: int) -> Source:
    row = session.get(Source, source_id)
    if row is None:
        raise NotFoundError(f"no source #{source_id}")
    return row


def list_sources(session: Session) -> list[Source]:
    """Every source, by name."""
    return list(session.exec(select(Source).order_by(col(Source.name))))


def source_names(session: Session) -> list[str]:
    return list(session.exec(select(Source.name).order_by(col(Source.name))))


def failing_sources(session: Session) -> list[Source]:
    """Sources whose last attempts failed, the longest run of failures first."""
    return list(session.exec(
        select(Source).where(Source.consecutive_failures > 0).order_by(col(Source.consecutive_failures).desc())
    ))


def item_counts(session: Session) -> dict[int, int]:
    """Number of items per source id."""
    rows = session.exec(select(Item.source_id, func.count(col(Item.id))).group_by(col(Item.source_id))).all()
    return {source_id: count for source_id, count in rows}


def toggle_source(session: Session, source_id: int) -> Source:
    """Switch a source on or off."""
    row = get_source_by_id(session, source_id)
    row.enabled = not row.enabled
    session.add(row)
    session.flush()
    return row
