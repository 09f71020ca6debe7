"""Link statuses and what they mean for a librarian (Russian). Data only; imports nothing.

The one owner of this vocabulary: the checker, the catalogue page, the link report, the weekly
digest, the CLI and the web interface import these names (through ``ecitizen.archive``) instead
of keeping their own lists.
"""

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

#: statuses for which a person must look at the link (plus links with an unseen "changed" event);
#: the link report, the weekly digest and the web dashboard count the same links
NEEDS_PERSON: frozenset[str] = frozenset({MOVED, BROKEN, SOFT_404, TLS_ERROR})

#: the event kind of a page whose text changed noticeably (it needs a person, whatever its status)
CHANGED = "changed"

#: confirmed gone: not offered on the public catalogue page (a QR code to a dead page is the failure)
HIDDEN_FROM_PUBLIC: frozenset[str] = frozenset({BROKEN, SOFT_404, DNS_ERROR})

#: shown on the public page at the new address (where the last check ended: the permanent
#: redirect's target), until a person accepts the move (``links apply-moves``)
SHOWN_WITH_NEW_URL: frozenset[str] = frozenset({MOVED})

#: the detail of a link whose redirects come back to an address already visited (``broken``)
REDIRECT_LOOP_DETAIL = "циклическое перенаправление: сайт перенаправляет по кругу, страница не открывается"

STATUS_EXPLANATIONS: dict[str, str] = {
    UNCHECKED: "Ссылка ещё не проверялась.",
    OK: "Ссылка работает: страница открывается.",
    REDIRECTED: "Ссылка работает, но сайт временно перенаправляет на другой адрес. Менять ссылку не нужно.",
    MOVED: (
        "Страница переехала на новый адрес. Проверьте предложенный адрес и замените ссылку "
        "(кнопка «Принять новый адрес» на странице ссылки), чтобы QR-коды вели на нужную страницу."
    ),
    BROKEN: (
        "Страница удалена или не найдена (ошибка 404/410) либо сайт перенаправляет по кругу "
        "(циклическое перенаправление) при нескольких проверках подряд. "
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

#: why a link needs a person, as the report and the digest list it (NEEDS_PERSON and CHANGED)
ATTENTION_REASONS: dict[str, str] = {
    MOVED: "страница переехала",
    BROKEN: "страница не найдена",
    SOFT_404: "«страница не найдена»",
    TLS_ERROR: "ошибка сертификата",
    CHANGED: "изменился текст страницы",
}

CHANGED_EXPLANATION = "Текст страницы заметно изменился: проверьте, что ссылка всё ещё ведёт на нужную информацию."

#: the short note beside a link with a temporary problem on the public catalogue page
PUBLIC_NOTES: dict[str, str] = {
    BROKEN: "страница сейчас недоступна",
    SOFT_404: "страница сейчас недоступна",
    SERVER_ERROR: "сайт сейчас отвечает с ошибкой",
    DNS_ERROR: "сайт сейчас недоступен",
    CONNECTION_ERROR: "сайт сейчас недоступен",
    TIMEOUT: "сайт сейчас отвечает медленно",
}
