"""The link archive pages (managers): the catalogue with filters, one link's history, its actions
(accept the new address, mark reviewed, save a copy now) and the saved copies.

Owns: the ``/archive`` and ``/snapshots`` pages. Statuses, their labels and which need a person
are the archive's (``archive.STATUS_LABELS``, ``archive.link_report``); a link's history and a
person's marks are :mod:`ecitizen.link_history`'s. Saved copies are shown only as text or
sanitised inside a sandboxed frame (``SANDBOX_CSP``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import archive, outcomes, textcodec
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.errors import EcitizenError, SourceError
from ecitizen.link_history import get_snapshot, link_history, mark_link_reviewed, note_link_event
from ecitizen.shell.web.common import core, manager_required
from ecitizen.storage import Link, Snapshot

bp = Blueprint("links", __name__)

#: the filter of the catalogue page that shows what the link report says needs a person
ATTENTION = "attention"


def links_page(app: App, status: str) -> tuple[list[Link], dict[str, int]]:
    """The links of one status (or those that need a person), and the count of every status."""
    with session_scope(app.engine) as s:
        report = archive.link_report(s, now=app.now())
        if status == ATTENTION:
            wanted = {a.link_id for a in report.needs_attention}
            rows = [link for link in archive.list_links(s) if link.id in wanted]
        else:
            rows = archive.list_links(s, status=status or None)
    return rows, report.counts


@bp.get("/archive")
@manager_required
def links() -> str:
    status = request.args.get("status", "")
    rows, by_status = links_page(core(), status)
    return render_template("links.html", rows=rows, status=status, by_status=by_status)


@bp.get("/archive/<int:link_id>")
@manager_required
def link_detail(link_id: int) -> str:
    with session_scope(core().engine) as s:
        h = link_history(s, link_id)
    return render_template("link_detail.html", link=h.link, checks=h.checks, events=h.events, snaps=h.snapshots,
                           event_labels=archive.ATTENTION_REASONS)


def accept_move(app: App, link_id: int, *, who: str) -> tuple[str, str]:
    """Replace a link's address by the proposed one (``archive.apply_moves``); (flash category, message)."""
    now = app.now()
    with session_scope(app.engine) as s:
        link = archive.get_link(s, link_id)
        if not link.proposed_url:
            return "warn", "Новый адрес не предложен."
        old_url = link.url
        moves = archive.apply_moves(s, now=now, urls=[old_url])
        if moves and moves[0].applied:
            note_link_event(s, link_id, kind="moved", at=now,
                            summary=f"Адрес заменён вручную ({who}): {old_url} → {moves[0].new_url}")
            return "ok", "Новый адрес принят; ссылка будет проверена при следующей проверке."
        reason = moves[0].reason if moves else ""
        return "warn", f"Адрес не заменён: {reason or 'нет предложенного адреса'}."


@bp.post("/archive/<int:link_id>/accept-move")
@manager_required
def link_accept_move(link_id: int) -> BaseResponse:
    category, message = accept_move(core(), link_id, who=g.user.name)
    flash(message, category)
    return redirect(url_for("links.link_detail", link_id=link_id))


@bp.post("/archive/<int:link_id>/reviewed")
@manager_required
def link_reviewed(link_id: int) -> BaseResponse:
    app = core()
    with session_scope(app.engine) as s:
        mark_link_reviewed(s, link_id, now=app.now())
    flash("Отмечено как просмотренное.", "ok")
    return redirect(url_for("links.link_detail", link_id=link_id))


@bp.post("/archive/<int:link_id>/snapshot")
@manager_required
def link_snapshot(link_id: int) -> BaseResponse:
    app = core()
    with session_scope(app.engine) as s:
        link = archive.get_link(s, link_id)
    try:
        archive.take_snapshot(app, link)
    except SourceError as exc:  # the page did not open: what that means, then the detail
        flash(f"Копия не сохранена. {outcomes.explain(exc.code)} Подробности: {exc}", "error")
    except EcitizenError as exc:
        flash(f"Копия не сохранена: {exc}", "error")
    else:
        flash("Копия страницы сохранена.", "ok")
    return redirect(url_for("links.link_detail", link_id=link_id))


# -- saved copies ----------------------------------------------------------------------------------


def _snapshot_file(snap: Snapshot, which: str) -> Path | None:
    rel = snap.text_path if which == "text" else snap.html_path
    if not rel:
        return None
    base = core().config.data_path.resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path




def decode_html(data: bytes) -> str:
    """A saved page's text, decoded by the one decoder (:func:`ecitizen.textcodec.decode_html`)."""
    return textcodec.decode_html(data).text


@bp.get("/snapshots/<int:snap_id>")
@manager_required
def snapshot_view(snap_id: int) -> str:
    with session_scope(core().engine) as s:
        snap = get_snapshot(s, snap_id)
    text_path = _snapshot_file(snap, "text")
    text = text_path.read_text(encoding="utf-8", errors="replace")[:300_000] if text_path else None
    if text is None:
        html_path = _snapshot_file(snap, "html")
        if html_path is not None:
            from ecitizen.html import html_to_text

            text = html_to_text(decode_html(html_path.read_bytes()[:4_000_000]))
    return render_template("snapshot.html", snap=snap, text=text,
                           has_html=_snapshot_file(snap, "html") is not None)


@bp.get("/snapshots/<int:snap_id>/frame")
@manager_required
def snapshot_frame(snap_id: int) -> BaseResponse:
    """The saved page, sanitised, served with a CSP sandbox (opaque origin, no scripts)."""
    from ecitizen.html import sanitize_html
    from ecitizen.shell.web import SANDBOX_CSP

    with session_scope(core().engine) as s:
        snap = get_snapshot(s, snap_id)
    path = _snapshot_file(snap, "html")
    if path is None:
        abort(404)
    clean = sanitize_html(decode_html(path.read_bytes()[:4_000_000]), base_url=snap.url)
    page = "<!doctype html><meta charset=utf-8><body>" + clean
    resp = Response(page, content_type="text/html; charset=utf-8")
    resp.headers["Content-Security-Policy"] = SANDBOX_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    resp.headers["Cache-Control"] = "no-store"
    return resp
