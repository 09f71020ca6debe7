"""What every staff page shares: the app context, the signed-in user, roles, template helpers.

Owns: :func:`core` (the :class:`~ecitizen.app.App` of the Flask app), the per-address login
limiter, the small thread pool for "check now" jobs, loading the signed-in user before each request
(and sending everyone else to the login page), :func:`manager_required`, :func:`safe_next`, the
``ru_dt`` filter and the names every template sees. :func:`install` wires them into the app.

Vocabularies are imported from their owners (link statuses: ``ecitizen.archive``; source kinds:
``ecitizen.source_settings``; source outcome codes: ``ecitizen.outcomes``; review statuses:
``ecitizen.queries``; job-run states and count names: ``ecitizen.shell.jobs``), never copied here.
Must not import sqlmodel/sqlalchemy query builders: the pages call functions of the core and the
domains (``tests/service/test_web_views.py`` checks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from ecitizen import archive, outcomes
from ecitizen.app import App
from ecitizen.queries import ITEM_STATUS_LABELS
from ecitizen.russian import plural
from ecitizen.shell import jobs, tasks
from ecitizen.shell.auth import AddressLimiter, LoginThrottle, session_principal
from ecitizen.source_settings import KIND_LABELS

F = TypeVar("F", bound=Callable[..., Any])

#: pages anyone may open (plus every endpoint of the public blueprints, :data:`PUBLIC_BLUEPRINTS`)
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
#: blueprints whose every endpoint is public (feeds, widget, link catalogue, and their ``.html`` names)
PUBLIC_BLUEPRINTS = ("public.", "published.")


def core() -> App:
    return cast(App, current_app.extensions["ecitizen"])


def limiter() -> AddressLimiter:
    lim = current_app.extensions.get("ecitizen_limiter")
    if lim is None:
        lim = current_app.extensions["ecitizen_limiter"] = AddressLimiter()
    return cast(AddressLimiter, lim)


def background() -> ThreadPoolExecutor:
    """A small thread pool for "check now" jobs (shut down by the server at exit)."""
    ex = current_app.extensions.get("ecitizen_background")
    if ex is None:
        ex = current_app.extensions["ecitizen_background"] = ThreadPoolExecutor(2, thread_name_prefix="check-now")
    return cast(ThreadPoolExecutor, ex)


def service() -> Any:
    """The scheduler's :class:`~ecitizen.shell.scheduler.Service` that runs "check now" jobs."""
    return current_app.extensions["ecitizen_service"]


def manager_required(f: F) -> F:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None or not g.user.is_manager:
            abort(403)
        return f(*args, **kwargs)

    return cast(F, wrapper)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the dashboard (no open redirects)."""
    if not target:
        return url_for("dashboard.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.dashboard")
    return target


def here() -> str:
    return request.full_path if request.query_string else request.path


# -- the signed-in user (users and sessions are ecitizen.shell.auth's) ----------------------------------


def throttle() -> LoginThrottle:
    """Failed logins per (account, client address): see :class:`~ecitizen.shell.auth.LoginThrottle`."""
    th = current_app.extensions.get("ecitizen_throttle")
    if th is None:
        th = current_app.extensions["ecitizen_throttle"] = LoginThrottle()
    return cast(LoginThrottle, th)


def load_user() -> Any:
    g.user = None
    token = session.get("sid")
    if token is not None:
        app = core()
        g.user = session_principal(app.engine, token, now=app.now())
        if g.user is None:
            session.clear()
    endpoint = request.endpoint or ""
    if endpoint.startswith(PUBLIC_BLUEPRINTS) or endpoint in PUBLIC_ENDPOINTS or endpoint == "":
        return None
    if g.user is None:
        return redirect(url_for("auth.login", next=here() if request.method == "GET" else None))
    return None


# -- templates -------------------------------------------------------------------------------------


def ru_dt(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(core().config.tz)
    return local.strftime("%d.%m.%Y %H:%M")


def run_counts(counts: Mapping[str, Any] | None) -> tuple[jobs.CountLine, ...]:
    """A run's counts with Russian names and local times (:func:`ecitizen.shell.jobs.describe_counts`)."""
    return jobs.describe_counts(counts, when=ru_dt)


def template_globals() -> dict[str, Any]:
    return {"me": g.get("user"), "ITEM_STATUS_LABELS": ITEM_STATUS_LABELS,
            "LINK_STATUS_LABELS": archive.STATUS_LABELS, "LINK_STATUS_EXPLANATIONS": archive.STATUS_EXPLANATIONS,
            "NEEDS_PERSON": archive.NEEDS_PERSON, "RUN_OUTCOME_LABELS": jobs.RUN_OUTCOME_LABELS,
            "shown_outcome": jobs.shown_outcome, "run_counts": run_counts, "shown_error": jobs.shown_error,
            "outcome_label": outcomes.label, "outcome_explain": outcomes.explain,
            "is_failure": outcomes.is_failure, "KIND_LABELS": KIND_LABELS, "job_title": tasks.job_title,
            "plural": plural}


def install(web: Flask) -> None:
    """Load the user before every request; the ``ru_dt`` filter and the shared names in templates."""
    web.before_request(load_user)
    web.add_template_filter(ru_dt, "ru_dt")
    web.context_processor(template_globals)
