"""The review queue and the edit page of one item (librarians and managers).

Owns: the ``/review`` pages: filters and paging parsed from the request, the bulk and per-item
actions (:func:`ecitizen.queries.set_status`), a person's edit (:func:`ecitizen.queries.edit_item`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import digest
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.queries import ItemCursor, ItemFilter, edit_item, get_item, page_items, set_status
from ecitizen.shell.web.common import core, safe_next
from ecitizen.sources import source_names

bp = Blueprint("review", __name__)

PAGE_SIZE = 50
FILTER_STATUSES = ("new", "approved", "rejected", "all")
#: the per-item and bulk actions and the status each sets
ACTIONS = {"approve": "approved", "reject": "rejected", "reset": "new"}
DONE = {"approved": "Одобрено", "rejected": "Отклонено", "new": "Возвращено в очередь"}
#: how many titles a flash after a bulk action names
NAMED = 3


def topics() -> list[tuple[str, str]]:
    return [(t.id, t.title) for t in core().config.topics]


@bp.get("/review")
def review() -> str:
    args = request.args
    status = args.get("status", "new")
    if status not in FILTER_STATUSES:
        status = "new"
    flt = ItemFilter(
        status=None if status == "all" else status,
        topic=args.get("topic") or None,
        source=args.get("source") or None,
        new_services=args.get("new_services") == "1",
    )
    # keyset paging: ``after``/``before`` carry the position of the page's last/first item, so a
    # page deep in the archive costs what the first one does
    after, before = _cursor(args.get("after")), _cursor(args.get("before"))
    with session_scope(core().engine) as s:
        page = page_items(s, flt, limit=PAGE_SIZE, after=after, before=None if after else before)
        sources = source_names(s)
    return render_template(
        "review.html", rows=page.rows, status=status, topic=args.get("topic", ""),
        source=args.get("source", ""), new_services=flt.new_services, sources=sources,
        topics=topics(), topic_titles=dict(topics()),
        next_after=page.next_cursor.token() if page.next_cursor else None,
        prev_before=page.prev_cursor.token() if page.prev_cursor else None,
    )


def _cursor(token: str | None) -> ItemCursor | None:
    """A page position from the query string; a malformed one means the first page."""
    if not token:
        return None
    try:
        return ItemCursor.parse(token)
    except ValueError:
        return None


def _ids(values: list[str]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError:
            abort(400)
    return out


def review_items(app: App, ids: list[int], status: str, *, reviewer: str) -> list[str]:
    """Set the status of ``ids`` (:func:`ecitizen.queries.set_status`); the titles of those changed."""
    with session_scope(app.engine) as s:
        missing = set(set_status(s, ids, status, reviewer=reviewer, now=app.now()))
        titles = []
        for item_id in ids:
            if item_id not in missing:
                item, _ = get_item(s, item_id)
                titles.append(item.display_title or item.title)
    return titles


def done_message(status: str, titles: list[str]) -> str:
    """The flash after a review action, naming what was changed: «Одобрено: «Запись к врачу…».»."""
    def quoted(title: str) -> str:
        return f"«{title if len(title) <= 90 else title[:89] + '…'}»"

    if not titles:
        return f"{DONE[status]}: 0 (записи не найдены)."
    if len(titles) == 1:
        return f"{DONE[status]}: {quoted(titles[0])}."
    named = ", ".join(quoted(t) for t in titles[:NAMED])
    more = f" и ещё {len(titles) - NAMED}" if len(titles) > NAMED else ""
    return f"{DONE[status]}: {len(titles)} — {named}{more}."


@bp.post("/review/action")
def review_action() -> BaseResponse:
    action = request.form.get("action", "")
    ids = _ids(request.form.getlist("ids"))
    single = request.form.get("single")
    if single:  # the per-item buttons inside the bulk form: "approve:17"
        action, _, one = single.partition(":")
        ids = _ids([one])
    status = ACTIONS.get(action)
    if status is None:
        abort(400)
    if not ids:
        flash("Ничего не выбрано.", "warn")
    else:
        app = core()
        flash(done_message(status, review_items(app, ids, status, reviewer=g.user.name)), "ok")
    back = request.form.get("back")
    return redirect(safe_next(back) if back else url_for("review.review"))


#: the longest title and explanation kept; the poster shortens well before (digest.POSTER_*_MAX)
KEPT_TITLE, KEPT_TEXT = 300, 600


@bp.route("/review/<int:item_id>", methods=["GET", "POST"])
def item_edit(item_id: int) -> Any:
    app = core()
    known = dict(topics())
    # «Изменить материал» on the poster preview comes with the way back to it
    back = request.values.get("back")
    back = safe_next(back) if back else None
    if request.method == "POST":
        f = request.form
        decision = f.get("decision")
        title, text = (f.get("display_title") or "").strip(), (f.get("explanation") or "").strip()
        with session_scope(app.engine) as s:
            edit_item(
                s, item_id, display_title=title[:KEPT_TITLE], explanation=text[:KEPT_TEXT],
                topics=[t for t in f.getlist("topics") if t in known],
                decision=decision if decision in ("approved", "rejected", "new") else None,
                reviewer=g.user.name, now=app.now(),
            )
        flash("Сохранено.", "ok")
        for what, value, kept in (("Заголовок", title, KEPT_TITLE), ("Пояснение", text, KEPT_TEXT)):
            if len(value) > kept:
                flash(f"{what} длиннее {kept} знаков: сохранены первые {kept}.", "warn")
        return redirect(url_for("review.item_edit", item_id=item_id, back=back))
    with session_scope(app.engine) as s:
        item, source = get_item(s, item_id)
    return render_template("item_edit.html", item=item, source=source, topics=topics(), chosen=set(item.topic_ids()),
                           title_max=digest.POSTER_TITLE_MAX, text_max=digest.POSTER_TEXT_MAX, back=back)
