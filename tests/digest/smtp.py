"""A real local SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(
    *, host: str = "127.0.0.1", cert: tuple[str, str] | None = None, mode: str = "none",
    credentials: tuple[str, str] | None = None,
) -> Iterator[tuple[Inbox, int]]:
    """mode: none | starttls (requires STARTTLS) | ssl (implicit TLS)."""
    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    ctx = None
    if cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*cert)
    if mode == "starttls":
        kwargs.update(tls_context=ctx, require_starttls=True)
    elif mode == "ssl":
        kwargs.update(ssl_context=ctx)
    if credentials:
        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == credentials
            if ok:
                inbox.logins.append(data.login.decode())
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True)
    port = _free_port(host)
    controller = Controller(inbox, hostname=host, port=port, server_hostname=host, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
