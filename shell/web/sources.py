"""The sources pages (managers): the list with health, the add/edit form, on/off, "check now".

Owns: reading the form (:class:`SourceForm`) and :func:`save_source`, which hands it to the one
add/update operation of the core (:func:`ecitizen.sources.add_source` /
:func:`~ecitizen.sources.update_source`, with the feed reader's
:func:`~ecitizen.feeds.resolve_feed_url` for kind ``feed``); the refusals are shown in Russian
next to their fields.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import crawler, feeds
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.shell import tasks
from ecitizen.shell.web.common import background, core, manager_required, service
from ecitizen.source_settings import KIND_LABELS
from ecitizen.sources import (
    FeedLookup,
    SavedSource,
    SourceInput,
    SourceRefusedError,
    SourceRules,
    add_source,
    get_source_by_id,
    item_counts,
    list_sources,
    parse_settings_text,
    settings_text,
    toggle_source,
    update_source,
)
from ecitizen.storage import Source

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
    #: the kind-specific settings as YAML or JSON text
    settings: str = ""

    @classmethod
    def of_source(cls, src: Source) -> SourceForm:
        return cls(src.name, src.url, src.kind, list(src.topics), src.interval_minutes, src.enabled,
                   settings_text(src.settings))

    @classmethod
    def of_request(cls, f: MultiDict[str, str]) -> SourceForm:
        return cls(
            name=(f.get("name") or "").strip()[:100], url=(f.get("url") or "").strip(), kind=f.get("kind", "feed"),
            topics=f.getlist("topics"), interval=f.get("interval", type=int), enabled=f.get("enabled") == "1",
            settings=f.get("settings") or "",
        )


def save_source(app: App, source_id: int | None, form: SourceForm) -> SavedSource:
    """Add (``source_id`` None) or change a source from the form. Raises SourceRefusedError, NotFoundError."""
    cfg = app.config
    settings = parse_settings_text(form.settings)
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


def _saved_message(saved: SavedSource) -> None:
    msg = "Источник сохранён."
    if saved.lookup is not None and saved.lookup.feed_url and saved.source.feed_url:
        msg += f" Найдена лента: {saved.source.feed_url}"
    flash(msg, "ok")
    if saved.lookup is not None and saved.lookup.unreachable:
        flash(f"Адрес сейчас не открывается ({saved.lookup.unreachable}). Источник сохранён; "
              "если ошибка не пройдёт, она будет видна в списке источников.", "warn")


def _form_page(source_id: int | None) -> Any:
    app = core()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = SourceForm.of_request(request.form)
        try:
            saved = save_source(app, source_id, form)
        except SourceRefusedError as exc:
            errors = exc.russian()
        else:
            _saved_message(saved)
            return redirect(url_for("sources.sources"))
    elif source_id is not None:
        with session_scope(app.engine) as s:
            form = SourceForm.of_source(get_source_by_id(s, source_id))
    else:
        form = SourceForm()
    return render_template("source_form.html", form=form, errors=errors, source_id=source_id, topics=topics(),
                           kinds=KIND_LABELS), (400 if errors else 200)


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
