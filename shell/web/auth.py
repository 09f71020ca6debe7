"""Signing in and out (the users, hashes and lockout rule are :mod:`ecitizen.shell.auth`'s).

Owns: the ``/login`` and ``/logout`` pages: the two throttles (per client address; per account and
address), a fresh server-side session on login (no session fixation; the cookie holds only its
token) ended on logout, and the "since your last visit" mark the dashboard reads.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen.shell.auth import TOO_MANY_TRIES, LoginRefusedError, authenticate, end_session, last_seen, start_session
from ecitizen.shell.web.common import core, limiter, safe_next, throttle

log = logging.getLogger("ecitizen.shell.web")
bp = Blueprint("auth", __name__)

@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    if request.method == "POST":
        app = core()
        now = app.now()
        address = request.remote_addr or "?"
        name = (request.form.get("name") or "").strip()
        password = request.form.get("password") or ""
        if not limiter().allowed(address, now=now) or not throttle().allowed(name, address, now=now):
            error, status = TOO_MANY_TRIES, 429  # the same for known and unknown names
        else:
            try:
                principal = authenticate(app.engine, name, password, now=now)
            except LoginRefusedError as exc:
                limiter().failed(address, now=now)
                throttle().failed(name, address, now=now)
                error, status = str(exc), 401
                log.warning("failed login for %r from %s", name[:40], address)
            else:
                prev_seen = last_seen(app.engine, principal.id)
                end_session(app.engine, session.get("sid"))
                session.clear()  # no session fixation
                session.permanent = True
                session["sid"] = start_session(app.engine, principal.id, now=now, address=address)
                session["prev_seen"] = prev_seen.isoformat() if prev_seen else None
                return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error, next=request.args.get("next", "")), status


@bp.post("/logout")
def logout() -> BaseResponse:
    end_session(core().engine, session.get("sid"))  # a copied cookie opens nothing afterwards
    session.clear()
    return redirect(url_for("auth.login"))
