"""Source outcome codes: what one attempt to read a source (feed poll, crawl) ended with.

Owns the vocabulary stored as ``source.last_outcome`` and reported by ``feeds poll --json`` and
``crawl --json``: every code, its short Russian label, its plain-Russian explanation for a
librarian, and which codes count as a failure. Every :class:`~ecitizen.errors.SourceError`
subclass (the core's and the crawler's) takes its ``code`` from here; the feed reader, the
crawler, the digest and the web interface import these names instead of keeping their own lists.

Data and pure functions only; imports nothing from the project.
"""

from __future__ import annotations

OK = "ok"
NOT_MODIFIED = "not_modified"
#: an unexpected failure (a bug or an error the adapters do not know)
ERROR = "error"
FETCH_ERROR = "fetch_error"
HTTP_ERROR = "http_error"
TIMEOUT = "timeout"
TOO_LARGE = "too_large"
REDIRECTS = "redirects"
TLS_ERROR = "tls_error"
DNS_ERROR = "dns_error"
CONNECTION_ERROR = "connection_error"
PARSE_ERROR = "parse_error"
SELECTOR_ERROR = "selector_error"
ROBOTS_DISALLOWED = "robots_disallowed"
UNSAFE_TARGET = "unsafe_target"
SETTINGS_ERROR = "settings_error"
CRAWL_FAILED = "crawl_failed"
NOT_FOUND = "not_found"
STORAGE_ERROR = "storage_error"

#: the attempt worked (``not_modified``: the server said nothing changed since the last poll)
SUCCESSES: frozenset[str] = frozenset({OK, NOT_MODIFIED})

#: short Russian names (lists, tables)
OUTCOME_LABELS: dict[str, str] = {
    OK: "работает",
    NOT_MODIFIED: "без изменений",
    ERROR: "непредвиденная ошибка",
    FETCH_ERROR: "ошибка загрузки",
    HTTP_ERROR: "сайт ответил ошибкой",
    TIMEOUT: "сайт не ответил вовремя",
    TOO_LARGE: "слишком большой ответ",
    REDIRECTS: "петля перенаправлений",
    TLS_ERROR: "ошибка сертификата",
    DNS_ERROR: "домен не найден",
    CONNECTION_ERROR: "нет соединения",
    PARSE_ERROR: "не удалось прочитать",
    SELECTOR_ERROR: "сайт изменил вёрстку",
    ROBOTS_DISALLOWED: "обход запрещён сайтом",
    UNSAFE_TARGET: "адрес во внутренней сети",
    SETTINGS_ERROR: "ошибка в настройках",
    CRAWL_FAILED: "обход прерван",
    NOT_FOUND: "источник не найден",
    STORAGE_ERROR: "ошибка базы данных",
}

#: what the code means for a librarian and what to do (plain Russian, whole sentences)
OUTCOME_EXPLANATIONS: dict[str, str] = {
    OK: "Источник прочитан.",
    NOT_MODIFIED: "Источник не изменился с прошлой проверки.",
    ERROR: "Произошла непредвиденная ошибка программы. Сообщите ответственному за сервис.",
    FETCH_ERROR: "Не удалось загрузить страницу источника. Проверьте адрес в браузере.",
    HTTP_ERROR: (
        "Сайт ответил ошибкой вместо страницы (например, «не найдено» или «доступ запрещён»). "
        "Если ошибка повторяется, проверьте адрес источника в браузере."
    ),
    TIMEOUT: "Сайт не ответил вовремя. Возможно, он перегружен; проверим ещё раз позже.",
    TOO_LARGE: "Сайт прислал слишком большой ответ; он не был прочитан. Проверьте, тот ли это адрес.",
    REDIRECTS: "Сайт перенаправляет по кругу или слишком много раз. Проверьте адрес источника.",
    TLS_ERROR: (
        "Сертификат безопасности сайта не прошёл проверку. Многие государственные сайты используют "
        "сертификаты Минцифры (Russian Trusted Root CA): их нужно добавить в настройки (http.extra_ca_bundle)."
    ),
    DNS_ERROR: "Адрес сайта не найден (имя домена не существует или не отвечает). Проверьте написание адреса.",
    CONNECTION_ERROR: "Не удалось соединиться с сайтом (соединение отклонено или оборвано). Проверим ещё раз позже.",
    PARSE_ERROR: (
        "Ответ сайта не удалось прочитать как ленту новостей или страницу: возможно, по адресу теперь "
        "другая страница. Проверьте адрес источника."
    ),
    SELECTOR_ERROR: (
        "На странице не нашлось нужных элементов: скорее всего, сайт изменил оформление. "
        "Настройки источника нужно обновить."
    ),
    ROBOTS_DISALLOWED: "Правила сайта (robots.txt) запрещают программам обходить эту страницу.",
    UNSAFE_TARGET: "Адрес ведёт во внутреннюю сеть; такие адреса не открываются.",
    SETTINGS_ERROR: "Настройки источника заполнены с ошибкой. Исправьте их в карточке источника.",
    CRAWL_FAILED: (
        "Обход сайтов прервался раньше, чем закончился этот источник; повторим при следующем запуске."
    ),
    NOT_FOUND: "Такого источника нет (он удалён или указано неверное имя).",
    STORAGE_ERROR: "Материалы не удалось сохранить в базу данных. Сообщите ответственному за сервис.",
}

#: every known code
OUTCOMES: tuple[str, ...] = tuple(OUTCOME_EXPLANATIONS)


def is_failure(code: str | None) -> bool:
    """True for every code except ``ok`` and ``not_modified`` (an unknown code is a failure)."""
    return code is not None and code not in SUCCESSES


def label(code: str | None) -> str:
    """The short Russian name of ``code`` (the code itself when unknown; «ещё не проверялся» for None)."""
    if code is None:
        return "ещё не проверялся"
    return OUTCOME_LABELS.get(code, code)


def explain(code: str | None, detail: str | None = None) -> str:
    """Plain Russian for a person: what happened and what to do, then the technical detail, if any."""
    if code is None:
        text = "Источник ещё не проверялся."
    else:
        text = OUTCOME_EXPLANATIONS.get(code, f"Проверка закончилась с кодом «{code}».")
    detail = (detail or "").strip()
    if detail and detail != code:
        text += f" Подробности: {detail}"
    return text
