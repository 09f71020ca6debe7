"""Login, sessions, CSRF, rate limiting, roles and security headers (Flask test client, CSRF on)."""

from __future__ import annotations

import pytest
from flask import Flask

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.errors import AuthError
from ecitizen.shell.auth import MAX_FAILURES, add_user, get_user
from ecitizen.shell.web import ADMIN_CSP, secret_key_for
from tests.conftest import FixedClock
from tests.service.conftest import PASSWORD, csrf_of, login

STAFF_PAGES = ["/", "/review", "/sources", "/archive", "/outputs", "/runs", "/sources/new", "/review/1",
               "/archive/1", "/snapshots/1", "/nowhere"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_everything_but_public_redirects_to_login(web: Flask, path: str) -> None:
    r = web.test_client().get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


def test_password_is_stored_hashed(users: App) -> None:
    with session_scope(users.engine) as s:
        u = get_user(s, "manager")
    assert PASSWORD not in u.password_hash and u.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(("name", "password", "role"), [("x", "short", "manager"), ("", "long-enough-1", "manager"),
                                                        ("y", "long-enough-1", "admin")])
def test_add_user_refuses_bad_input(app: App, name: str, password: str, role: str) -> None:
    with session_scope(app.engine) as s, pytest.raises(AuthError):
        add_user(s, name, password, role=role)


def test_login_and_logout(web: Flask) -> None:
    c = web.test_client()
    r = login(c, "manager")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    page = c.get("/")
    assert page.status_code == 200 and "Главная" in page.get_data(as_text=True)
    token = csrf_of(page.get_data(as_text=True))
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    assert c.get("/").status_code == 302


def test_login_next_only_to_local_paths(web: Flask) -> None:
    c = web.test_client()
    token = csrf_of(c.get("/login").get_data(as_text=True))
    r = c.post("/login?next=https://evil.example/x", data={"name": "manager", "password": PASSWORD, "csrf_token": token})
    assert r.headers["Location"] == "/"
    c2 = web.test_client()
    token = csrf_of(c2.get("/login").get_data(as_text=True))
    r = c2.post("/login?next=/review", data={"name": "manager", "password": PASSWORD, "csrf_token": token})
    assert r.headers["Location"] == "/review"


def test_session_cookie_flags(make_app: object) -> None:
    app = make_app(web={"secure_cookies": True})  # type: ignore[operator]
    with session_scope(app.engine) as s:
        add_user(s, "m", PASSWORD, role="manager")
    from ecitizen.shell.web import create_app

    c = create_app(app, testing=True).test_client()
    r = login(c, "m")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_is_refused_with_a_generic_message(web: Flask) -> None:
    c = web.test_client()
    for name in ("manager", "nobody"):
        r = login(c, name, "wrong-password")
        assert r.status_code == 401
        assert "Неверное имя или пароль" in r.get_data(as_text=True)
    assert c.get("/").status_code == 302


def test_failures_slow_down_only_that_account_from_that_address(web: Flask, users: App, clock: FixedClock) -> None:
    stranger, library = web.test_client(), web.test_client()
    for _ in range(MAX_FAILURES):
        login(stranger, "librarian", "wrong-password", REMOTE_ADDR="203.0.113.9")
    r = login(stranger, "librarian", REMOTE_ADDR="203.0.113.9")  # right password, but this pair must wait
    assert r.status_code == 429 and "Подождите 15 минут" in r.get_data(as_text=True)
    # the librarian in her library is not locked out by the stranger
    assert login(library, "librarian", REMOTE_ADDR="192.0.2.10").status_code == 302
    clock.advance(minutes=16)
    assert login(stranger, "librarian", REMOTE_ADDR="203.0.113.9").status_code == 302


def test_unknown_and_known_names_get_the_same_answers(web: Flask) -> None:
    """Account names cannot be probed through the messages or the throttle."""
    answers = {}
    for name in ("manager", "no-such-user"):
        c = web.test_client()
        seen = []
        for _ in range(MAX_FAILURES + 1):
            r = login(c, name, "wrong-password", REMOTE_ADDR="198.51.100.7")
            seen.append((r.status_code, "Неверное имя или пароль" in r.get_data(as_text=True),
                         "Подождите" in r.get_data(as_text=True)))
        answers[name] = seen
    assert answers["manager"] == answers["no-such-user"]


def test_a_copied_cookie_opens_nothing_after_logout(web: Flask) -> None:
    c = web.test_client()
    assert login(c, "manager").status_code == 302
    cookie = c.get_cookie("ecitizen_session")
    assert cookie is not None
    assert c.get("/review").status_code == 200
    token = csrf_of(c.get("/").get_data(as_text=True))
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = web.test_client()
    thief.set_cookie("ecitizen_session", cookie.value)
    assert thief.get("/review").status_code == 302  # back to the login page


def test_removing_a_user_and_ending_sessions(web: Flask, users: App) -> None:
    from ecitizen.shell.auth import end_user_sessions, remove_user

    a, b = web.test_client(), web.test_client()
    login(a, "librarian")
    login(b, "librarian")
    assert a.get("/review").status_code == 200 and b.get("/review").status_code == 200
    with session_scope(users.engine) as s:
        assert end_user_sessions(s, get_user(s, "librarian").id) == 2
    assert a.get("/review").status_code == 302 and b.get("/review").status_code == 302
    login(a, "librarian")
    with session_scope(users.engine) as s:
        remove_user(s, "librarian")
    assert a.get("/review").status_code == 302


def test_the_manager_ends_a_users_sessions_from_the_staff_page(web: Flask, users: App) -> None:
    lib, mgr = web.test_client(), web.test_client()
    login(lib, "librarian")
    login(mgr, "manager")
    page = mgr.get("/users").get_data(as_text=True)
    assert "librarian" in page and "Завершить все сеансы" in page
    with session_scope(users.engine) as s:
        uid = get_user(s, "librarian").id
    r = mgr.post(f"/users/{uid}/end-sessions", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 302
    assert lib.get("/review").status_code == 302
    assert mgr.get("/review").status_code == 200
    assert lib.get("/users").status_code in (302, 403)


def test_login_rate_limit_per_address(web: Flask) -> None:
    c = web.test_client()
    for i in range(20):
        login(c, f"guess{i}", "wrong-password", REMOTE_ADDR="10.1.1.1")
    r = login(c, "manager", REMOTE_ADDR="10.1.1.1")
    assert r.status_code == 429
    assert login(web.test_client(), "manager", REMOTE_ADDR="10.1.1.2").status_code == 302


def test_login_without_csrf_token_is_refused(web: Flask) -> None:
    c = web.test_client()
    c.get("/login")
    r = c.post("/login", data={"name": "manager", "password": PASSWORD})
    assert r.status_code == 400 and "Форма устарела" in r.get_data(as_text=True)
    assert c.get("/").status_code == 302


def test_cross_site_post_without_token_changes_nothing(manager: object, add_items: object, app: App) -> None:
    ids = add_items(1)  # type: ignore[operator]
    r = manager.post("/review/action", data={"action": "approve", "ids": [str(ids[0])]})  # type: ignore[attr-defined]
    assert r.status_code == 400
    r = manager.post("/review/action",  # type: ignore[attr-defined]
                     data={"action": "approve", "ids": [str(ids[0])], "csrf_token": "forged"})
    assert r.status_code == 400
    from ecitizen.storage import Item

    with session_scope(app.engine) as s:
        assert s.get(Item, ids[0]).status == "new"


@pytest.mark.parametrize("path", ["/sources", "/archive", "/sources/new"])
def test_librarian_cannot_manage(librarian: object, path: str) -> None:
    r = librarian.get(path)  # type: ignore[attr-defined]
    assert r.status_code == 403 and "Нет доступа" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/review", "/outputs", "/runs"])
def test_librarian_reviews_and_prints(librarian: object, path: str) -> None:
    assert librarian.get(path).status_code == 200  # type: ignore[attr-defined]


def test_security_headers_on_staff_pages(manager: object) -> None:
    for path in ("/", "/review", "/login"):
        r = manager.get(path)  # type: ignore[attr-defined]
        csp = r.headers["Content-Security-Policy"]
        assert csp == ADMIN_CSP
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "<script>" not in r.get_data(as_text=True)  # no inline scripts at all


def test_secret_key_is_generated_once_and_kept(app: App) -> None:
    k1 = secret_key_for(app)
    k2 = secret_key_for(app)
    assert k1 == k2 and len(k1) >= 40
    path = app.config.data_path / "secret_key"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_secret_key_from_environment(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECITIZEN_SECRET_KEY", "from-env-" + "x" * 40)
    assert secret_key_for(app).startswith("from-env-")


def test_deleted_user_session_is_dropped(web: Flask, users: App) -> None:
    c = web.test_client()
    login(c, "librarian")
    with session_scope(users.engine) as s:
        s.delete(get_user(s, "librarian"))
    assert c.get("/").status_code == 302


def test_password_change_ends_other_sessions(web: Flask, users: App) -> None:
    c = web.test_client()
    login(c, "librarian")
    with session_scope(users.engine) as s:
        add_user(s, "librarian", "new-password-2")
    assert c.get("/").status_code == 302


def test_the_manager_attaches_a_librarian_to_her_library(web: Flask, users: App) -> None:
    from ecitizen.programme import seed_libraries

    with session_scope(users.engine) as s:
        seed_libraries(s, users.config.libraries, now=users.now())
    lib_id = users.config.libraries[0].id
    mgr = web.test_client()
    login(mgr, "manager")
    page = mgr.get("/users").get_data(as_text=True)
    assert "Библиотека сотрудника librarian" in page
    r = mgr.post("/users/librarian/library", data={"csrf_token": csrf_of(page), "library_id": lib_id})
    assert r.status_code == 302
    with session_scope(users.engine) as s:
        assert get_user(s, "librarian").library_id == lib_id
    r = mgr.post("/users/manager/library", data={"csrf_token": csrf_of(page), "library_id": lib_id})
    assert r.status_code == 302
    with session_scope(users.engine) as s:
        assert get_user(s, "manager").library_id is None
