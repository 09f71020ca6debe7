"""Templates: autoescaping, library overrides in the sandbox, clear errors, no silent fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ecitizen.app import App
from ecitizen.digest.media import make_media_note
from ecitizen.digest.poster import make_posters
from ecitizen.digest.render import Renderer
from ecitizen.digest.weekly import make_weekly
from ecitizen.errors import TemplateError
from tests.digest.conftest import add_items, sample_entries

OMSK = "Asia/Omsk"


def _renderer(tmp_path: Path, files: dict[str, str]) -> Renderer:
    from zoneinfo import ZoneInfo

    tdir = tmp_path / "templates"
    tdir.mkdir(exist_ok=True)
    for name, body in files.items():
        (tdir / name).write_text(body, encoding="utf-8")
    return Renderer(tz=ZoneInfo(OMSK), templates_dir=tdir)


def test_override_wins_and_is_autoescaped(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"widget.html": "<p>{{ feed_title }}</p>"})
    assert r.render("widget.html", feed_title="<b>&</b>") == "<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"
    assert r.is_overridden("widget.html") and not r.is_overridden("poster.html")


def test_text_templates_are_not_html_escaped(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"weekly.txt": "{{ x }}"})
    assert r.render("weekly.txt", x="a & <b>") == "a & <b>"


@pytest.mark.parametrize(("body", "line", "what"), [
    ("<p>ok</p>\n<p>{% if %}</p>\n", 2, "syntax"),
    ("<p>ok</p>\n\n<p>{{ missing_variable }}</p>\n", 3, "undefined"),
    ("<p>\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n</p>", 2, "sandbox"),
    ("{% extends 'nonexistent.html' %}", None, "not found"),
])
def test_a_broken_override_names_template_and_line(tmp_path: Path, body: str, line: int | None, what: str) -> None:
    r = _renderer(tmp_path, {"widget.html": body})
    with pytest.raises(TemplateError) as exc:
        r.render("widget.html", feed_title="t", items=[])
    msg = str(exc.value)
    assert "widget.html" in msg, what
    if line is not None:
        assert f"line {line}" in msg, msg


def test_the_sandbox_blocks_unsafe_attribute_access(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"widget.html": "{{ obj.__class__.__init__.__globals__ }}"})
    with pytest.raises(TemplateError, match=r"unsafe|SecurityError"):
        r.render("widget.html", obj=object())


def test_broken_override_is_not_replaced_by_the_builtin(make_app: Callable[..., App], tmp_path: Path) -> None:
    tdir = tmp_path / "lib-templates"
    tdir.mkdir()
    (tdir / "poster.html").write_text("<html>\n<body>\n{{ library.name }\n</body>\n</html>\n", encoding="utf-8")
    (tdir / "media.html").write_text("<h1>{{ note.headline|upper }}</h1>{{ note.nonexistent_field }}",
                                     encoding="utf-8")
    app = make_app(outputs={"templates_dir": str(tdir)})
    add_items(app, "s", sample_entries())
    out = tmp_path / "out"
    with pytest.raises(TemplateError, match=r"poster\.html.*line 3"):
        make_posters(app, month="2026-11", library="cgb", out_dir=out)
    assert not out.exists() or not list(out.glob("*.pdf"))  # nothing written
    with pytest.raises(TemplateError, match=r"media\.html.*line 1"):
        make_media_note(app, month="2026-11", out_dir=out)
    # a template that is not overridden still comes from the built-ins
    assert make_weekly(app, week="2026-W45", out_dir=out).html_path.is_file()


def test_a_working_override_is_used(make_app: Callable[..., App], tmp_path: Path) -> None:
    tdir = tmp_path / "lib-templates"
    tdir.mkdir()
    (tdir / "weekly.txt").write_text("Сводка {{ d.period.key }}: {{ d.counts['items'] }} {{ programme_name }}\n",
                                     encoding="utf-8")
    app = make_app(outputs={"templates_dir": str(tdir)})
    result = make_weekly(app, week="2026-W45", out_dir=tmp_path / "o")
    assert result.text_path.read_text(encoding="utf-8") == "Сводка 2026-W45: 0 Компетентный е-гражданин\n"


def test_an_override_cannot_make_the_poster_fetch_from_the_network(
    make_app: Callable[..., App], tmp_path: Path, server  # type: ignore[no-untyped-def]
) -> None:
    tdir = tmp_path / "lib-templates"
    tdir.mkdir()
    (tdir / "poster.html").write_text(
        f'<html><body><img src="{server.url("/logo.png")}"><p>{{{{ library.name }}}}</p>'
        f'<link rel="stylesheet" href="{server.url("/x.css")}"></body></html>', encoding="utf-8")
    app = make_app(outputs={"templates_dir": str(tdir)})
    add_items(app, "s", sample_entries())
    paths = make_posters(app, month="2026-11", library="cgb", out_dir=tmp_path / "o")
    assert paths[1].read_bytes().startswith(b"%PDF")
    assert server.requests_to("/logo.png") == [] and server.requests_to("/x.css") == []
