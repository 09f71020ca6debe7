from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ecitizen.classify import ServiceRule, TopicMatch, TopicRule, classify, match_topics, topics_json
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
TICKETS = TopicRule("transport", ("электронный билет",))


@pytest.mark.parametrize(
    ("text", "topic", "matched"),
    [
        ("Размер пенсии вырастет", "pensions", "пенсии"),
        ("Пенсионный калькулятор", "pensions", "пенсионный"),
        ("Как получить пенсию", "pensions", "пенсию"),
        ("Новости СФР", "pensions", "сфр"),
        ("Отделение Социального фонда", "pensions", "социальный фонд"),
        ("Запись к врачу через портал", "doctor", "врачу"),
        # a phrase's later word matched as a prefix («билетики» → «билетик», the phrase's «билет»)
        ("Электронные билетики на автобус", "transport", "электронный билет"),
    ],
)
def test_topics_match_word_forms(text: str, topic: str, matched: str) -> None:
    hits = {m.id: m for m in match_topics(text, [PENSIONS, DOCTOR, TICKETS])}
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


# --- ambiguous keywords, exclusions, scores ---------------------------------------------------

DOCTOR_RULE = TopicRule(
    "doctor",
    ("запись к врачу",),
    requires_context=("врач", "поликлиника", "медицинский"),
    context=("запись", "записаться", "госуслуги", "онлайн"),
    exclude=("доктор медицинских наук",),
)
TRANSPORT_RULE = TopicRule("transport", (), ("транспорт", "автобус"), ("онлайн", "приложение"), ("транспортное средство",))


@pytest.mark.parametrize(
    ("text", "rules", "expected"),
    [
        # an ambiguous keyword alone does not count; with a context word it does
        ("Врач рассказал, как париться в бане", [DOCTOR_RULE], set()),
        ("Как записаться к врачу в поликлинику", [DOCTOR_RULE], {"doctor"}),
        ("Поликлиника открыла онлайн-приём", [DOCTOR_RULE], {"doctor"}),
        # a keyword needs no context
        ("Запись к врачу", [DOCTOR_RULE], {"doctor"}),
        # an excluded phrase's words count neither as keyword nor as context
        ("На вопросы отвечает доктор медицинских наук", [DOCTOR_RULE], set()),
        ("Автобус онлайн: где он сейчас", [TRANSPORT_RULE], {"transport"}),
        ("Регистрация транспортного средства онлайн", [TRANSPORT_RULE], set()),
        # the context word must be another word than the keyword itself
        ("Онлайн", [TopicRule("t", (), ("онлайн",), ("онлайн",))], set()),
    ],
)
def test_context_and_exclusions(text: str, rules: list[TopicRule], expected: set[str]) -> None:
    assert {m.id for m in match_topics(text, rules)} == expected


def test_a_match_says_why_and_what_was_set_aside() -> None:
    c = classify("Идите в баню!\nРассказывает врач-физиотерапевт медицинского центра", [DOCTOR_RULE], [])
    assert c.topics == () and c.relevance == 0.0
    assert {(a.topic, a.keyword, a.why) for a in c.set_aside} == {
        ("doctor", "врач", "нет контекста"), ("doctor", "медицинский", "нет контекста")}
    c = classify("Поликлиника № 4: запись через Госуслуги", [DOCTOR_RULE], [])
    (m,) = c.topics
    assert m.matched == ("поликлиника",) and m.evidence[0].context_words in {"запись", "госуслуги"}
    assert "поликлиника" in m.reason and "контекст" in m.reason
    assert set(m.as_dict()) == {"id", "keywords", "matched", "score", "why"}
    aside = classify("Автобус с номером транспортного средства", [TRANSPORT_RULE], []).set_aside
    assert ("transport", "транспорт", "часть «транспортное средство»") in {(a.topic, a.keyword, a.why) for a in aside}


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ("Запись к врачу\nподробности", "Новости\nзапись к врачу"),  # the title weighs more
        ("Запись к врачу", "Поликлиника: запись"),  # a keyword weighs more than a confirmed ambiguous word
        ("Запись к врачу: поликлиника онлайн", "Запись к врачу"),  # more evidence, higher score
    ],
)
def test_scores_order_texts(better: str, worse: str) -> None:
    hi, lo = classify(better, [DOCTOR_RULE], []), classify(worse, [DOCTOR_RULE], [])
    assert 0 < lo.relevance < hi.relevance <= 1
    assert hi.topics[0].score == hi.relevance


