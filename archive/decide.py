"""Pure decisions of the link checker. No I/O, no clock, no database.

* :func:`classify_check` — one observation of a URL (what the HTTP adapter saw) → the raw
  outcome of this check with a Russian detail and, for moves, the proposed URL.
* :func:`next_state` — the link's state + one outcome → the new state and the events a person
  should see (the N-consecutive-failures rule, moved, broken, recovered).
* :func:`decide_change` — old and new main text → a "changed" decision with a readable diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from ecitizen.archive import status as st
from ecitizen.archive.textdiff import changed_share, readable_diff, similarity
from ecitizen.urls import canonical_url

PERMANENT_REDIRECTS = frozenset({301, 308})
TEMPORARY_REDIRECTS = frozenset({302, 303, 307})

#: phrases of a "page not found" page (checked in the title, the first heading, a short text)
NOT_FOUND_SIGNATURES: tuple[str, ...] = (
    "страница не найдена", "страница не существует", "страницы не существует", "ошибка 404",
    "404 not found", "page not found", "not found", "запрашиваемая страница не найдена",
    "документ не найден", "страница удалена", "такой страницы нет", "ничего не найдено по адресу",
)
#: phrases of an anti-bot / challenge page
CHALLENGE_SIGNATURES: tuple[str, ...] = (
    "checking your browser", "just a moment...", "ddos-guard", "ddos guard", "проверка браузера",
    "подтвердите, что вы не робот", "я не робот", "attention required", "cf-challenge",
    "servicepipe", "qrator", "access denied", "доступ запрещён", "доступ запрещен", "captcha",
)
#: a redirect ending here means "log in first" (ESIA is the login of gosuslugi.ru)
LOGIN_PAGE = re.compile(r"(^https?://esia\.gosuslugi\.ru/)|/(login|signin|sign-in|auth|idp|sso)(/|\?|$)", re.I)
#: a page whose visible text is at most this long can be judged by a signature in its text
SHORT_PAGE_CHARS = 600
#: a page this similar to the host's answer for a random path is that host's "not found" page
SOFT_404_SIMILARITY = 0.9


@dataclass(frozen=True)
class HostBaseline:
    """What a host answers for a random path that cannot exist (fetched once per host per run)."""

    status: int | None
    final_url: str | None
    text: str = ""


@dataclass(frozen=True)
class Observation:
    """Everything the adapter saw for one URL (after its retries)."""

    url: str
    method: str = "GET"
    status: int | None = None
    final_url: str | None = None
    #: the redirect chain: (status, absolute target URL) per hop
    redirects: tuple[tuple[int, str], ...] = ()
    #: adapter-level failure: timeout | dns | connect | tls | redirect_loop | too_many_redirects |
    #: bad_redirect | refused (a private-network target)
    error: str | None = None
    error_detail: str = ""
    content_type: str = ""
    title: str = ""
    h1: str = ""
    text: str = ""
    canonical: str | None = None
    retry_after: float | None = None
    elapsed_ms: int | None = None
    attempts: int = 1
    baseline: HostBaseline | None = None


@dataclass(frozen=True)
class CheckOutcome:
    outcome: str
    detail: str = ""
    proposed_url: str | None = None
    http_status: int | None = None
    final_url: str | None = None


_ERROR_OUTCOMES: dict[str, tuple[str, str]] = {
    "timeout": (st.TIMEOUT, "сайт не ответил за отведённое время"),
    "dns": (st.DNS_ERROR, "имя сайта не найдено (DNS)"),
    "connect": (st.CONNECTION_ERROR, "соединение не установлено или оборвано"),
    "tls": (st.TLS_ERROR, "сертификат сайта не прошёл проверку"),
    "redirect_loop": (st.BROKEN, st.REDIRECT_LOOP_DETAIL),
    "too_many_redirects": (st.BROKEN, "слишком длинная цепочка перенаправлений: страница так и не открылась"),
    "bad_redirect": (st.SERVER_ERROR, "сайт перенаправляет на неверный адрес"),
    #: a hop to a private-network address (or not http): never requested (see ecitizen.netguard)
    "refused": (st.BLOCKED, "адрес в частной сети (внутренний, локальный или служебный): запрос запрещён настройками"),
}


def _has_signature(haystack: str, signatures: tuple[str, ...]) -> str | None:
    low = haystack.lower()
    for sig in signatures:
        if sig in low:
            return sig
    return None


def _is_root(url: str) -> bool:
    return urlsplit(url).path in ("", "/") and not urlsplit(url).query


def _same_target(a: str, b: str) -> bool:
    """Same page after canonicalisation, ignoring a trailing slash and http→https."""
    ca, cb = urlsplit(canonical_url(a)), urlsplit(canonical_url(b))
    return (ca.netloc, ca.path.rstrip("/") or "/", ca.query) == (cb.netloc, cb.path.rstrip("/") or "/", cb.query)


def is_challenge(obs: Observation) -> str | None:
    head = f"{obs.title}\n{obs.h1}\n{obs.text[:SHORT_PAGE_CHARS * 2]}"
    return _has_signature(head, CHALLENGE_SIGNATURES)


def soft_404_reason(obs: Observation) -> str | None:
    """Why a 200 page is really a "not found" page, or ``None``."""
    sig = _has_signature(f"{obs.title}\n{obs.h1}", NOT_FOUND_SIGNATURES)
    if sig:
        return f"заголовок страницы: «{(obs.title or obs.h1)[:120]}»"
    if len(obs.text) <= SHORT_PAGE_CHARS:
        sig = _has_signature(obs.text, NOT_FOUND_SIGNATURES)
        if sig:
            return f"на странице написано «{sig}»"
    if obs.redirects and _is_root(obs.final_url or "") and not _is_root(obs.url):
        return "вместо страницы сайт открывает свою главную страницу"
    base = obs.baseline
    if base is not None and base.status is not None and 200 <= base.status < 300:
        if obs.final_url and base.final_url and obs.redirects and _same_target(obs.final_url, base.final_url):
            return "сайт перенаправляет туда же, куда и несуществующие адреса"
        if obs.text and base.text and similarity(obs.text, base.text) >= SOFT_404_SIMILARITY:
            return "страница совпадает с ответом сайта на заведомо несуществующий адрес"
    return None


def classify_check(obs: Observation) -> CheckOutcome:
    """The raw outcome of one check (before the N-consecutive-failures rule)."""
    final = obs.final_url or obs.url
    code = obs.status

    def out(outcome: str, detail: str, proposed: str | None = None) -> CheckOutcome:
        return CheckOutcome(outcome, detail, proposed, code, final)

    if obs.error:
        outcome, detail = _ERROR_OUTCOMES.get(obs.error, (st.CONNECTION_ERROR, "ошибка соединения"))
        if obs.error_detail:
            detail = f"{detail}: {obs.error_detail}"
        return out(outcome, detail)
    if code is None:
        return out(st.CONNECTION_ERROR, "сайт не прислал ответ")
    challenge = is_challenge(obs) if code in (200, 403, 429, 503) else None
    if code in (401, 407):
        return out(st.BLOCKED, f"сайт требует входа (HTTP {code})")
    if code in (403, 451) or (challenge and code != 404):
        reason = f"проверка «я не робот» ({challenge})" if challenge else f"доступ запрещён (HTTP {code})"
        return out(st.BLOCKED, reason)
    if code == 429:
        wait = f", просит подождать {int(obs.retry_after)} с" if obs.retry_after else ""
        return out(st.BLOCKED, f"сайт ограничивает частоту запросов (HTTP 429{wait})")
    if code in (404, 410):
        return out(st.BROKEN, "страница удалена (HTTP 410)" if code == 410 else "страница не найдена (HTTP 404)")
    if 500 <= code < 600:
        return out(st.SERVER_ERROR, f"ошибка на стороне сайта (HTTP {code})")
    if 400 <= code < 500:
        return out(st.BROKEN, f"сайт отклонил запрос (HTTP {code})")
    if 300 <= code < 400:
        return out(st.SERVER_ERROR, f"перенаправление без нового адреса (HTTP {code})")
    # 2xx (and 1xx, which the adapter never returns as final)
    soft = soft_404_reason(obs)
    if soft:
        return out(st.SOFT_404, soft)
    if obs.redirects and LOGIN_PAGE.search(final) and not LOGIN_PAGE.search(obs.url):
        return out(st.BLOCKED, f"страница открывается только после входа (перенаправление на {final[:120]})")
    permanent = [target for hop_status, target in obs.redirects if hop_status in PERMANENT_REDIRECTS]
    if permanent and not _same_target(obs.url, final):
        return out(st.MOVED, f"постоянное перенаправление на {final}", canonical_url(final))
    if obs.canonical:
        try:
            canon = canonical_url(obs.canonical, base=final)
        except ValueError:  # a canonical link with an invalid host is ignored
            canon = ""
        if urlsplit(canon).scheme in ("http", "https") and not _same_target(canon, final):
            return out(st.MOVED, f"страница указывает свой основной адрес: {canon}", canon)
    if obs.redirects and not _same_target(obs.url, final):
        return out(st.REDIRECTED, f"временное перенаправление на {final}")
    return out(st.OK, f"страница открывается (HTTP {code})")


# -- state -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkState:
    status: str = st.UNCHECKED
    status_since: datetime | None = None
    consecutive_failures: int = 0
    proposed_url: str | None = None
    status_detail: str = ""


@dataclass(frozen=True)
class StateRules:
    broken_after_failures: int = 2
    check_interval: timedelta = timedelta(hours=24)
    #: a link that failed once (not yet confirmed) is rechecked after this much time
    confirm_after: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class Event:
    kind: str  # changed | moved | broken | recovered
    summary: str
    diff_text: str | None = None


@dataclass(frozen=True)
class Transition:
    state: LinkState
    next_check_at: datetime
    events: tuple[Event, ...] = field(default_factory=tuple)


def next_state(state: LinkState, outcome: CheckOutcome, rules: StateRules, now: datetime) -> Transition:
    """Apply one check outcome to a link's state.

    A failure changes the status only after ``broken_after_failures`` consecutive failures, so one
    bad minute does not become an alarm; until then the previous status stays and the link is
    rechecked sooner. A success resets the counter at once. A move proposes the new URL at once
    (a permanent redirect is not a fluke).
    """
    events: list[Event] = []
    label = st.STATUS_LABELS.get(outcome.outcome, outcome.outcome)
    if outcome.outcome in st.FAILURES:
        failures = state.consecutive_failures + 1
        if failures < rules.broken_after_failures:
            new = replace(
                state, consecutive_failures=failures,
                status_detail=f"неудачная проверка {failures} из {rules.broken_after_failures}: {outcome.detail}",
            )
            return Transition(new, now + min(rules.confirm_after, rules.check_interval), ())
        if state.status != outcome.outcome:
            events.append(Event("broken", f"Ссылка не работает: {label} — {outcome.detail}"))
            since = now
        else:
            since = state.status_since or now
        new = LinkState(outcome.outcome, since, failures, state.proposed_url, outcome.detail)
        return Transition(new, now + rules.check_interval, tuple(events))

    # a success of some kind: ok, redirected, moved
    was_failing = state.status in st.FAILURES
    since = state.status_since if state.status == outcome.outcome and state.status_since else now
    proposed = outcome.proposed_url if outcome.outcome == st.MOVED else None
    if outcome.outcome == st.MOVED and proposed and proposed != state.proposed_url:
        events.append(Event("moved", f"Страница переехала: новый адрес {proposed}"))
    elif was_failing:
        events.append(Event("recovered", f"Ссылка снова работает ({label})"))
    new = LinkState(outcome.outcome, since, 0, proposed, outcome.detail)
    return Transition(new, now + rules.check_interval, tuple(events))


# -- change detection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeDecision:
    share: float
    diff_text: str
    summary: str


def decide_change(old_text: str | None, new_text: str, threshold: float, *, title: str = "") -> ChangeDecision | None:
    """A "changed" event when the normalised main text changed by more than ``threshold``."""
    if not old_text or not new_text.strip():
        return None
    share = changed_share(old_text, new_text)
    if share <= threshold:
        return None
    name = f"«{title}»" if title else "страницы"
    summary = f"Изменился текст {name}: изменено около {round(share * 100)}% текста"
    return ChangeDecision(share, readable_diff(old_text, new_text), summary)


def resolve_location(base: str, location: str) -> str:
    return urljoin(base, location.strip())


FILE_EXTENSIONS = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z|jpe?g|png|gif|mp[34]|avi)$", re.I)


def prefers_head(url: str) -> bool:
    """HEAD first for files (documents, archives, media): their body is not needed.

    Web pages are fetched with a capped GET at once: the soft-404 and change checks need their
    text, and a capped GET costs the same one round trip as a HEAD.
    """
    path = url.split("?", 1)[0].split("#", 1)[0]
    return bool(FILE_EXTENSIONS.search(path))
