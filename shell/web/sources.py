"""The sources pages (managers): the list with health, the add/edit form, on/off, "check now".

Owns: reading the form (:class:`SourceForm`; a crawler kind's settings are labelled fields
generated from its settings model, :mod:`.settings_form`) and :func:`save_source`, which hands it
to the one add/update operation of the core (:func:`ecitizen.sources.add_source` /
:func:`~ecitizen.sources.update_source`, with the feed reader's
:func:`~ecitizen.feeds.resolve_feed_url` for kind ``feed``); the refusals are shown in Russian
next to their fields. :func:`preview_source` is the form's «Проверить»: the page fetched through
the safe fetch (:func:`ecitizen.fetch.fetch_configured`, private targets refused) and read by the
crawler's own extraction (:func:`ecitizen.crawler.preview_entries`), before anything is saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import crawler, feeds, outcomes
from ecitizen.app import App
from ecitizen.config import HttpConfig
from ecitizen.db import session_scope
from ecitizen.errors import FetchError, UnsafeURLError
from ecitizen.fetch import FetchResult, fetch_configured, status_error
from ecitizen.shell import tasks
from ecitizen.shell.web.common import background, core, manager_required, service
from ecitizen.shell.web.settings_form import kind_fields, read_settings, settings_problems
from ecitizen.source_settings import CRAWLER_KINDS, KIND_LABELS, parse_source_settings
from ecitizen.sources import (
    FeedLookup,
    SavedSource,
    SourceInput,
    SourceProblem,
    SourceRefusedError,
    SourceRules,
    add_source,
    address_refusal,
    get_source_by_id,
    item_counts,
    list_sources,
    toggle_source,
    update_source,
)
from ecitizen.storage import Source
from ecitizen.urls import check_public_url

bp = Blueprint("sources", __name__)


def topics() -> list[tuple[str, str]]:
    return [(t.id, t.title) for t in core().config.topics]


@bp.get("/sources")
@manager_required
def sources() -> str:
    with session_scope(core().engine) as s:
        rows = list_sources(s)
        counts = item_counts(s)
    return render_template("sources.html", rows=rows, counts=counts, topics=topics())


# -- the form --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceForm:
    """The form's fields as the manager typed them."""

    name: str = ""
    url: str = ""
    kind: str = "feed"
    topics: list[str] = field(default_factory=list)
    interval: int | None = None
    enabled: bool = True
    #: the chosen kind's settings (read from its fields: only what differs from the defaults)
    settings: dict[str, Any] = field(default_factory=dict)
    #: the timezone the site writes its dates in (a stored source's; else the service's)
    timezone: str | None = None

    @classmethod
    def of_source(cls, src: Source) -> SourceForm:
        return cls(src.name, src.url, src.kind, list(src.topics), src.interval_minutes, src.enabled,
                   dict(src.settings), src.timezone)

    @classmethod
    def of_request(cls, f: MultiDict[str, str], *, timezone: str | None = None) -> SourceForm:
        kind = f.get("kind", "feed")
        return cls(
            name=(f.get("name") or "").strip()[:100], url=(f.get("url") or "").strip(), kind=kind,
            topics=f.getlist("topics"), interval=f.get("interval", type=int), enabled=f.get("enabled") == "1",
            settings=read_settings(kind, f), timezone=timezone,
        )


def save_source(app: App, source_id: int | None, form: SourceForm) -> SavedSource:
    """Add (``source_id`` None) or change a source from the form. Raises SourceRefusedError, NotFoundError."""
    cfg = app.config
    settings = form.settings if form.kind in CRAWLER_KINDS else {}
    rules = SourceRules.from_config(cfg)

    def find_feed(url: str) -> FeedLookup:
        return feeds.resolve_feed_url(url, cfg.http)

    with session_scope(app.engine) as s:
        if source_id is None:
            data = SourceInput(name=form.name, url=form.url, kind=form.kind, topics=tuple(form.topics),
                               settings=settings, interval_minutes=form.interval, enabled=form.enabled)
            return add_source(s, data, rules, origin="web", find_feed=find_feed)
        row = get_source_by_id(s, source_id)
        data = replace(SourceInput.from_row(row), name=form.name, url=form.url, kind=form.kind,
                       topics=tuple(form.topics), settings=settings, interval_minutes=form.interval,
                       enabled=form.enabled)
        return update_source(s, row, data, rules, find_feed=find_feed)


