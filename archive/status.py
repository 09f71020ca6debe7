"""Link statuses and what they mean for a librarian (Russian). Data only; imports nothing."""

from __future__ import annotations

OK = "ok"
REDIRECTED = "redirected"
MOVED = "moved"
BROKEN = "broken"
SOFT_404 = "soft_404"
SERVER_ERROR = "server_error"
BLOCKED = "blocked"
TIMEOUT = "timeout"
DNS_ERROR = "dns_error"
CONNECTION_ERROR = "connection_error"
TLS_ERROR = "tls_error"
UNCHECKED = "unchecked"

#: every status a link can have (``unchecked`` until its first confirmed result)
STATUSES: tuple[str, ...] = (
    UNCHECKED, OK, REDIRECTED, MOVED, BROKEN, SOFT_404, SERVER_ERROR, BLOCKED, TIMEOUT, DNS_ERROR,
    CONNECTION_ERROR, TLS_ERROR,
)

#: outcomes of one check that count as a failure (the N-consecutive-failures rule applies)
FAILURES: frozenset[str] = frozenset(
    {BROKEN, SOFT_404, SERVER_ERROR, BLOCKED, TIMEOUT, DNS_ERROR, CONNECTION_ERROR, TLS_ERROR}
)

#: statuses for which a person must look at the link (plus links with a "changed" event)
NEEDS_PERSON: frozenset[str] = frozenset({MOVED, BROKEN, SOFT_404, TLS_ERROR})

STATUS_EXPLANATIONS: dict[str, str] = {
    UNCHECKED: "Ссылка ещё не проверялась.",
    OK: "Ссылка работает: страница открывается.",
    REDIRECTED: "Ссылка работает, но сайт временно перенаправляет на другой адрес. Менять ссылку не нужно.",
    MOVED: (
        "Страница переехала на новый адрес. Проверьте предложенный адрес и замените ссылку "
        "(команда «ecitizen links apply-moves»), чтобы QR-коды вели на нужную страницу."
    ),
    BROKEN: (
        "Страница удалена или не найдена (ошибка 404/410) при нескольких проверках подряд. "
        "Найдите новую страницу на сайте ведомства или уберите ссылку из каталога."
    ),
    SOFT_404: (
        "Сайт открывается, но вместо нужной страницы показывает «страница не найдена» или главную. "
        "Скорее всего, страницу убрали: найдите новую или уберите ссылку."
    ),
    SERVER_ERROR: (
        "Сайт ведомства отвечает ошибкой (сбой на стороне сайта). Обычно это временно; "
        "если повторяется несколько дней — сообщите ответственному."
    ),
    BLOCKED: (
        "Сайт не пускает программу проверки (требует входа, показывает проверку «я не робот» или "
        "запрещает доступ). Страница, скорее всего, существует: проверьте её вручную в браузере."
    ),
    TIMEOUT: "Сайт не ответил вовремя. Возможно, он перегружен или недоступен из нашей сети; проверим ещё раз.",
    DNS_ERROR: "Адрес сайта не найден (имя домена не существует или не отвечает). Проверьте написание адреса.",
    CONNECTION_ERROR: (
        "Не удалось соединиться с сайтом (соединение отклонено или оборвано). Возможно, сайт "
        "недоступен из нашей сети; проверьте в браузере."
    ),
    TLS_ERROR: (
        "Сертификат безопасности сайта не прошёл проверку (не доверен, просрочен или выдан другому "
        "сайту). Многие государственные сайты используют сертификаты Минцифры (Russian Trusted "
        "Root CA): страница может работать в браузере с установленным сертификатом. Это не значит, "
        "что страница удалена."
    ),
}

#: Russian names of the statuses for lists and reports
STATUS_LABELS: dict[str, str] = {
    UNCHECKED: "не проверялась",
    OK: "работает",
    REDIRECTED: "временное перенаправление",
    MOVED: "переехала",
    BROKEN: "не найдена",
    SOFT_404: "«страница не найдена»",
    SERVER_ERROR: "ошибка сайта",
    BLOCKED: "доступ ограничен",
    TIMEOUT: "нет ответа",
    DNS_ERROR: "домен не найден",
    CONNECTION_ERROR: "нет соединения",
    TLS_ERROR: "ошибка сертификата",
}
