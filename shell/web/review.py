"""The review queue and the edit page of one item (librarians and managers).

Owns: the ``/review`` pages: filters and paging parsed from the request, the bulk and per-item
actions (:func:`ecitizen.queries.set_status`), a person's edit (:func:`ecitizen.queries.edit_item`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen.db import session_scope
from ecitizen.queries import ItemFilter, edit_item, get_item, list_items, set_status
from ecitizen.shell.web.common import core, safe_next
from ecitizen.sources import source_names

bp = Blueprint("review", __name__)

PAGE_SIZE = 50
FILTER_STATUSES = ("new", "approved", "rejected", "all")
#: the per-item and bulk actions and the status each sets
ACTIONS = {"approve": "approved", "reject": "rejected", "reset": "new"}
DONE = {"approved": "Одобрено: {n}.", "rejected": "Отклонено: {n}.", "new": "Возвращено в очередь: {n}."}


def topics() -> list[tuple[str, str]]:
    return [(t.id, t.title) for t in core().config.topics]


@bp.get("/review")
def review() -> str:
    args = request.args
    status = args.get("status", "new")
    if status not in FILTER_STATUSES:
        status = "new"
    page = max(1, args.get("page", 1, type=int) or 1)
    flt = ItemFilter(
        status=None if status == "all" else status,
        topic=args.get("topic") or None,
        source=args.get("source") or None,
        new_services=args.get("new_services") == "1",
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    with session_scope(core().engine) as s:
        rows = list_items(s, flt)
        sources = source_names(s)
    return render_template(
        "review.html", rows=rows[:PAGE_SIZE], status=status, topic=args.get("topic", ""),
        source=args.get("source", ""), new_services=flt.new_services, sources=sources,
        topics=topics(), topic_titles=dict(topics()), page=page, has_next=len(rows) > PAGE_SIZE,
    )


def _ids(values: list[str]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError:
            abort(400)
    return out


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
        with session_scope(app.engine) as s:
            missing = set_status(s, ids, status, reviewer=g.user.name, now=app.now())
        flash(DONE[status].format(n=len(ids) - len(missing)), "ok")
    back = request.form.get("back")
    return redirect(safe_next(back) if back else url_for("review.review"))


@bp.route("/review/<int:item_id>", methods=["GET", "POST"])
def item_edit(item_id: int) -> Any:
    app = core()
    known = dict(topics())
    if request.method == "POST":
        f = request.form
        decision = f.get("decision")
        with session_scope(app.engine) as s:
            edit_item(
                s, item_id, display_title=(f.get("display_title") or "").strip()[:300],
                explanation=(f.get("explanation") or "").strip()[:600],
                topics=[t for t in f.getlist("topics") if t in known],
                decision=decision if decision in ("approved", "rejected", "new") else None,
                reviewer=g.user.name, now=app.now(),
            )
        flash("Сохранено.", "ok")
        return redirect(url_for("review.item_edit", item_id=item_id))
    with session_scope(app.engine) as s:
        item, source = get_item(s, item_id)
    return render_template("item_edit.html", item=item, source=source, topics=topics(), chosen=set(item.topic_ids()))
