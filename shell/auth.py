"""Staff users: hashed passwords, roles, server-side sessions, and login throttling.

Owns: ``user_account`` rows (:func:`add_user`, :func:`remove_user`, :func:`authenticate`),
``web_session`` rows (:func:`start_session`, :func:`session_principal`, :func:`end_session`,
:func:`end_user_sessions`) and the two throttles, in memory per process: :class:`LoginThrottle`
(failed logins per account *and* client address: a stranger elsewhere cannot lock a librarian out of
her library) and :class:`AddressLimiter` (failed logins per client address, whatever the name).
An unknown name and a known one get the same answers, in the same time, so names cannot be probed.
Passwords are hashed with werkzeug's scrypt/pbkdf2; they are never logged. A session cookie holds
only a random token; the database keeps its SHA-256, so logout, a password change, a removed user
or "end all sessions" ends it for good.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ecitizen.db import session_scope
from ecitizen.errors import AuthError, NotFoundError
from ecitizen.storage import User, WebSession

ROLES = ("manager", "librarian")
#: failed logins of one account from one client address within LOCKOUT before that pair must wait
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
#: a signed-in session lasts this long without a visit, and never longer than SESSION_MAX_AGE
SESSION_IDLE = timedelta(hours=12)
SESSION_MAX_AGE = timedelta(days=7)
WRONG_LOGIN = "Неверное имя или пароль."
TOO_MANY_TRIES = "Слишком много неудачных попыток. Подождите 15 минут и попробуйте снова."
MIN_PASSWORD_LENGTH = 8
#: werkzeug's default (scrypt); tests lower the cost with a cheap pbkdf2 to stay fast
PASSWORD_METHOD = "scrypt"  # noqa: S105 - a hash method name, not a password
#: a hash to compare against when the user does not exist (same time as a real check)
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginRefusedError(AuthError):
    """Wrong name/password, or locked. ``message`` is what the login page shows (Russian)."""

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        self.locked_until = locked_until
        super().__init__(message)


@dataclass(frozen=True)
class Principal:
    """The logged-in user as the web layer sees it."""

    id: int
    name: str
    role: str

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(session: Session, name: str, password: str, *, role: str = "librarian") -> tuple[User, bool]:
    """Create a user or set a new password/role of an existing one. Returns (user, created)."""
    name = name.strip()
    if not name:
        raise AuthError("user name is empty")
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r} (use {' or '.join(ROLES)})")
    check_password_strength(password)
    user = session.exec(select(User).where(User.name == name)).first()
    created = user is None
    if user is None:
        user = User(name=name, password_hash="", role=role)
    elif user.id is not None:
        end_user_sessions(session, user.id)  # a new password: every browser signs in again
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.role = role
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    session.flush()
    return user, created


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFoundError(f"no user named {name!r}")
    return user


def remove_user(session: Session, name: str) -> None:
    """Delete a user and end all of her sessions."""
    user = get_user(session, name)
    assert user.id is not None
    end_user_sessions(session, user.id)
    session.delete(user)


def authenticate(engine: Engine, name: str, password: str, *, now: datetime) -> Principal:
    """Check a name and password; raises :class:`LoginRefusedError` with :data:`WRONG_LOGIN`.

    The account is never locked by failures (see :class:`LoginThrottle`, which the login page
    applies per account and client address before calling this).
    """
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name.strip())).first()
        if user is None:
            check_password_hash(_DUMMY_HASH, password)  # same cost: do not reveal which names exist
            raise LoginRefusedError(WRONG_LOGIN)
        if not check_password_hash(user.password_hash, password):
            user.failed_logins += 1
            session.add(user)
            session.commit()
            raise LoginRefusedError(WRONG_LOGIN)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        session.add(user)
        assert user.id is not None
        return Principal(user.id, user.name, user.role)


# -- sessions ----------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(engine: Engine, user_id: int, *, now: datetime, address: str = "") -> str:
    """A new session for the user; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(WebSession(token_hash=_token_hash(token), user_id=user_id, created_at=now, last_seen_at=now,
                               expires_at=min(now + SESSION_IDLE, now + SESSION_MAX_AGE), address=address[:64]))
    return token