@dataclass(frozen=True)
class SourcePreview:
    """What «Проверить» found: the entries, or why the page could not be read (Russian)."""

    #: the address opened
    url: str
    preview: crawler.Preview | None = None
    #: the page did not open: the outcome's short name and plain explanation (``ecitizen.outcomes``)
    failure: str | None = None
    explanation: str = ""
    #: the technical detail (shown small)
    detail: str | None = None
    #: problems of the settings or the address, by field, to show next to the fields
    errors: dict[str, str] = field(default_factory=dict)


def _fetched(url: str, http: HttpConfig) -> FetchResult | SourcePreview:
    """The page, or a :class:`SourcePreview` saying in Russian why it did not open."""
    try:
        res = fetch_configured(url, http)
    except FetchError as exc:
        return SourcePreview(url, failure=outcomes.label(exc.code), explanation=outcomes.explain(exc.code),
                             detail=str(exc))
    if res.status >= 400:
        err = status_error(res.status, res.final_url or url)
        return SourcePreview(url, failure=outcomes.label(err.code), explanation=outcomes.explain(err.code),
                             detail=str(err))
    return res


def preview_source(app: App, form: SourceForm) -> SourcePreview:
    """Open the form's address as the crawler would and read it with the form's settings (nothing is
    saved). Settings with problems, a refused address or a page that does not open are answered in
    Russian; the entries are the crawler's own extraction (:func:`ecitizen.crawler.preview_entries`)."""
    cfg = app.config
    problems = settings_problems(form.kind, form.settings)
    if problems:
        return SourcePreview(form.url, errors={f"settings.{k}": v for k, v in problems.items()})
    try:
        url = check_public_url(form.url, allow_private=cfg.http.allow_private_targets)
    except UnsafeURLError:
        return SourcePreview(form.url, errors={"url": address_refusal(form.url)})
    settings = parse_source_settings(form.kind, form.settings)
    tz = ZoneInfo(form.timezone) if form.timezone else cfg.tz
    now = app.now()
    target = crawler.preview_url(form.kind, url, settings, now=now, tz=tz)
    got = _fetched(target, cfg.http)
    if isinstance(got, SourcePreview):
        return got
    found = crawler.preview_entries(form.kind, settings, got.body, got.final_url or target, charset=got.encoding,
                                    tz=tz, now=now)
    if found.follow:  # the list page only redirects by script: the crawler reads the target
        again = _fetched(found.follow, cfg.http)
        if isinstance(again, SourcePreview):
            return again
        followed = crawler.preview_entries(form.kind, settings, again.body, again.final_url or found.follow,
                                           charset=again.encoding, tz=tz, now=now, follow_redirect=False)
        found = replace(followed, notes=found.notes + followed.notes)
    errors = {}
    if found.problem and found.field:
        errors[f"settings.{found.field}"] = _field_hint(found)
    return SourcePreview(found.url, preview=found, errors=errors)


def _field_hint(found: crawler.Preview) -> str:
    """What to do, next to the setting a failed check names."""
    if found.bad_selector:
        return "Проверка: этот селектор записан с ошибкой — проверьте точки, скобки и кавычки."
    if found.field == "title" and found.matched:
        return "Проверка: записи нашлись, но заголовков по этому селектору в них нет — уточните его."
    return ("Проверка: по этой настройке на странице ничего не нашлось. Откройте страницу в браузере "
            "(правая кнопка мыши → «Просмотреть код») и уточните селектор.")


