from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ecitizen.classify import ServiceRule, TopicRule, classify, match_topics
from ecitizen.dates import format_ru_date, parse_date

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 августа 2026 года, 16:30", datetime(2026, 8, 12, 16, 30, tzinfo=MSK)),
        ("25 ноября 2026", datetime(2026, 11, 25, tzinfo=MSK)),
        ("19.08.2026", datetime(2026, 8, 19, tzinfo=MSK)),
        ("25.11.2026 14:30", datetime(2026, 11, 25, 14, 30, tzinfo=MSK)),
        ("сегодня, 14:30", datetime(2026, 11, 25, 14, 30, tzinfo=MSK)),
        ("вчера в 09:15", datetime(2026, 11, 24, 9, 15, tzinfo=MSK)),
        ("2026-08-12", datetime(2026, 8, 12, tzinfo=MSK)),
        ("2026-08-19T10:00:00+04:00", datetime(2026, 8, 19, 6, 0, tzinfo=UTC)),
        ("2026-08-19T16:36:57+03:00", datetime(2026, 8, 19, 13, 36, 57, tzinfo=UTC)),
        ("Wed, 25 Nov 2026 10:00:00 +0300", datetime(2026, 11, 25, 7, 0, tzinfo=UTC)),
        ("1 день назад", datetime(2026, 11, 24, 13, 0, tzinfo=MSK)),
    ],
)
def test_parse_date(text: str, expected: datetime) -> None:
    got = parse_date(text, tz=MSK, now=NOW)
    assert got is not None and got.tzinfo is not None
    assert got == expected


@pytest.mark.parametrize("text", ["", None, "не дата", "99.99.2026"])
def test_parse_date_unreadable(text: str | None) -> None:
    assert parse_date(text, tz=MSK, now=NOW) is None


def test_format_ru_date() -> None:
    assert format_ru_date(datetime(2026, 11, 25)) == "25 ноября 2026 г."


PENSIONS = TopicRule("pensions", ("пенсия", "СФР", "социальный фонд"))
DOCTOR = TopicRule("doctor", ("врач", "запись к врачу"))


@pytest.mark.parametrize(
    ("text", "topic", "matched"),
    [
        ("Размер пенсии вырастет", "pensions", "пенсии"),
        ("Пенсионный калькулятор", "pensions", "пенсионный"),
        ("Как получить пенсию", "pensions", "пенсию"),
        ("Новости СФР", "pensions", "сфр"),
        ("Отделение Социального фонда", "pensions", "социальный фонд"),
        ("Запись к врачу через портал", "doctor", "врачу"),
    ],
)
def test_topics_match_word_forms(text: str, topic: str, matched: str) -> None:
    hits = {m.id: m for m in match_topics(text, [PENSIONS, DOCTOR])}
    assert topic in hits
    assert matched in hits[topic].matched


@pytest.mark.parametrize("text", ["Сфера услуг", "Соцсети", "Пенальти и штрафы"])
def test_topics_no_false_match(text: str) -> None:
    assert "pensions" not in {m.id for m in match_topics(text, [PENSIONS])}


def test_new_service_rules_fire_with_explanation() -> None:
    rules = [ServiceRule("now-possible", ("теперь можно",)), ServiceRule("launched", ("запущен сервис",))]
    c = classify("Теперь можно подать заявление на пенсию онлайн", [PENSIONS], rules)
    assert c.is_new_service and c.new_service_rule == "now-possible" and c.new_service_phrase == "теперь можно"
    assert not classify("Можно ли теперь", [PENSIONS], rules).is_new_service


def test_stemming_is_thread_safe() -> None:
    """Snowball stemmers keep state between calls; threads must not corrupt each other's stems."""
    from concurrent.futures import ThreadPoolExecutor

    from ecitizen import classify

    words = [f"пенсионн{suffix}{i}" for i in range(3000) for suffix in ("ый", "ая", "ого")]
    classify.stem.cache_clear()
    serial = [classify.stem(w) for w in words]
    classify.stem.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(classify.stem, words, chunksize=7))
    assert parallel == serial
