"""The course topics of ``config.yaml`` measured on real headlines (``tests/fixtures/topics/``).

The labelled set and its figures are described in ``docs/topics-eval.md``; the loader and the
figures are ``benchmarks/topic_eval.py``, which these tests import.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks.topic_eval import (
    CORPUS,
    EVAL_SET,
    EvalLine,
    EvalSetError,
    classify_lines,
    extract_corpus,
    figures,
    load_eval_set,
    main,
    parse_eval_line,
    topic_rules_of,
)
from ecitizen.classify import Classification, classify
from ecitizen.config import Config, load_config, parse_config
from ecitizen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SOURCES_MD = EVAL_SET.parent / "SOURCES.md"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config.yaml", env={})


@pytest.fixture(scope="module")
def lines(config: Config) -> list[EvalLine]:
    return load_eval_set(known_topics=[t.id for t in config.topics])


def classify_with(config: Config, text: str) -> Classification:
    return classify(text, topic_rules_of(config), ())


def line_titled(lines: list[EvalLine], title: str) -> EvalLine:
    (found,) = [ln for ln in lines if ln.text.split("\n", 1)[0] == title]
    return found


# --- the figures --------------------------------------------------------------------------------


def test_precision_and_recall_on_the_whole_set(config: Config, lines: list[EvalLine]) -> None:
    fig = figures(classify_lines(lines, topic_rules_of(config)), [t.id for t in config.topics])
    micro = fig.micro
    assert micro.precision is not None and micro.precision >= 0.9, micro
    assert micro.recall is not None and micro.recall >= 0.8, micro


def test_no_topic_marks_lifestyle_lines_in_the_held_out_part(config: Config, lines: list[EvalLine]) -> None:
    """The held-out lines were not used to write rules; their precision is a check of generality."""
    held = [ln for ln in lines if ln.held_out]
    micro = figures(classify_lines(held, topic_rules_of(config)), [t.id for t in config.topics]).micro
    assert micro.precision is not None and micro.precision >= 0.9, micro


# --- the named false positives and true positives -----------------------------------------------


@pytest.mark.parametrize(
    ("title", "set_aside"),
    [
        # a physiotherapist on the bath-house: «врач», «медицинского центра» without any booking
        ("Идите в баню!", {("doctor", "врач"), ("doctor", "медицинский")}),
        # a chapter from a book on alcoholism: «книги» is not a library service
        ("Излечим ли алкоголизм?", {("libraries", "книга")}),
        # the diet column: «вопросы читателей», «врач-диетолог», «доктор медицинских наук»
        ("Диетология в вопросах и ответах", {("libraries", "читатель"), ("doctor", "врач")}),
        ("AZAL получит более $8 млн. страховых выплат за потерпевший крушение самолет Ан-140-100",
         {("pensions", "выплата"), ("doctor", "полис")}),
        ("Более 15 тысяч бойцов СВО прошли лечение в центрах Социального фонда", {("pensions", "Социальный фонд")}),
        ("Регистрация транспортного средства", {("transport", "транспорт")}),
    ],
)
def test_named_false_positives_are_not_matched(
    config: Config, lines: list[EvalLine], title: str, set_aside: set[tuple[str, str]]
) -> None:
    line = line_titled(lines, title)
    c = classify_with(config, line.text)
    assert {m.id for m in c.topics} == set(line.topics)
    assert set_aside <= {(a.topic, a.keyword) for a in c.set_aside}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Запись к врачу", {"doctor"}),
        ("Заграничный паспорт", {"passport"}),
        ("Оплата ЖКХ", {"payments"}),
        ("Извещение о состоянии лицевого счета в ПФР", {"pensions"}),
        ("Соцфонд направил россиянам 4,7 миллиона уведомлений о положенных мерах поддержки", {"pensions"}),
        ("В Windows найдена опасная уязвимость, угрожающая почти всем компьютерам на планете", {"safe-internet"}),
        ("О проведении эксперимента по оценке гражданами качества работы медицинских организаций через личный "
         "кабинет пациента «Моё здоровье»", {"doctor", "cabinet"}),
    ],
)
def test_real_positives_are_matched(config: Config, lines: list[EvalLine], title: str, expected: set[str]) -> None:
    line = line_titled(lines, title)
    assert set(line.topics) == expected
    assert {m.id for m in classify_with(config, line.text).topics} == expected


# Hand-written headlines in the style of the sources (not corpus data, not in the figures): they
# keep each lesson's usual wording matched, including the lessons the corpus has no news for.
USUAL_WORDING: list[tuple[str, set[str]]] = [
    ("Как записаться к врачу через Госуслуги", {"doctor", "gosuslugi"}),
    ("Теперь можно записаться к врачу по полису ОМС из любого региона", {"doctor"}),
    ("Омская поликлиника № 4 открыла онлайн-запись к терапевту", {"doctor", "gosuslugi"}),
    ("Электронный больничный: что изменилось для работающих пенсионеров", {"doctor"}),
    ("Электронная подпись: как получить бесплатно", {"gosuslugi"}),
    ("Заявление на замену водительского удостоверения теперь можно подать онлайн", {"passport", "gosuslugi"}),
    ("МФЦ Омской области продлевают часы работы в декабре", {"one-window"}),
    ("В «Моих документах» можно получить справку о несудимости", {"one-window"}),
    ("Как подтвердить учётную запись на Госуслугах", {"cabinet", "gosuslugi"}),
    ("Госключ: как подписать документ со смартфона", {"cabinet"}),
    ("Социальный фонд: выплата пенсии в декабре пройдёт раньше обычного", {"pensions"}),
    ("Единое пособие: заявление можно подать через Госуслуги", {"pensions", "gosuslugi"}),
    ("Новая услуга: загранпаспорт нового поколения можно оформить на Госуслугах", {"passport", "gosuslugi"}),
    ("Омичи могут отслеживать автобусы онлайн", {"transport"}),
    ("Новые маршруты автобусов в Омске с 1 декабря", {"transport"}),
    ("Проезд в омских автобусах можно оплатить по QR-коду", {"transport", "payments"}),
    ("Оплатить штраф ГИБДД со скидкой можно через Систему быстрых платежей", {"payments"}),
    ("Как получить налоговый вычет за лечение через личный кабинет", {"payments", "cabinet"}),
    ("Пушкинская карта: какие события можно посетить", {"libraries"}),
    ("Библиотеки Омска проводят онлайн-лекции для пенсионеров", {"libraries"}),
    ("Как защититься от телефонных мошенников: пять простых правил", {"safe-internet"}),
    ("Деловое письмо по электронной почте: правила вежливости", {"email"}),
    # ... and the same words where they are not the course's business
    ("Врач-диетолог рассказал, как не переесть в праздники", set()),
    ("Паспорт здоровья омича: врачи подвели итоги года", set()),
    ("Автобус с туристами попал в ДТП под Омском", set()),
    ("Налоговые льготы для IT-компаний продлят", set()),
    ("Вирус гриппа: врачи советуют привиться", set()),
    ("Почта России изменила график работы отделений", set()),
    ("Трамвай сошёл с рельсов на улице Ленина", set()),
]


@pytest.mark.parametrize(("text", "expected"), USUAL_WORDING)
def test_usual_wording_of_each_lesson(config: Config, text: str, expected: set[str]) -> None:
    assert {m.id for m in classify_with(config, text).topics} == expected


def test_every_lesson_is_covered_by_the_hand_written_table(config: Config) -> None:
    covered = {t for _text, expected in USUAL_WORDING for t in expected}
    assert covered == {t.id for t in config.topics}


# --- the labelled set itself ----------------------------------------------------------------------


def test_the_set_is_real_corpus_text(lines: list[EvalLine]) -> None:
    """Every line is an item that ``--extract`` reads from the corpus copy in ``tests/fixtures/corpus``."""
    extracted = {c.text.split("\n", 1)[0]: c.source for c in extract_corpus(CORPUS)}
    assert len(lines) >= 300
    for line in lines:
        assert extracted.get(line.text.split("\n", 1)[0]) == line.source, line.text[:80]


def test_sources_md_names_every_source_and_licence(lines: list[EvalLine]) -> None:
    text = SOURCES_MD.read_text(encoding="utf-8")
    for source in {ln.source for ln in lines}:
        assert f"`{source.rsplit('/', 1)[-1]}`" in text, source
    for licence in ("LGPL-2.1", "CC BY 4.0", "MIT", "no license"):
        assert licence in text


def test_the_split_is_fixed_and_about_thirty_percent(lines: list[EvalLine]) -> None:
    held = sum(ln.held_out for ln in lines)
    assert 0.2 * len(lines) <= held <= 0.4 * len(lines)
    assert [ln.held_out for ln in lines] == [ln.held_out for ln in load_eval_set()]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("not json", "line 7: not JSON"),
        ('["a"]', "line 7: not a JSON object"),
        ('{"text": "", "source": "s", "topics": []}', "line 7: text:"),
        ('{"text": "t", "topics": []}', "line 7: source:"),
        ('{"text": "t", "source": "s", "topics": null}', "line 7: topics:"),
        ('{"text": "t", "source": "s", "topics": ["nope"]}', "line 7: topics: unknown topic 'nope'"),
    ],
)
def test_a_bad_line_is_named(raw: str, problem: str) -> None:
    with pytest.raises(EvalSetError, match=problem):
        parse_eval_line(raw, lineno=7, known_topics={"doctor"})


def test_benchmark_smoke_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("50 lines") and "| **micro** |" in out


# --- the rule fields in the config ----------------------------------------------------------------


def _config_with_topic(**fields: object) -> dict[str, object]:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["topics"] = [{"id": "doctor", "title": "Талон к врачу", "keywords": ["запись к врачу"], **fields}]
    data["sources"] = []
    return data


@pytest.mark.parametrize(
    ("fields", "key", "problem"),
    [
        ({"requires_context": ["врач"]}, "topics[0].context", "required when requires_context is set"),
        ({"context": ["онлайн"]}, "topics[0].context", "has no effect without requires_context"),
        ({"requires_context": ["запись к врачу"], "context": ["онлайн"]}, "topics[0].requires_context",
         "also in keywords"),
        ({"exclude": ["—"]}, "topics[0].exclude", "entry 0 ('—') has no letters or digits"),
        ({"requires_context": ["врач", "Врач"], "context": ["онлайн"]}, "topics[0].requires_context", "listed twice"),
        ({"exlude": ["доктор наук"]}, "topics[0].exlude", "unknown key"),
    ],
)
def test_bad_rule_fields_name_the_key(fields: dict[str, object], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(_config_with_topic(**fields))
    assert exc.value.key == key and problem in str(exc.value)


def test_rule_fields_reach_the_classifier() -> None:
    cfg = parse_config(_config_with_topic(requires_context=["врач"], context=["онлайн"], exclude=["врач-диетолог"]))
    (rule,) = topic_rules_of(cfg)
    assert (rule.requires_context, rule.context, rule.exclude) == (("врач",), ("онлайн",), ("врач-диетолог",))
    assert json.dumps(classify("Врач онлайн", (rule,), ()).topics[0].as_dict(), ensure_ascii=False)
