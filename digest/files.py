"""Writing outputs: atomically (``ecitizen.files.write_atomic``), with cached renderers."""

from __future__ import annotations

import threading
from pathlib import Path

from ecitizen.config import Config
from ecitizen.digest.render import Renderer

_renderers: dict[tuple[str, ...], Renderer] = {}
_lock = threading.Lock()


def renderer_for(config: Config) -> Renderer:
    """One :class:`Renderer` per distinct settings (compiled templates are reused; Jinja2 reloads a
    changed override file by its modification time)."""
    o = config.outputs
    tdir = config.path(o.templates_dir) if o.templates_dir else None
    glob = {
        "programme_name": o.programme_name,
        "organisation": o.organisation,
        "public_base_url": o.public_base_url.rstrip("/"),
        "media_contact": o.media_contact,
    }
    key = (str(tdir), config.timezone, *glob.values())
    with _lock:
        renderer = _renderers.get(key)
        if renderer is None:
            renderer = _renderers[key] = Renderer(tz=config.tz, templates_dir=tdir, globals=glob)
        return renderer


def out_dir_for(config: Config, out_dir: Path | None, *parts: str) -> Path:
    base = Path(out_dir) if out_dir is not None else config.path(config.outputs.out_dir)
    return base.joinpath(*parts)
