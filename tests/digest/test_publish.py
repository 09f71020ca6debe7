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
    poster = "poster-2026-11-cgb-tsentralnaya-gorodskaya-biblioteka.pdf"
    assert names == sorted(["feed.atom", "feed.rss", "feed.json", "widget.html", "widget.js", "links.html",
                            "results-2026.html", f"posters/{poster}", "index.html"])
    results = (out / "results-2026.html").read_text(encoding="utf-8")  # the programme's results page
    assert "2026" in results and "<svg" in results and "<script" not in results.lower()
    assert 'href="results-2026.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert atom_errors((out / "feed.atom").read_bytes()) == []
    assert jsonfeed_errors((out / "feed.json").read_bytes()) == []
    assert feedparser.parse((out / "feed.rss").read_bytes()).bozo == 0
    for name in ("feed.atom", "feed.rss", "feed.json", "widget.html"):
        body = (out / name).read_text(encoding="utf-8")
        assert "загранпаспорт" in body and "Не проверено" not in body
    links = (out / "links.html").read_text(encoding="utf-8")
    assert "Госуслуги" in links and "объяснение.рф" in links.lower() and "<b>&" not in links
    assert (out / "posters" / poster).read_bytes().startswith(b"%PDF")
    (out / "posters" / "poster-2026-10-cgb.pdf").write_bytes(b"%PDF old month")
    before = {p: p.read_bytes() for p in paths}
    publish(app, out_dir=out)  # idempotent: same bytes
    assert {p: p.read_bytes() for p in paths} == before
    assert not [p for p in out.rglob("*.tmp")]
    assert [p.name for p in (out / "posters").iterdir()] == [poster]  # the latest only


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
    assert [Path(p).suffix for p in json.loads(r.output)["files"]] == [".html", ".pdf"]
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


@pytest.mark.parametrize(("today", "years"), [((2026, 1, 10), [2025, 2026]), ((2026, 2, 1), [2026]),
                                              ((2026, 12, 31), [2026])])
def test_results_pages_of_this_year_and_in_january_the_last(today: tuple[int, int, int], years: list[int]) -> None:
    from datetime import datetime

    from ecitizen.digest.publish import results_years

    assert results_years(datetime(*today, 12)) == years


def test_publish_in_january_writes_both_years(make_app, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    clock.t = datetime(2027, 1, 9, 3, tzinfo=UTC)  # 9 January in Omsk
    app = make_app()
    names = {p.name for p in publish(app, out_dir=tmp_path / "site")}
    assert {"results-2026.html", "results-2027.html"} <= names
    assert "2026" in (tmp_path / "site" / "results-2026.html").read_text(encoding="utf-8")
