"""Staff users: hashed passwords, roles, login with lockout and a per-address rate limit.

Owns: ``user_account`` rows (:func:`add_user`, :func:`authenticate`), the lockout rule
(:func:`lockout_until`, pure) and :class:`AddressLimiter` (failed logins per client address, in
memory, per process). Passwords are hashed with werkzeug's scrypt/pbkdf2; they are never logged.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ecitizen.db import session_scope
from ecitizen.errors import AuthError, NotFoundError
from ecitizen.storage import User

ROLES = ("manager", "librarian")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
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


def lockout_until(failures: int, *, now: datetime) -> datetime | None:
    """After ``MAX_FAILURES`` consecutive failures the account is locked for ``LOCKOUT``."""
    if failures >= MAX_FAILURES:
        return now + LOCKOUT
    return None


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


def authenticate(engine: Engine, name: str, password: str, *, now: datetime) -> Principal:
    """Check a login. Counts failures and locks the account; raises :class:`LoginRefusedError`."""
    generic = "Неверное имя или пароль."
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name.strip())).first()
        if user is None:
            check_password_hash(_DUMMY_HASH, password)  # same cost: do not reveal which names exist
            raise LoginRefusedError(generic)
        if user.locked_until is not None and user.locked_until > now:
            raise LoginRefusedError(
                "Слишком много неудачных попыток. Вход временно закрыт, попробуйте позже.",
                locked_until=user.locked_until,
            )
        if not check_password_hash(user.password_hash, password):
            user.failed_logins += 1
            user.locked_until = lockout_until(user.failed_logins, now=now)
            if user.locked_until is not None:
                user.failed_logins = 0
            session.add(user)
            locked = user.locked_until
            session.commit()
            if locked is not None:
                raise LoginRefusedError(
                    "Слишком много неудачных попыток. Вход временно закрыт, попробуйте позже.", locked_until=locked
                )
            raise LoginRefusedError(generic)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        session.add(user)
        assert user.id is not None
        return Principal(user.id, user.name, user.role)


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
