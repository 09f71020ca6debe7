"""The staff pages keep no vocabularies and no queries of their own.

* the dashboard's "links that need a person" is the archive's link report, to the number;
* ``shell/web`` has no ``select(`` and imports no query builder (views call the core and domains);
* every section is its own blueprint, and the old paths answer under the new endpoint names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from ecitizen import archive
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.storage import Link, LinkEvent

WEB = Path(__file__).resolve().parents[2] / "shell" / "web"
QUERY_BUILDERS = ("sqlmodel", "sqlalchemy")


def add_links(app: App) -> None:
    now = app.now()
    with session_scope(app.engine) as s:
        for i, status in enumerate(("ok", "redirected", "moved", "broken", "soft_404", "tls_error", "timeout")):
            s.add(Link(url=f"https://www.gosuslugi.ru/help/{i}", title=f"Ссылка {status}", status=status,
                       status_since=now, proposed_url="https://www.gosuslugi.ru/new" if status == "moved" else None))
        s.flush()
        [ok] = archive.list_links(s, status="ok")
        s.add(LinkEvent(link_id=ok.id, at=now, kind="changed", summary="текст изменился", diff_text="- a\n+ b"))


def test_dashboard_needs_a_person_is_the_link_report(manager: FlaskClient, app: App) -> None:
    add_links(app)
    with session_scope(app.engine) as s:
        report = archive.link_report(s, now=app.now())
    expected = len(report.needs_attention)
    # moved, broken, soft_404, tls_error and the changed page; not redirected (it works), not a timeout
    assert expected == 5
    assert {a.status for a in report.needs_attention} == {"moved", "broken", "soft_404", "tls_error", "changed"}
    page = manager.get("/").get_data(as_text=True)
    m = re.search(r'id="links-need"><strong>(\d+)</strong>', page)
    assert m and int(m.group(1)) == expected
    for a in report.needs_attention:
        assert a.reason in page
    # the catalogue's "needs attention" filter lists the same links
    listing = manager.get("/archive?status=attention").get_data(as_text=True)
    wanted = {a.title for a in report.needs_attention}
    shown = set(re.findall(r">(Ссылка \w+)</a>", listing))
    assert shown == wanted
    # labels come from the archive's vocabulary
    assert archive.STATUS_LABELS["tls_error"] in manager.get("/archive").get_data(as_text=True)


def test_web_modules_have_no_queries() -> None:
    offenders = []
    for path in sorted(WEB.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "select(" in text:
            offenders.append(f"{path.name}: select(")
        for node in ast.walk(ast.parse(text)):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            offenders += [f"{path.name}:{node.lineno}: imports {m}" for m in modules
                          if m.split(".")[0] in QUERY_BUILDERS]
    assert WEB.joinpath("dashboard.py").is_file()
    assert not offenders, offenders


def test_one_blueprint_per_section(web: Flask) -> None:
    assert {"auth", "dashboard", "review", "sources", "links", "outputs", "runs", "public"} <= set(web.blueprints)
    rules = {r.rule: r.endpoint for r in web.url_map.iter_rules()}
    for path, endpoint in {
        "/login": "auth.login", "/logout": "auth.logout", "/": "dashboard.dashboard", "/review": "review.review",
        "/review/<int:item_id>": "review.item_edit", "/sources/new": "sources.source_new",
        "/archive": "links.links", "/snapshots/<int:snap_id>/frame": "links.snapshot_frame",
        "/outputs": "outputs.outputs", "/runs": "runs.runs", "/runs/start": "runs.runs_start",
    }.items():
        assert rules[path] == endpoint


def test_a_missing_row_is_a_404(manager: FlaskClient) -> None:
    for path in ("/review/999", "/sources/999/edit", "/archive/999", "/snapshots/999"):
        assert manager.get(path).status_code == 404, path
