"""Common fixtures: a fresh app (config + SQLite file) per test, local servers, the corpus."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ecitizen.app import App
from ecitizen.config import parse_config
from ecitizen.db import dispose_engines
from tests.support.config import base_config_data as base_config_data  # tests import it from here
from tests.support.httpserver import LocalServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: real captured feeds and pages, copied into the repository (origins and licences: SOURCES.md there)
CORPUS = FIXTURES / "corpus"


@pytest.fixture
def corpus() -> Path:
    return CORPUS


class FixedClock:
    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self.t = self.t + timedelta(**kwargs)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))


#: ``ECITIZEN_TEST_DATABASE_URL=postgresql+psycopg://…`` runs every test on PostgreSQL (a fresh
#: database per test on that server); read once here, before ``_no_env_leaks`` clears ECITIZEN_*
WHOLE_SUITE_DATABASE = os.environ.get("ECITIZEN_TEST_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Opt-in for a module (``pytestmark = pytest.mark.usefixtures("backend")``): run its tests on
    SQLite and on the PostgreSQL server. A test may narrow it with
    ``@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)``."""
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database of this test's app: SQLite in ``tmp_path``, or a fresh PostgreSQL database."""
    from tests.support.pg import fresh_database

    wanted = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if wanted == "postgresql" or WHOLE_SUITE_DATABASE.startswith("postgresql"):
        server = WHOLE_SUITE_DATABASE if WHOLE_SUITE_DATABASE.startswith("postgresql") else None
        with fresh_database(*( [server] if server else [])) as url:
            yield url
        return
    yield f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def make_app(tmp_path: Path, clock: FixedClock, database_url: str) -> Iterator[Callable[..., App]]:
    """``make_app(**overrides)`` -> an App on a fresh database (overrides merge into config)."""

    def factory(**overrides: Any) -> App:
        data = base_config_data(tmp_path)
        data["database_url"] = database_url
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        cfg = parse_config(data, base_dir=str(tmp_path))
        return App(config=cfg, now=clock)

    yield factory
    dispose_engines()


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer("127.0.0.1") as srv:
        yield srv


@pytest.fixture
def servers() -> Iterator[Callable[[str], LocalServer]]:
    """``servers("127.0.0.3")`` starts another host; all are stopped at the end."""
    started: list[LocalServer] = []

    def start(host: str) -> LocalServer:
        srv = LocalServer(host).start()
        started.append(srv)
        return srv

    yield start
    for s in started:
        s.stop()


@pytest.fixture(autouse=True)
def _no_env_leaks(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ECITIZEN_"):
            monkeypatch.delenv(key, raising=False)