def _saved_message(saved: SavedSource) -> None:
    msg = f"Источник «{saved.source.name}» сохранён."
    if saved.lookup is not None and saved.lookup.feed_url and saved.source.feed_url:
        msg += f" Найдена лента: {saved.source.feed_url}"
    flash(msg, "ok")
    if saved.lookup is not None and saved.lookup.unreachable:
        flash("Адрес сейчас не открывается. Источник сохранён и будет проверен ещё раз; если ошибка не "
              f"пройдёт, она будет видна в списке источников. Подробности: {saved.lookup.unreachable}", "warn")


def _form_page(source_id: int | None) -> Any:
    app = core()
    errors: dict[str, list[str]] = {}
    preview: SourcePreview | None = None
    switched = None
    offer_kinds: tuple[str, ...] = ()
    status = 200
    stored_tz = None
    if source_id is not None:
        with session_scope(app.engine) as s:
            row = get_source_by_id(s, source_id)
            stored = SourceForm.of_source(row)
            stored_tz = row.timezone
    if request.method == "POST":
        form = SourceForm.of_request(request.form, timezone=stored_tz)
        action = request.form.get("action", "save")
        wanted = request.form.get("switch_kind")
        if wanted in CRAWLER_KINDS:  # «добавить как страницу»: the same form, another kind, nothing saved
            form = replace(form, kind=wanted, settings={})
            switched = wanted
        elif action == "preview":
            preview = preview_source(app, form)
            errors = {k: [v] for k, v in preview.errors.items()}
        else:
            problems = settings_problems(form.kind, form.settings) if form.kind in CRAWLER_KINDS else {}
            try:
                if problems:
                    raise SourceRefusedError([SourceProblem(f"settings.{k}", k, v) for k, v in problems.items()])
                saved = save_source(app, source_id, form)
            except SourceRefusedError as exc:
                errors = exc.russian()
                if feeds.NO_FEED in exc.problems:
                    offer_kinds = ("page", "listing")
                status = 400
            else:
                _saved_message(saved)
                return redirect(url_for("sources.sources"))
    else:
        form = stored if source_id is not None else SourceForm()
    setting_errors = {k.removeprefix("settings."): v[0] for k, v in errors.items() if k.startswith("settings.")}
    kind_forms = [kind_fields(k, form.settings if k == form.kind else None,
                              setting_errors if k == form.kind else None) for k in CRAWLER_KINDS]
    return render_template("source_form.html", form=form, errors=errors, source_id=source_id, topics=topics(),
                           kinds=KIND_LABELS, kind_forms=kind_forms, preview=preview, switched=switched,
                           offer_kinds=offer_kinds, checked_at=app.now()), status


@bp.route("/sources/new", methods=["GET", "POST"])
@manager_required
def source_new() -> Any:
    return _form_page(None)


@bp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
@manager_required
def source_edit(source_id: int) -> Any:
    return _form_page(source_id)


# -- actions ---------------------------------------------------------------------------------------


@bp.post("/sources/<int:source_id>/toggle")
@manager_required
def source_toggle(source_id: int) -> BaseResponse:
    with session_scope(core().engine) as s:
        src = toggle_source(s, source_id)
        flash(f"Источник «{src.name}» {'включён' if src.enabled else 'отключён'}.", "ok")
    return redirect(url_for("sources.sources"))


def check_source_body(app: App, name: str, kind: str) -> Callable[[threading.Event], dict[str, Any]]:
    """The "check now" job of one source: a forced poll of a feed, a crawl of anything else."""

    def body(stop: threading.Event) -> dict[str, Any]:
        if kind == "feed":
            report: Any = feeds.poll(app, names=[name], force=True)
        else:
            report = crawler.crawl(app, names=[name])
        return dict(tasks.report_counts(report))

    return body


@bp.post("/sources/<int:source_id>/check")
@manager_required
def source_check(source_id: int) -> BaseResponse:
    app = core()
    with session_scope(app.engine) as s:
        src = get_source_by_id(s, source_id)
        name, kind = src.name, src.kind
    background().submit(service().run_body, f"check_source:{name}", check_source_body(app, name, kind))
    flash(f"Проверка источника «{name}» запущена. Обновите страницу через минуту.", "ok")
    return redirect(url_for("sources.sources"))
