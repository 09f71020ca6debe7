"""Fixtures of the service tests: a logged-in test client with CSRF enabled, items in the database."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.shell.auth import add_user
from ecitizen.shell.web import create_app
from ecitizen.storage import Item, Source

PASSWORD = "correct-horse-1"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD, **environ: Any) -> Any:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       environ_base=environ)


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real hashing, lower cost: scrypt's 0.25 s per hash would make these tests slow."""
    from ecitizen.shell import auth

    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:2000")
    monkeypatch.setattr(auth, "_DUMMY_HASH", auth.generate_password_hash("x", method="pbkdf2:sha256:2000"))


@pytest.fixture
def users(app: App) -> App:
    with session_scope(app.engine) as s:
        add_user(s, "manager", PASSWORD, role="manager")
        add_user(s, "librarian", PASSWORD, role="librarian")
    return app


@pytest.fixture
def web(users: App) -> Flask:
    flask_app = create_app(users, testing=True)
    assert flask_app.config.get("WTF_CSRF_ENABLED", True) is True
    return flask_app


@pytest.fixture
def manager(web: Flask) -> FlaskClient:
    c = web.test_client()
    assert login(c, "manager").status_code == 302
    return c


@pytest.fixture
def librarian(web: Flask) -> FlaskClient:
    c = web.test_client()
    assert login(c, "librarian").status_code == 302
    return c


@pytest.fixture
def add_items(app: App) -> Callable[..., list[int]]:
    """``add_items(n, status="new", source="sfr", **fields)`` -> the new ids."""

    def add(n: int = 3, *, status: str = "new", source: str = "sfr-news", **fields: Any) -> list[int]:
        ids: list[int] = []
        now = app.now()
        with session_scope(app.engine) as s:
            from sqlmodel import select

            src = s.exec(select(Source).where(Source.name == source)).first()
            if src is None:
                src = Source(name=source, url=f"https://{source}.example.org/rss", kind="feed")
                s.add(src)
                s.flush()
            base = s.exec(select(Item)).all()
            for i in range(n):
                k = len(base) + i
                item = Item(
                    source_id=src.id, guid=f"g{k}", url=f"https://{source}.example.org/news/{k}",
                    title=f"Новость номер {k}: запись к врачу онлайн", summary_text=f"Текст новости {k}.",
                    published_at=now - timedelta(hours=k), fetched_at=now, status=status,
                    topics=[{"id": "doctor", "keywords": ["врач"], "matched": ["врачу"]}], **fields,
                )
                if status != "new":
                    item.reviewed_at = now
                    item.reviewed_by = "test"
                s.add(item)
                s.flush()
                assert item.id is not None
                ids.append(item.id)
        return ids

    return add