def test_a_new_service_raises_relevance_only_with_a_topic() -> None:
    rules = [ServiceRule("now-possible", ("теперь можно",))]
    plain = classify("Запись к врачу", [DOCTOR_RULE], rules)
    new = classify("Теперь можно: запись к врачу", [DOCTOR_RULE], rules)
    assert new.relevance > plain.relevance
    assert classify("Теперь можно париться в бане", [DOCTOR_RULE], rules).relevance == 0.0


def test_keyword_only_rules_match_as_before() -> None:
    """A rule with keywords only (no context, no exclusions) matches exactly as plain keywords did."""
    hits = match_topics("Отделение Социального фонда: пенсии", [PENSIONS])
    assert [(m.id, m.keywords, m.matched) for m in hits] == [
        ("pensions", ("пенсия", "социальный фонд"), ("пенсии", "социальный фонд"))]


def test_indexed_phrase_search_agrees_with_the_scan() -> None:
    """The index-driven phrase search (no scan over the text) gives the scan's answer."""
    import random

    from ecitizen.classify import _phrase_in, _prefixes_in, _stem_matches, _StemIndex

    def _phrase_positions(phrase: list[str], text: list[str]) -> bool:  # the plain scan, as reference
        n = len(phrase)
        return any(all(_stem_matches(p, text[i + k]) for k, p in enumerate(phrase)) for i in range(len(text) - n + 1))

    vocabulary = ["госуслуг", "пенс", "сфр", "омск", "област", "услуг", "онлайн", "заявлен", "по", "в"]
    rnd = random.Random(7)
    for _ in range(2000):
        text = [rnd.choice(vocabulary) + rnd.choice(["", "ам", "и"]) for _ in range(rnd.randint(0, 12))]
        phrase = [rnd.choice(vocabulary) for _ in range(rnd.randint(1, 3))]
        # the index knows the phrase's stems as prefixes, as it knows every rule's
        wanted = frozenset(phrase)
        index = _StemIndex([(s, _prefixes_in(s, wanted)) for s in text])
        found = _phrase_positions(phrase, text)
        assert _phrase_in(phrase, text, index) == found, (phrase, text)
        # the quick test that each later word occurs never rejects a phrase that is there
        assert index.has_rest(phrase) or not found, (phrase, text)


def test_topics_json_is_the_json_of_the_matches_whatever_repeats() -> None:
    """The stored topic list, each topic's part made once, is json.dumps of the matches' dicts."""
    texts = ["Теперь можно подать заявление на пенсию онлайн", "Пенсия: заявление онлайн через портал",
             "Теперь можно подать заявление на пенсию онлайн", "Новости культуры", "Пенсия и пенсия"]
    for text in texts * 2:
        topics = classify(text, [PENSIONS, DOCTOR_RULE], []).topics
        assert topics_json(topics) == json.dumps([t.as_dict() for t in topics], ensure_ascii=False)
    by_hand = TopicMatch("pensions", ["пенсия"], ["пенсии"])  # type: ignore[arg-type] - lists: not hashable
    assert topics_json([by_hand]) == json.dumps([by_hand.as_dict()], ensure_ascii=False)
    assert topics_json([]) == "[]"


def test_a_batch_shares_its_repeated_matches_and_bounds_its_token_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts with the same evidence get one TopicMatch (made once), equal to a fresh one; the
    classifier's table of known tokens is emptied past its bound, with the same answers."""
    import ecitizen.classify as c

    rules = (PENSIONS, DOCTOR_RULE)
    clf = c.classifier(rules, ())
    first = clf("Пенсия онлайн\nЗапись к врачу через портал")
    again = clf("Пенсия онлайн\nЗапись к врачу через портал Госуслуги, другие слова")
    assert [t.id for t in first.topics] == ["pensions", "doctor"]
    assert first.topics[0] is again.topics[0] and first.topics == again.topics
    c._topic_match.cache_clear()
    assert classify("Пенсия онлайн\nЗапись к врачу через портал", rules, []).topics == first.topics
    assert clf.known  # the tokens seen so far
    monkeypatch.setattr(c, "_KNOWN_TOKENS_MAX", 3)
    texts = ["Пенсия онлайн\nЗапись к врачу через портал", "СФР: выплата пенсии", "Врач и пенсия: новости"]
    fresh = [c.Classifier(rules, (), clf.wanted, clf.rule_index, clf.service_index)(t) for t in texts]
    assert [clf(t) for t in texts] == fresh
    assert len(clf.known) <= 3 + max(len(c.words(t)) for t in texts)
