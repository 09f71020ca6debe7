"""Commands of the running service: ``ecitizen run``, ``ecitizen demo``, ``ecitizen users``.

A thin loop over :mod:`ecitizen.shell.server`, :mod:`ecitizen.shell.demo` and
:mod:`ecitizen.shell.auth`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from ecitizen.shell.cli.base import command, config_option, emit_json, get_app, iso, json_option


def parse_roles(values: tuple[str, ...]) -> frozenset[str] | None:
    """``--role a --role b,c`` → the set of roles; None when no role is given (today's process)."""
    from ecitizen.shell.server import ROLES

    if not values:
        return None
    roles = {r.strip() for v in values for r in v.split(",") if r.strip()}
    unknown = sorted(roles - set(ROLES))
    if unknown or not roles:
        raise click.BadParameter(f"unknown role {', '.join(unknown) or '(empty)'}; roles: {', '.join(ROLES)}",
                                 param_hint="--role")
    return frozenset(roles)


@click.command("run")
@config_option
@click.option("--host", default=None, help="Web interface address (default: web.host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Web interface port (default: web.port).")
@click.option("--no-web", is_flag=True, help="Only the scheduler, no web interface.")
@click.option("--no-scheduler", is_flag=True, help="Only the web interface, no scheduled jobs.")
@click.option("--role", "role_values", multiple=True, metavar="ROLE",
              help="scheduler, worker or web; repeat or separate with commas. Without it: one process that "
                   "runs every job itself and serves the web, as always. With roles on PostgreSQL: distributed "
                   "mode, one scheduler enqueues units of work, workers on any machine run them "
                   "(docs/deploy.md).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Worker: units run at the same time.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["network", "files"]),
              help="Worker: take units only from this queue (repeatable; default: both). 'files' units write "
                   "outputs into the data folder: run them on the machine that keeps it.")
@click.option("--lease", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds without a heartbeat after which a worker counts as gone and its units are run "
                   "by the others.")
@click.option("--name", "worker", default=None, help="This process in the job log (default: host:pid).")
@click.option("--trusted-proxy", default=None, metavar="ADDRESS",
              help="The reverse proxy's address (e.g. 127.0.0.1): the client's address and https are taken "
                   "from its X-Forwarded-For and X-Forwarded-Proto headers.")
def run_cmd(host: str | None, port: int | None, no_web: bool, no_scheduler: bool, role_values: tuple[str, ...],
            concurrency: int, queues: tuple[str, ...], lease: float, worker: str | None,
            trusted_proxy: str | None) -> None:
    """Run the service: scheduled jobs and the web interface, until SIGTERM or Ctrl-C."""
    from ecitizen.shell.server import run_service

    roles = parse_roles(role_values)
    if roles is not None and (no_web or no_scheduler):
        raise click.UsageError("--role replaces --no-web and --no-scheduler: give the roles to run")
    app = get_app()
    app.config  # noqa: B018 - validate before starting anything
    queue = None
    if roles is not None and app.engine.dialect.name == "postgresql":
        from ecitizen.shell.distributed import QueueSettings

        queue = QueueSettings(concurrency=concurrency, lease=lease, queues=tuple(dict.fromkeys(queues)))
        if worker:
            queue = replace(queue, name=worker)
    run_service(app, host=host, port=port, web=not no_web, scheduler=not no_scheduler, roles=roles, queue=queue,
                trusted_proxy=trusted_proxy)


@click.command("demo")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Web interface port.")
@click.option("--dir", "demo_dir", type=click.Path(file_okay=False), default="data/demo", show_default=True,
              help="Where the demo config, database and outputs go.")
@click.option("--no-serve", "--cycle-only", "cycle_only", is_flag=True,
              help="Run the demo cycle, print the summary and exit (tests, CI).")
@json_option
def demo_cmd(port: int, demo_dir: str, cycle_only: bool, as_json: bool) -> None:
    """Offline demo: a local sample portal, one full cycle, then the web interface."""
    from ecitizen.shell.demo import run_demo

    run_demo(demo_dir=demo_dir, port=port, serve=not cycle_only, as_json=as_json)


@click.group("users")
def users_group() -> None:
    """Staff accounts of the web interface."""


@command(users_group, "add")
@click.argument("name")
@click.option("--role", type=click.Choice(["manager", "librarian"]), default="librarian", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--library", "library_id", default=None, help="A librarian's library (id from 'libraries list').")
def users_add(name: str, role: str, password_stdin: bool, library_id: str | None) -> None:
    """Create a user (or set a new password and role). The password is stored hashed."""
    from ecitizen.db import session_scope
    from ecitizen.shell.auth import add_user

    if password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = get_app()
    with session_scope(app.engine) as session:
        _user, created = add_user(session, name, password, role=role)
        if library_id is not None:
            from ecitizen.programme import set_user_library

            set_user_library(session, name, library_id)
    click.echo(f"{'created' if created else 'updated'} user {name} ({role})")


@command(users_group, "list")
@json_option
def users_list(as_json: bool) -> None:
    """List users with their role and last login."""
    from ecitizen.db import session_scope
    from ecitizen.shell.auth import staff

    app = get_app()
    with session_scope(app.engine) as session:
        rows = [
            {"name": u.name, "role": u.role, "library": u.library_id, "last_login_at": iso(u.last_login_at),
             "sessions": u.sessions}
            for u in staff(session, now=app.now())
        ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['name']:<24} {r['role']:<10} last login: {r['last_login_at'] or 'never'}")


@command(users_group, "remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Remove a user (her sessions end at once)."""
    from ecitizen.db import session_scope
    from ecitizen.shell.auth import remove_user

    app = get_app()
    with session_scope(app.engine) as session:
        remove_user(session, name)
    click.echo(f"removed user {name}")


@command(users_group, "end-sessions")
@click.argument("name")
def users_end_sessions(name: str) -> None:
    """Sign a user out everywhere (every browser must log in again)."""
    from ecitizen.db import session_scope
    from ecitizen.shell.auth import end_user_sessions, get_user

    app = get_app()
    with session_scope(app.engine) as session:
        user = get_user(session, name)
        assert user.id is not None
        ended = end_user_sessions(session, user.id)
    click.echo(f"ended {ended} session(s) of {name}")


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs: recorded runs, and running one now."""


@command(jobs_group, "runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@json_option
def jobs_runs(limit: int, as_json: bool) -> None:
    """The last recorded job runs."""
    from ecitizen.db import session_scope
    from ecitizen.shell.jobs import last_runs

    app = get_app()
    with session_scope(app.engine) as session:
        rows = [run_json(r) for r in last_runs(session, limit=limit)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        err = f"  {r['error']}" if r["error"] else ""
        click.echo(f"{r['started_at'][:19]}  {r['job']:<16} {r['outcome']:<11}{err}")


@command(jobs_group, "run")
@click.argument("job", type=click.Choice(["feeds_poll", "crawl", "links_check", "weekly_digest",
                                          "monthly_outputs", "publish"]))
@click.option("--enqueue", is_flag=True,
              help="Distributed mode: split the job into units of work and queue them for the workers "
                   "(what the scheduler does when the job falls due) instead of running it here.")
@json_option
def jobs_run(job: str, enqueue: bool, as_json: bool) -> None:
    """Run one job now, under its lock, recorded like a scheduled run."""
    from ecitizen.shell.scheduler import Service

    app = get_app()
    if enqueue:
        from ecitizen.shell.distributed import enqueue_now

        result = enqueue_now(app, job)
    else:
        result = Service(app).run_now(job)
    data = {"job": result.job, "outcome": result.outcome, "run_id": result.run_id, "counts": result.counts,
            "error": result.error}
    if as_json:
        emit_json(data)
    else:
        click.echo(f"{job}: {result.outcome}" + (f" ({result.error})" if result.error else ""))
    if result.outcome == "error":
        raise SystemExit(1)


def run_json(r: Any) -> dict[str, Any]:
    return {
        "id": getattr(r, "id", None),
        "job": getattr(r, "job", ""),
        "started_at": iso(getattr(r, "started_at", None)) or "",
        "finished_at": iso(getattr(r, "finished_at", None)),
        "outcome": getattr(r, "outcome", ""),
        "counts": getattr(r, "counts", {}),
        "error": getattr(r, "error", None),
    }
