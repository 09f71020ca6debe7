"""The demo portal: a local HTTP server with sample government pages and feeds (offline).

Owns: the routes of the bundled ``demo_site/`` data (feeds in UTF-8 and windows-1251, a news list,
a sitemap, a service catalogue, a Telegram preview page, a watched page, link targets that work,
move, break or fail) and the small template substitutions (``{{base}}``, ``{{days_ago:N}}``,
``{base}``) that keep dates recent and URLs pointing at this server. Only binds to loopback.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

SITE = resources.files("ecitizen.shell") / "demo_site"
#: the crawler's own sample pages (sitemaps, catalogue, Telegram preview, watched page) are served
#: as they are, so the demo and the crawler tests read the same files
SAMPLES = resources.files("ecitizen.crawler") / "samples"

#: (status, content type, body) of a route; ``base`` is the portal origin
Route = Callable[[str], tuple[int, dict[str, str], bytes]]


def _read(rel: str) -> bytes:
    if rel.startswith("samples/"):
        return (SAMPLES / rel.removeprefix("samples/")).read_bytes()
    return (SITE / rel).read_bytes()


def _fill(text: str, base: str, now: datetime) -> str:
    def days(m: re.Match[str]) -> str:
        return format_datetime(now - timedelta(days=int(m.group(1)), hours=2), usegmt=True)

    text = re.sub(r"\{\{days_ago:(\d+)\}\}", days, text)
    return text.replace("{{base}}", base).replace("{base}", base)


Answer = tuple[int, dict[str, str], bytes]


def _html(body: bytes | str, status: int = 200, ctype: str = "text/html; charset=utf-8") -> Answer:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return status, {"Content-Type": ctype}, data


def routes(now: Callable[[], datetime]) -> dict[str, Route]:
    def text_file(rel: str, ctype: str, *, encode: str = "utf-8") -> Route:
        def route(base: str) -> tuple[int, dict[str, str], bytes]:
            text = _fill(_read(rel).decode("utf-8"), base, now())
            return 200, {"Content-Type": ctype}, text.encode(encode)

        return route

    def raw(rel: str, ctype: str) -> Route:
        return lambda base: (200, {"Content-Type": ctype}, _read(rel))

    def watched(base: str) -> tuple[int, dict[str, str], bytes]:
        text = _read("samples/watched-page.html").decode("utf-8")
        text = (text.replace("{token}", secrets.token_hex(8)).replace("{visitors}", str(secrets.randbelow(900) + 100))
                .replace("{clock}", datetime.now(UTC).strftime("%H:%M:%S")).replace("{banner}", secrets.token_hex(4)))
        return _html(text)

    def landing(title: str) -> Route:
        return lambda base: _html(_read("pages/landing.html").decode("utf-8").replace("{title}", title))

    r: dict[str, Route] = {
        "/": text_file("pages/index.html", "text/html; charset=utf-8"),
        "/robots.txt": lambda base: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/rss/gosuslugi.xml": text_file("rss/gosuslugi.xml", "application/rss+xml; charset=utf-8"),
        # windows-1251 bytes with no charset in the header: the reader must detect it from the prolog
        "/rss/omsk-1251.xml": text_file("rss/omsk-1251.xml", "application/xml", encode="cp1251"),
        "/rss/aif-health.xml": raw("rss/aif-health-1251.xml", "text/xml"),
        "/press_center/news/": raw("pages/sfr-news-list.html", "text/html; charset=utf-8"),
        "/catalog/": raw("samples/catalog-services.html", "text/html; charset=utf-8"),
        "/s/gosuslugi": raw("samples/telegram-gosuslugi.html", "text/html; charset=utf-8"),
        "/help/mfc": watched,
        "/help/pension": raw("pages/pension-help.html", "text/html; charset=utf-8"),
        "/new-place/doctor": raw("pages/new-place.html", "text/html; charset=utf-8"),
        "/gosuslugi-2018": raw("pages/gosuslugi-2018.html", "text/html; charset=utf-8"),
        "/old/doctor": lambda base: (301, {"Location": base + "/new-place/doctor", "Content-Type": "text/plain"},
                                     b"moved"),
        "/removed-page": lambda base: _html("<h1>Страница не найдена</h1>", 404),
        "/server-error": lambda base: _html("<h1>Внутренняя ошибка</h1>", 500),
    }
    for name in ("sitemap-index.xml", "sitemap-services.xml", "sitemap-nested-index.xml", "sitemap-landings-2.xml"):
        r["/" + name] = text_file("samples/" + name, "application/xml; charset=utf-8")
    for slug, title in (("pensions", "Пенсии и пособия"), ("passport", "Паспорт"), ("transport", "Транспорт"),
                        ("family", "Семья и дети")):
        r[f"/landing/{slug}"] = landing(title)
    r["/help/faq/health/1"] = landing("Вопросы о здоровье")
    for i in range(10001, 10006):
        r[f"/{i}/1/form"] = landing(f"Услуга {i}")
    return r


class DemoPortal:
    """The portal server in a daemon thread on 127.0.0.1 (port 0 = any free port)."""

    def __init__(self, port: int = 0, *, now: Callable[[], datetime] | None = None) -> None:
        self.routes = routes(now or (lambda: datetime.now(UTC)))
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, head_only: bool) -> None:
                path = urlsplit(self.path).path
                outer.hits.append(path)
                route = outer.routes.get(path)
                if route is None:
                    status, headers, body = _html("<h1>Нет такой страницы</h1>", 404)
                else:
                    status, headers, body = route(outer.base)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer(False)

            def do_HEAD(self) -> None:
                self._answer(True)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = int(self.server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="demo-portal", daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> DemoPortal:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> DemoPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
