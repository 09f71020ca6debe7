"""Table-driven tests of the pure decisions: classify_check, next_state, change detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecitizen.archive import status as st
from ecitizen.archive.decide import (
    CheckOutcome,
    HostBaseline,
    LinkState,
    Observation,
    StateRules,
    classify_check,
    decide_change,
    next_state,
    prefers_head,
)
from ecitizen.archive.textdiff import changed_share, normalise_text, readable_diff

U = "https://www.gosuslugi.ru/help/passport"
NOT_FOUND_BASE = HostBaseline(200, None, "Ой! Такой страницы у нас нет. Вернитесь на главную. Меню Услуги Контакты")


@pytest.mark.parametrize(
    ("obs", "outcome", "proposed"),
    [
        (Observation(U, status=200, title="Загранпаспорт"), st.OK, None),
        (Observation(U, status=404), st.BROKEN, None),
        (Observation(U, status=410), st.BROKEN, None),
        (Observation(U, status=400), st.BROKEN, None),
        (Observation(U, status=500), st.SERVER_ERROR, None),
        (Observation(U, status=502), st.SERVER_ERROR, None),
        (Observation(U, status=401), st.BLOCKED, None),
        (Observation(U, status=403), st.BLOCKED, None),
        (Observation(U, status=429, retry_after=120), st.BLOCKED, None),
        (Observation(U, status=503, title="DDoS-Guard"), st.BLOCKED, None),
        (Observation(U, status=200, title="Just a moment...", text="Checking your browser before accessing"),
         st.BLOCKED, None),
        (Observation(U, status=200, title="Страница не найдена"), st.SOFT_404, None),
        (Observation(U, status=200, title="Портал", h1="Ошибка 404"), st.SOFT_404, None),
        (Observation(U, status=200, title="Портал", text="К сожалению, запрашиваемая страница не найдена."),
         st.SOFT_404, None),
        # a long article that merely mentions the phrase is not a soft 404
        (Observation(U, status=200, title="Как восстановить пароль",
                     text="Если вы видите «страница не найдена», обновите ссылку. " + "Подробный текст. " * 80),
         st.OK, None),
        # same text as the host's answer for a random path
        (Observation(U, status=200, title="Портал", text=NOT_FOUND_BASE.text, baseline=NOT_FOUND_BASE), st.SOFT_404,
         None),
        (Observation(U, status=200, title="Портал", text="Заграничный паспорт нового поколения: как подать заявление",
                     baseline=NOT_FOUND_BASE), st.OK, None),
        # a deep page permanently redirected to the site root: the page is gone
        (Observation(U, status=200, final_url="https://www.gosuslugi.ru/",
                     redirects=((301, "https://www.gosuslugi.ru/"),)), st.SOFT_404, None),
        (Observation(U, status=200, final_url="https://www.gosuslugi.ru/help/zagran",
                     redirects=((301, "https://www.gosuslugi.ru/help/zagran"),)),
         st.MOVED, "https://www.gosuslugi.ru/help/zagran"),
        (Observation(U, status=200, final_url="https://www.gosuslugi.ru/help/zagran",
                     redirects=((302, "https://x/a"), (308, "https://www.gosuslugi.ru/help/zagran"))),
         st.MOVED, "https://www.gosuslugi.ru/help/zagran"),
        (Observation(U, status=200, final_url="https://www.gosuslugi.ru/help/passport?session=1",
                     redirects=((302, "https://www.gosuslugi.ru/help/passport?session=1"),)), st.REDIRECTED, None),
        # a trailing slash or http→https redirect is not a move
        (Observation("http://www.gosuslugi.ru/help/passport", status=200, final_url=U + "/",
                     redirects=((301, U + "/"),)), st.OK, None),
        # a service page that sends visitors to the ESIA login: the page exists, the checker cannot see it
        (Observation(U, status=200, final_url="https://esia.gosuslugi.ru/login/",
                     redirects=((302, "https://esia.gosuslugi.ru/login/"),)), st.BLOCKED, None),
        (Observation(U, status=200, final_url="https://www.gosuslugi.ru/auth?next=/help",
                     redirects=((302, "https://www.gosuslugi.ru/auth?next=/help"),)), st.BLOCKED, None),
        (Observation(U, status=200, canonical="/help/zagran-new"), st.MOVED, "https://www.gosuslugi.ru/help/zagran-new"),
        (Observation(U, status=200, canonical=U), st.OK, None),
        (Observation(U, error="timeout"), st.TIMEOUT, None),
        (Observation(U, error="dns"), st.DNS_ERROR, None),
        (Observation(U, error="connect"), st.CONNECTION_ERROR, None),
        (Observation(U, error="tls", error_detail="self-signed certificate"), st.TLS_ERROR, None),
        (Observation(U, error="redirect_loop"), st.BROKEN, None),
        (Observation(U, error="too_many_redirects"), st.BROKEN, None),
        (Observation(U, status=None), st.CONNECTION_ERROR, None),
    ],
)
def test_classify_check(obs: Observation, outcome: str, proposed: str | None) -> None:
    result = classify_check(obs)
    assert result.outcome == outcome, result.detail
    assert result.proposed_url == proposed
    assert result.detail  # always a Russian reason for the librarian


T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
RULES = StateRules(broken_after_failures=2, check_interval=timedelta(hours=24), confirm_after=timedelta(hours=6))
OK = CheckOutcome(st.OK, "ok", http_status=200)
GONE = CheckOutcome(st.BROKEN, "404", http_status=404)
TLS = CheckOutcome(st.TLS_ERROR, "tls")
MOVED = CheckOutcome(st.MOVED, "moved", proposed_url="https://new/")


@pytest.mark.parametrize(
    ("state", "outcome", "status", "failures", "events", "next_in"),
    [
        (LinkState(), OK, st.OK, 0, (), 24),
        (LinkState(), GONE, st.UNCHECKED, 1, (), 6),  # one bad minute is not an alarm
        (LinkState(st.OK, T0, 0), GONE, st.OK, 1, (), 6),
        (LinkState(st.OK, T0, 1), GONE, st.BROKEN, 2, ("broken",), 24),
        (LinkState(st.BROKEN, T0, 2), GONE, st.BROKEN, 3, (), 24),  # no repeated alarm
        (LinkState(st.BROKEN, T0, 3), OK, st.OK, 0, ("recovered",), 24),
        (LinkState(st.OK, T0, 1), OK, st.OK, 0, (), 24),  # flapping: failure then success resets
        (LinkState(st.OK, T0, 1), TLS, st.TLS_ERROR, 2, ("broken",), 24),
        (LinkState(st.OK, T0, 0), MOVED, st.MOVED, 0, ("moved",), 24),
        (LinkState(st.MOVED, T0, 0, "https://new/"), MOVED, st.MOVED, 0, (), 24),  # same proposal: no new event
    ],
)
def test_next_state(state: LinkState, outcome: CheckOutcome, status: str, failures: int,
                    events: tuple[str, ...], next_in: int) -> None:
    now = T0 + timedelta(days=1)
    tr = next_state(state, outcome, RULES, now)
    assert tr.state.status == status
    assert tr.state.consecutive_failures == failures
    assert tuple(e.kind for e in tr.events) == events
    assert tr.next_check_at == now + timedelta(hours=next_in)


def test_status_since_kept_while_status_holds() -> None:
    tr = next_state(LinkState(st.OK, T0, 0), OK, RULES, T0 + timedelta(days=3))
    assert tr.state.status_since == T0
    tr = next_state(LinkState(st.OK, T0, 1), GONE, RULES, T0 + timedelta(days=3))
    assert tr.state.status_since == T0 + timedelta(days=3)


def test_broken_after_three() -> None:
    rules = StateRules(broken_after_failures=3)
    state = LinkState(st.OK, T0)
    for _ in range(2):
        state = next_state(state, GONE, rules, T0).state
        assert state.status == st.OK
    assert next_state(state, GONE, rules, T0).state.status == st.BROKEN


def test_every_status_has_a_russian_explanation() -> None:
    for s in st.STATUSES:
        assert any("а" <= ch <= "я" for ch in st.STATUS_EXPLANATIONS[s].lower())
        assert st.STATUS_LABELS[s]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Обновлено 12 августа 2026 года, 16:30. Просмотров: 1 234.", "Обновлено 3 сентября 2026 года, 09:05. Просмотров: 98 765."),
        ("Дата: 19.08.2026", "Дата: 20.08.2026"),
        ("sid=a8f9c0d1e2f3a4b5c6d7e8", "sid=ffee00112233445566aabb"),
        ("Изменено 2026-08-19T10:00:00+03:00", "Изменено 2026-09-01T11:30:00+03:00"),
        ("Сегодня, 14:30", "Вчера, 09:15"),
    ],
)
def test_noise_is_normalised_away(old: str, new: str) -> None:
    assert normalise_text(old) == normalise_text(new)
    assert changed_share(old, new) == 0.0


def test_decide_change() -> None:
    old = "Заграничный паспорт нового поколения оформляется на 10 лет.\nГоспошлина 6000 рублей.\nСрок — месяц."
    same_with_noise = old.replace("6000", "6 000").replace("10", "11")
    assert decide_change(old, same_with_noise, 0.05) is None
    new = "Заграничный паспорт нового поколения больше не оформляется через портал.\nОбратитесь в МФЦ."
    d = decide_change(old, new, 0.05, title="Загранпаспорт")
    assert d is not None and d.share > 0.05
    assert "Загранпаспорт" in d.summary
    assert "-Госпошлина" in d.diff_text and "+Обратитесь в МФЦ." in d.diff_text
    assert decide_change(None, new, 0.05) is None  # first sight: baseline only


def test_readable_diff_is_sentence_level() -> None:
    diff = readable_diff("Раз. Два. Три.", "Раз. Четыре. Три.")
    assert diff.splitlines()[0] == "--- было"
    assert "-Два." in diff and "+Четыре." in diff and " Раз." in diff


@pytest.mark.parametrize(
    ("url", "head"),
    [("https://x.ru/files/blank.pdf", True), ("https://x.ru/a.DOCX", True), ("https://x.ru/page", False),
     ("https://x.ru/news.html", False), ("https://x.ru/", False)],
)
def test_prefers_head(url: str, head: bool) -> None:
    assert prefers_head(url) is head


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), ("0", 0.0), (None, None), ("soon", None),
     ("Wed, 25 Nov 2026 06:01:00 GMT", 60.0), ("Wed, 25 Nov 2026 05:00:00 GMT", 0.0)],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    from ecitizen.archive.probe import parse_retry_after

    assert parse_retry_after(value, now=T0.timestamp()) == seconds


@pytest.mark.parametrize(
    ("body", "charset", "expected"),
    [
        ("Пенсия".encode("cp1251"), "windows-1251", "Пенсия"),
        ('<meta charset="koi8-r"><p>Пенсия'.encode("koi8-r"), None, '<meta charset="koi8-r"><p>Пенсия'),
        ("Пенсия".encode()[:-1], None, "Пенси\ufffd"),  # cut in the middle of the last letter by the cap
        ("Пенсия".encode(), "no-such-charset", "Пенсия"),
        (("Государственные услуги для пенсионеров. " * 20).encode("cp1251"), None,
         "Государственные услуги для пенсионеров. " * 20),
    ],
)
def test_decode_body(body: bytes, charset: str | None, expected: str) -> None:
    from ecitizen.archive.page import decode_body

    assert decode_body(body, charset) == expected