def session_principal(engine: Engine, token: str | None, *, now: datetime) -> Principal | None:
    """The user of a live session (its idle time extended), or None: unknown, ended or expired."""
    if not token or not isinstance(token, str):
        return None
    with session_scope(engine) as session:
        row = session.get(WebSession, _token_hash(token))
        if row is None:
            return None
        if row.expires_at <= now:
            session.delete(row)
            return None
        user = session.get(User, row.user_id)
        if user is None:
            return None
        if now - row.last_seen_at > timedelta(minutes=1):  # one write a minute, not one a request
            row.last_seen_at = now
            row.expires_at = min(now + SESSION_IDLE, row.created_at + SESSION_MAX_AGE)
            session.add(row)
            if user.last_seen_at is None or now - user.last_seen_at > timedelta(minutes=1):
                user.last_seen_at = now
                session.add(user)
        assert user.id is not None
        return Principal(user.id, user.name, user.role)


def end_session(engine: Engine, token: str | None) -> None:
    """Logout: this session no longer opens anything, even from a copied cookie."""
    if not token or not isinstance(token, str):
        return
    with session_scope(engine) as session:
        session.exec(delete(WebSession).where(col(WebSession.token_hash) == _token_hash(token)))


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (password changed, user removed, the manager's button)."""
    rows = list(session.exec(select(WebSession).where(WebSession.user_id == user_id)))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class StaffRow:
    """A staff account as the staff page shows it."""

    id: int
    name: str
    role: str
    library_id: str | None
    last_login_at: datetime | None
    last_seen_at: datetime | None
    sessions: int


def staff(session: Session, *, now: datetime) -> list[StaffRow]:
    """Every account with its number of live sessions, by name."""
    counts = session_counts(session, now=now)
    return [StaffRow(u.id, u.name, u.role, u.library_id, u.last_login_at, u.last_seen_at, counts.get(u.id, 0))
            for u in session.exec(select(User).order_by(col(User.name))) if u.id is not None]


def end_sessions_of(engine: Engine, user_id: int) -> int:
    """The manager's «завершить все сеансы»: raises NotFoundError for an unknown id."""
    with session_scope(engine) as session:
        if session.get(User, user_id) is None:
            raise NotFoundError(f"no user #{user_id}")
        return end_user_sessions(session, user_id)


def session_counts(session: Session, *, now: datetime) -> dict[int, int]:
    """Live sessions per user id (for the staff list)."""
    q = (select(WebSession.user_id, func.count()).where(col(WebSession.expires_at) > now)
         .group_by(col(WebSession.user_id)))
    return {int(uid): int(n) for uid, n in session.exec(q)}


def last_seen(engine: Engine, user_id: int) -> datetime | None:
    """When the user was last seen (before the login that is happening now)."""
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        return user.last_seen_at if user is not None else None


class LoginThrottle:
    """At most ``limit`` failed logins per (account name, client address) within ``window``.

    The pair, not the account: the manager's name tried from a stranger's address slows only that
    stranger. Unknown names are counted the same way, so the answer never tells whether a name exists.
    """

    def __init__(self, *, limit: int = MAX_FAILURES, window: timedelta = LOCKOUT) -> None:
        self._inner = AddressLimiter(limit=limit, window=window)

    @staticmethod
    def _key(name: str, address: str) -> str:
        return f"{name.strip().casefold()}\x00{address}"

    def allowed(self, name: str, address: str, *, now: datetime) -> bool:
        return self._inner.allowed(self._key(name, address), now=now)

    def failed(self, name: str, address: str, *, now: datetime) -> None:
        self._inner.failed(self._key(name, address), now=now)


class AddressLimiter:
    """At most ``limit`` failed logins per client address within ``window`` (sliding)."""

    def __init__(self, *, limit: int = 20, window: timedelta = timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _prune(self, q: deque[datetime], now: datetime) -> None:
        while q and q[0] <= now - self.window:
            q.popleft()

    def allowed(self, address: str, *, now: datetime) -> bool:
        with self._lock:
            q = self._failures.get(address)
            if q is None:
                return True
            self._prune(q, now)
            return len(q) < self.limit

    def failed(self, address: str, *, now: datetime) -> None:
        with self._lock:
            q = self._failures.setdefault(address, deque())
            self._prune(q, now)
            q.append(now)
            if len(self._failures) > 10_000:  # bound memory under a spray of addresses
                for key in list(self._failures)[:5_000]:
                    del self._failures[key]
