"""Jinja2 environments: built-in templates (``digest/templates/``) and library overrides.

- Autoescaping is on for ``.html``/``.xml``/``.htm`` (and off only for ``.txt``).
- A template present in ``outputs.templates_dir`` replaces the built-in one and is rendered in
  :class:`jinja2.sandbox.SandboxedEnvironment`. A broken override raises
  :class:`~ecitizen.errors.TemplateError` naming the template and the line; the built-in is never
  used instead.
- ``StrictUndefined``: a misspelt variable is an error, not an empty string.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ecitizen.dates import format_ru_date
from ecitizen.errors import TemplateError

BUILTIN_DIR = Path(__file__).parent / "templates"
#: escape everything except plain-text templates (and escape strings rendered from code too)
_AUTOESCAPE = jinja2.select_autoescape(
    enabled_extensions=("html", "htm", "xml", "svg"), disabled_extensions=("txt",),
    default_for_string=True, default=True,
)


def _filters(tz: Any) -> dict[str, Callable[..., Any]]:
    def ru_date(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(tz)
        return format_ru_date(value)

    def ru_datetime(value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        return f"{format_ru_date(local)}, {local:%H:%M}"

    return {"ru_date": ru_date, "ru_datetime": ru_datetime, "href": href, "sentence": sentence}


def sentence(text: str) -> str:
    """``text`` ending with a full stop, unless it already ends a sentence (``… 2026 г.``)."""
    text = (text or "").rstrip()
    return text if not text or text[-1] in ".!?…" else text + "."


def href(url: str | None) -> str:
    """``url`` when it is an http(s) address (safe in ``href``), else ``""``: a feed's
    ``javascript:`` link never becomes a link in a mail or on a page."""
    from urllib.parse import urlsplit

    value = (url or "").strip()
    try:
        return value if urlsplit(value).scheme in ("http", "https") and "//" in value else ""
    except ValueError:
        return ""


class Renderer:
    """Renders named templates; overrides from ``templates_dir`` win and run sandboxed."""

    def __init__(self, *, tz: Any, templates_dir: Path | None = None,
                 globals: Mapping[str, Any] | None = None) -> None:
        self.templates_dir = templates_dir
        builtin_loader = jinja2.FileSystemLoader(str(BUILTIN_DIR))
        self.builtin = jinja2.Environment(
            loader=builtin_loader, autoescape=_AUTOESCAPE, undefined=jinja2.StrictUndefined,  # noqa: S701 - select_autoescape
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
        self.override: SandboxedEnvironment | None = None
        if templates_dir is not None:
            # an override may {% extends %}/{% include %} a built-in by name; its own files win
            self.override = SandboxedEnvironment(
                loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(templates_dir)), builtin_loader]),
                autoescape=_AUTOESCAPE, undefined=jinja2.StrictUndefined,
                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            )
        for env in filter(None, (self.builtin, self.override)):
            env.filters.update(_filters(tz))
            env.globals.update(globals or {})

    def is_overridden(self, name: str) -> bool:
        return self.templates_dir is not None and (self.templates_dir / name).is_file()

    def render(self, name: str, **context: Any) -> str:
        overridden = self.is_overridden(name)
        env = self.override if overridden and self.override is not None else self.builtin
        where = f"{self.templates_dir / name}" if overridden and self.templates_dir else f"built-in template {name}"
        try:
            template = env.get_template(name)
            return template.render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {exc.filename or exc.name or where}, line {exc.lineno}: {exc.message}"
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template not found: {exc.name} (needed by {where})") from exc
        except Exception as exc:
            line, file = _template_line(exc, env)
            raise TemplateError(
                f"template {file or where}, line {line if line is not None else '?'}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc


def _template_line(exc: BaseException, env: jinja2.Environment) -> tuple[int | None, str | None]:
    """The last traceback frame that belongs to a template file (Jinja rewrites the frames)."""
    dirs: list[str] = []
    loader = env.loader
    loaders = loader.loaders if isinstance(loader, jinja2.ChoiceLoader) else [loader]
    for ld in loaders:
        if isinstance(ld, jinja2.FileSystemLoader):
            dirs.extend(str(Path(p).resolve()) for p in ld.searchpath)
    found: tuple[int | None, str | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        fname = str(Path(frame.filename).resolve()) if frame.filename else ""
        if any(fname.startswith(d) for d in dirs):
            found = (frame.lineno, frame.filename)
    return found
