"""A TCP server on a loopback address that answers with exact bytes (no mocks, no http.server).

For the answers a well-behaved server library never sends: a status line and headers dripped one
line at a time, a body that ends at the close of the connection (HTTP/1.0), ``Connection: close``
after a complete body, chunked bodies, and connections closed in the middle of a body.

Each route maps a request path to a *script*: a list of steps, ``bytes`` (sent at once) or
``float`` (seconds to sleep). After the script the server closes the connection, unless the
script ends with :data:`KEEP_OPEN` (then the connection serves the client's next request).

    with RawServer("127.0.0.2") as srv:
        srv.route("/feed", http10(b"<rss/>", "application/rss+xml"))
        fetch(srv.url("/feed"), ...)
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Sequence

Step = bytes | float
#: last step of a script: keep the connection open for the next request (keep-alive)
KEEP_OPEN = -1.0


class RawServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Sequence[Step]] = {}
        self.requests: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._lock = threading.Lock()

    def route(self, path: str, script: Sequence[Step]) -> None:
        self.routes[path] = script

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> int:
        with self._lock:
            return sum(1 for p in self.requests if p == path)

    # -- serving ---------------------------------------------------------------------------------
    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            while True:  # one request after the other while a script keeps the connection open
                try:
                    while b"\r\n\r\n" not in data:
                        more = conn.recv(65536)
                        if not more:
                            return
                        data += more
                except OSError:
                    return
                head, _, data = data.partition(b"\r\n\r\n")
                parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                path = parts[1].split("?", 1)[0] if len(parts) > 1 else "/"
                with self._lock:
                    self.requests.append(path)
                if not self._play(conn, self.routes.get(path, not_found())):
                    return

    def _play(self, conn: socket.socket, script: Sequence[Step]) -> bool:
        """Send ``script``; True when the connection stays open for the next request."""
        try:
            for step in script:
                if isinstance(step, float):
                    if step == KEEP_OPEN:
                        return True
                    if self._stop.wait(step):
                        return False
                else:
                    conn.sendall(step)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)
                time.sleep(0.05)  # let the client read the end before the socket goes
        except OSError:
            pass
        return False

    def start(self) -> RawServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- scripts -----------------------------------------------------------------------------------------


def _head(status_line: bytes, headers: dict[str, str]) -> bytes:
    lines = [status_line] + [f"{k}: {v}".encode("latin-1") for k, v in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def not_found() -> list[Step]:
    return [_head(b"HTTP/1.1 404 Not Found", {"Content-Length": "9", "Connection": "close"}) + b"not found"]


def close_with_length(body: bytes, content_type: str = "text/html; charset=utf-8") -> list[Step]:
    """HTTP/1.1, ``Connection: close`` and a Content-Length: the server closes after the body."""
    return [_head(b"HTTP/1.1 200 OK", {"Content-Type": content_type, "Content-Length": str(len(body)),
                                        "Connection": "close"}) + body]


def http10(body: bytes, content_type: str = "text/html; charset=utf-8") -> list[Step]:
    """An HTTP/1.0 answer without a length: the body ends when the connection closes."""
    return [_head(b"HTTP/1.0 200 OK", {"Content-Type": content_type}), body[: len(body) // 2], 0.05,
            body[len(body) // 2:]]


def chunked(body: bytes, content_type: str = "text/html; charset=utf-8", *, pieces: int = 3) -> list[Step]:
    """HTTP/1.1 chunked, no length; the connection stays open after the last chunk (keep-alive)."""
    size = max(1, -(-len(body) // pieces))
    steps: list[Step] = [_head(b"HTTP/1.1 200 OK", {"Content-Type": content_type, "Transfer-Encoding": "chunked"})]
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        steps += [f"{len(piece):x}\r\n".encode() + piece + b"\r\n", 0.02]
    steps += [b"0\r\n\r\n", KEEP_OPEN]
    return steps


def cut_with_length(body: bytes, content_type: str = "text/html; charset=utf-8") -> list[Step]:
    """Content-Length promises the whole body; the connection closes after half of it."""
    return [_head(b"HTTP/1.1 200 OK", {"Content-Type": content_type, "Content-Length": str(len(body))}),
            body[: len(body) // 2]]


def cut_chunked(body: bytes, content_type: str = "text/html; charset=utf-8") -> list[Step]:
    """Chunked; the connection closes after the first chunk, without the final zero-size chunk."""
    half = body[: len(body) // 2]
    return [_head(b"HTTP/1.1 200 OK", {"Content-Type": content_type, "Transfer-Encoding": "chunked"}),
            f"{len(half):x}\r\n".encode() + half + b"\r\n"]


def header_drip(every: float = 0.5, lines: int = 200) -> list[Step]:
    """A status line, then one header line every ``every`` seconds (each read is quick; the whole
    answer never arrives in time)."""
    steps: list[Step] = [b"HTTP/1.1 200 OK\r\n"]
    for i in range(lines):
        steps += [every, f"X-Drip-{i}: {i}\r\n".encode()]
    steps += [b"Content-Length: 2\r\n\r\nok"]
    return steps


def redirect(location: str, status: int = 302) -> list[Step]:
    return [_head(f"HTTP/1.1 {status} Found".encode(), {"Location": location, "Content-Length": "0",
                                                        "Connection": "close"})]
