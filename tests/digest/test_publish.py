"""``publish`` and the CLI commands: the static files the website embeds."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.digest.poster import make_posters
from ecitizen.digest.publish import publish
from ecitizen.digest.validate import atom_errors, jsonfeed_errors
from ecitizen.pipeline import EntryData
from ecitizen.shell.cli import main
from ecitizen.storage import Link
from tests.conftest import base_config_data
from tests.digest.conftest import add_items, nov, sample_entries


def _links(app: App) -> None:
    with session_scope(app.engine) as s:
        s.add(Link(url="https://www.gosuslugi.ru/", title="Госуслуги", category="Госуслуги", status="ok"))
        s.add(Link(url="https://xn--80ajghhoc2aj1c8b.xn--p1ai/", title="Объяснение.рф <b>&</b>", status="ok"))


@pytest.mark.slow
def test_publish_writes_everything_from_approved_items(app: App, tmp_path: Path) -> None:
    add_items(app, "gosuslugi-news", sample_entries())
    add_items(app, "pending", [EntryData(url="https://example.org/p", title="Не проверено", published_at=nov(20))],
              approve=False)
    _links(app)
    make_posters(app, month="2026-11", library="cgb")  # into outputs.out_dir/posters/2026-11
    out = tmp_path / "site"
    paths = publish(app, out_dir=out)
    names = sorted(p.relative_to(out).as_posix() for p in paths)
    assert names == sorted(["feed.atom", "feed.rss", "feed.json", "widget.html", "widget.js", "links.html",
                            "posters/poster-2026-11-cgb.pdf", "index.html"])
    assert atom_errors((out / "feed.atom").read_bytes()) == []
    assert jsonfeed_errors((out / "feed.json").read_bytes()) == []
    assert feedparser.parse((out / "feed.rss").read_bytes()).bozo == 0
    for name in ("feed.atom", "feed.rss", "feed.json", "widget.html"):
        body = (out / name).read_text(encoding="utf-8")
        assert "загранпаспорт" in body and "Не проверено" not in body
    links = (out / "links.html").read_text(encoding="utf-8")
    assert "Госуслуги" in links and "объяснение.рф" in links.lower() and "<b>&" not in links
    assert (out / "posters" / "poster-2026-11-cgb.pdf").read_bytes().startswith(b"%PDF")
    (out / "posters" / "poster-2026-10-cgb.pdf").write_bytes(b"%PDF old month")
    before = {p: p.read_bytes() for p in paths}
    publish(app, out_dir=out)  # idempotent: same bytes
    assert {p: p.read_bytes() for p in paths} == before
    assert not [p for p in out.rglob("*.tmp")]
    assert [p.name for p in (out / "posters").iterdir()] == ["poster-2026-11-cgb.pdf"]  # the latest only


@pytest.mark.slow
def test_cli_commands(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from ecitizen.config import parse_config

    app = App(config=parse_config(data, base_dir=str(tmp_path)))
    add_items(app, "s", sample_entries())
    run = CliRunner()
    r = run.invoke(main, ["poster", "--config", str(cfg), "--month", "2026-11", "--library", "pushkin-branch",
                          "--out", str(tmp_path / "p"), "--json"])
    assert r.exit_code == 0, r.output
    assert [Path(p).suffix for p in json.loads(r.output)] == [".html", ".pdf"]
    r = run.invoke(main, ["poster", "--config", str(cfg), "--month", "2026-11", "--library", "nowhere"])
    assert r.exit_code == 1 and "nowhere" in r.output
    r = run.invoke(main, ["media-note", "--config", str(cfg), "--month", "2026-11", "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m" / "media-2026-11.docx").is_file()
    r = run.invoke(main, ["media-note", "--config", str(cfg), "--year", "2026", "--month", "2026-11"])
    assert r.exit_code == 2
    r = run.invoke(main, ["publish", "--config", str(cfg), "--out", str(tmp_path / "site"), "--json"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "site" / "feed.json").is_file()
    r = run.invoke(main, ["publish", "--config", str(cfg)])
    assert r.exit_code == 2  # --out is required
