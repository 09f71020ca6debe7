"""``ecitizen run``: the scheduler and the web interface (waitress) in one process, or the roles of
distributed mode (scheduler, worker, web: :mod:`ecitizen.shell.distributed`).

Owns: starting them, the signal handling (SIGTERM/SIGINT → graceful stop: the scheduler lets the
running job finish, then the web server closes) and :class:`WebServer`, a waitress server in a
thread (also used by the demo, the browser tests and the benchmark).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Collection
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from waitress.server import create_server

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.errors import EcitizenError, StorageError

if TYPE_CHECKING:  # procrastinate (the ``distributed`` extra) is imported only in distributed mode
    from ecitizen.shell.distributed import Distributed, QueueSettings

log = logging.getLogger("ecitizen.shell")


class WebServer:
    """A waitress server for a WSGI app, running in a daemon thread."""

    def __init__(self, wsgi: Any, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8,
                 trusted_proxy: str | None = None) -> None:
        # behind a reverse proxy (docs/deploy.md) the client's address and https come from its
        # X-Forwarded-For / X-Forwarded-Proto, trusted from that one address only (the login
        # throttles count per client address: without this every client would be the proxy)
        proxy: dict[str, Any] = {} if not trusted_proxy else {
            "trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}}
        try:
            self.server = create_server(wsgi, host=host, port=port, threads=threads, ident="ecitizen",
                                        clear_untrusted_proxy_headers=True, channel_timeout=60, **proxy)
        except OSError as exc:
            raise EcitizenError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                "(another program uses the port? choose one with --port)") from exc
        self.host = host
        self.port = int(self.server.effective_port)
        self._thread = threading.Thread(target=self._run, name="waitress", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # closed under us at shutdown
            pass

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        self.server.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


#: what one ``ecitizen run`` process may be (``--role``; default: all three, as one process)
ROLES = ("scheduler", "worker", "web")


def run_service(app: App, *, host: str | None = None, port: int | None = None, web: bool = True,
                scheduler: bool = True, stop_event: threading.Event | None = None,
                echo: Callable[[str], None] | None = None, roles: Collection[str] | None = None,
                queue: QueueSettings | None = None, trusted_proxy: str | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop_event``). Nothing half-written on the way out.

    ``echo`` prints the two status lines (default: stdout; ``demo --json`` sends them to stderr so
    that stdout holds exactly one JSON document).

    ``roles`` (``ecitizen run --role``) on PostgreSQL is distributed mode (docs/deploy.md): the
    scheduler enqueues units of work, workers (``queue`` settings) run them, the web interface's
    "run now" enqueues too. On SQLite a role only chooses the web and the scheduler, which runs
    every job itself as without roles; a worker without the scheduler is refused there.
    """
    say = echo or (lambda line: print(line, flush=True))
    from ecitizen.programme import seed_libraries
    from ecitizen.shell.scheduler import Service
    from ecitizen.sources import SourceRules
    from ecitizen.store import seed_sources

    cfg = app.config
    distributed: Distributed | None = None
    if roles is not None:
        web, scheduler = "web" in roles, "scheduler" in roles
        if app.engine.dialect.name == "postgresql":
            from ecitizen.shell.distributed import Distributed, QueueSettings

            distributed = Distributed(app, queue or QueueSettings(), worker="worker" in roles, scheduler=scheduler)
        elif "worker" in roles and not scheduler:
            raise EcitizenError("a worker needs the shared PostgreSQL database (database_url: "
                                "postgresql+psycopg://…); with SQLite the scheduler runs every job itself")
    if distributed is None or scheduler:  # one seeder in distributed mode: the scheduler
        for attempt in (1, 2):
            # Two services started together on a fresh database both insert the config's rows; the
            # loser of that race seeds again and finds them (seeding is idempotent by name / id).
            try:
                with session_scope(app.engine) as session:
                    seed_sources(session, cfg.sources, rules=SourceRules.from_config(cfg))
                    seed_libraries(session, cfg.libraries, now=app.now())
                break
            except (IntegrityError, StorageError):
                if attempt == 2:
                    raise
                log.info("another process seeded the database at the same time; seeding again")
    stop = stop_event or threading.Event()
    service = Service(app, tasks_map=distributed.jobs() if distributed is not None else None)
    server: WebServer | None = None
    wsgi: Any = None

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %s: finishing the running job, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    try:
        if distributed is not None:
            distributed.start(on_failure=stop.set)  # a worker that dies ends the process (systemd restarts it)
            say(f"e-citizen watch: {', '.join(r for r in ROLES if r in (roles or ()))} "
                f"on the shared database as {distributed.settings.name}")
        if scheduler:
            service.start()
        if web:
            from ecitizen.shell.web import create_app  # not loaded by a scheduler or a worker alone

            wsgi = create_app(app, service=service)
            server = WebServer(wsgi, host=host or cfg.web.host, port=port or cfg.web.port,
                               threads=cfg.web.threads, trusted_proxy=trusted_proxy).start()
            log.warning("web interface at %s", server.url)
            if server.host not in ("127.0.0.1", "localhost", "::1") and not cfg.web.secure_cookies:
                log.warning("web.secure_cookies is off while listening on %s: put the service behind HTTPS "
                            "and turn it on", server.host)
            say(f"e-citizen watch: web interface at {server.url}")
        while not stop.wait(1.0):
            pass
    finally:
        service.stop(wait=True)
        if distributed is not None:  # the worker's running units finish
            distributed.stop()
        if wsgi is not None:
            background = wsgi.extensions.get("ecitizen_background")
            if background is not None:  # "check now" jobs started from the web finish too
                background.shutdown(wait=True)
        if server is not None:
            server.stop()
        say("e-citizen watch: stopped")
    if distributed is not None and distributed.failure:
        raise EcitizenError(distributed.failure)
