"""A real HTTP server on a loopback address for tests (no mocks).

Each :class:`LocalServer` listens on its own ``127.0.0.x`` address and port, so several servers
act as several hosts. Routes map a path to a :class:`Reply` or to a function of the
:class:`Request` returning one. A reply body may be bytes or an iterator of chunks (slow drips,
endless bodies); ``delay`` sleeps before answering. TLS is available with a self-signed
certificate (see :func:`self_signed_cert`).

    with LocalServer("127.0.0.2") as srv:
        srv.route("/feed.xml", Reply(body=b"<rss/>", headers={"Content-Type": "application/rss+xml"}))
        requests.get(srv.url("/feed.xml"))
"""

from __future__ import annotations

import datetime as _dt
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client: str


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: do not send Content-Length (for streamed bodies)
    chunked: bool = False


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


class LocalServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, tls: tuple[str, str] | None = None) -> None:
        self.host = host
        self.routes: dict[str, Reply | Handler] = {}
        self.default: Reply | Handler = Reply(404, b"not found", {"Content-Type": "text/plain"})
        self.log: list[Request] = []
        self._lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    self.command, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()},
                    body, self.client_address[0],
                )
                with outer._lock:
                    outer.log.append(req)
                    target = outer.routes.get(parts.path + ("?" + parts.query if parts.query else ""))
                    if target is None:
                        target = outer.routes.get(parts.path, outer.default)
                reply = target(req) if callable(target) else target
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    headers = dict(reply.headers)
                    streamed = not isinstance(reply.body, (bytes, bytearray))
                    if streamed or reply.chunked:
                        headers.setdefault("Connection", "close")
                        self.close_connection = True
                    elif self.command != "HEAD" or "Content-Length" not in headers:
                        headers["Content-Length"] = str(len(reply.body))  # type: ignore[arg-type]
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if self.command == "HEAD":
                        return
                    if isinstance(reply.body, (bytes, bytearray)):
                        self.wfile.write(reply.body)
                    else:
                        for chunk in reply.body:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle

        self.server = _Server((host, port), H)
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- api -------------------------------------------------------------------------------------
    def route(self, path: str, reply: Reply | Handler) -> None:
        with self._lock:
            self.routes[path] = reply

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def drip(chunks: int, every: float, chunk: bytes = b" ") -> Iterator[bytes]:
    """A body that sends ``chunk`` every ``every`` seconds, ``chunks`` times."""
    for _ in range(chunks):
        yield chunk
        time.sleep(every)


def endless(chunk: bytes = b"x" * 65536) -> Iterator[bytes]:
    """A body that never ends."""
    while True:
        yield chunk


def self_signed_cert(host: str = "127.0.0.1", directory: str | None = None, *, expired: bool = False) -> tuple[str, str]:
    """Write a self-signed certificate and key for ``host``; returns (cert_path, key_path)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = _dt.datetime.now(_dt.UTC)
    start, end = (now - _dt.timedelta(days=30), now - _dt.timedelta(days=1)) if expired else (
        now - _dt.timedelta(days=1), now + _dt.timedelta(days=30))
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        san = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .sign(key, hashes.SHA256())
    )
    d = Path(directory or tempfile.mkdtemp(prefix="ecitizen-tls-"))
    cert_path, key_path = d / f"{host}.crt", d / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
