"""The public pages under the file names ``publish`` writes: ``/widget.html`` and ``/links.html``.

The README and the published folder name them so; a librarian who pastes such an address into
the browser gets the same bytes as ``/widget`` and ``/links`` (served, cached and headed by
:func:`ecitizen.shell.web.public.serve`), not a login page. Public like every ``public.*`` page
(:data:`ecitizen.shell.web.common.PUBLIC_BLUEPRINTS`).
"""

from __future__ import annotations

from flask import Blueprint, Response

from ecitizen.shell.web.public import serve

bp = Blueprint("published", __name__)


@bp.get("/widget.html")
def widget_html() -> Response:
    return serve("widget", frameable=True)


@bp.get("/links.html")
def links_html() -> Response:
    return serve("links")
