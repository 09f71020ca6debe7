"""The eight target indicators of the programme (section VII) and the numbers libraries enter.

The one owner of this vocabulary: the official wording, the units, which indicators the service
counts by itself and which the libraries enter (and from which parts), the Russian labels of the
entry form and of CSV headers. The CLI, the web form, the report, the dashboard and the results
page import these names. The yearly targets are data (table ``indicator_target``), not here.

Pure: data and functions over plain values; imports nothing from the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENTERED = "entered"
COUNTED = "counted"

#: the survey's measures in ``programme_figure`` start with this (``survey:useful:often``, ``survey:forms``)
SURVEY_PREFIX = "survey:"


@dataclass(frozen=True)
class Measure:
    """A number a library enters for a month."""

    id: str
    #: the label of the entry form and the report (Russian)
    label: str
    #: the indicator it adds to
    indicator: str
    #: the calendar plan item it reports on (section V)
    plan_item: str
    #: other CSV header names accepted for it (compared in lower case, ё as е)
    aliases: tuple[str, ...] = ()
    #: one plain line under the field of the monthly form: what to count (Russian)
    hint: str = ""


@dataclass(frozen=True)
class Indicator:
    no: int
    id: str
    #: the official wording of section VII
    title: str
    #: a short name for charts and narrow tables
    short: str
    unit: str
    #: entered (by the libraries) | counted (by the service)
    source: str
    #: the target is a minimum («≥ 20»); otherwise a plain number («100»). Met means actual ≥ target either way.
    at_least: bool
    #: «на базе ЦПИ» is part of the wording
    at_cpi: bool
    #: the entered measures that add up to it (entered indicators only)
    measures: tuple[str, ...] = ()
    #: how the service counts it (counted indicators only), for the report and the dashboard
    how_counted: str = ""


INDICATORS: tuple[Indicator, ...] = (
    Indicator(1, "libraries",
              "Количество библиотек, предоставляющих доступ к ресурсам и сервисам электронного государства",
              "Библиотеки, дающие доступ", "библиотек", COUNTED, False, False,
              how_counted="библиотеки, которые сейчас отмечены в списке как участвующие в программе"),
    Indicator(2, "trained",
              "Количество омичей, обученных навыкам ориентирования в информационных ресурсах и сервисах "
              "электронного государства",
              "Обучено жителей", "человек", ENTERED, True, False, measures=("trained",)),
    Indicator(3, "site_visits",
              "Количество посещений жителями города Омска интернет-представительств органов власти на базе ЦПИ",
              "Посещения сайтов органов власти", "посещений", ENTERED, False, True, measures=("site_visits",)),
    Indicator(4, "eservices",
              "Количество жителей города Омска, использующих механизм получения государственных и муниципальных "
              "услуг в электронной форме на базе ЦПИ",
              "Получили услуги в электронном виде", "человек", ENTERED, True, True, measures=("eservices",)),
    Indicator(5, "events",
              "Количество проведенных информационно-просветительских мероприятий для жителей города Омска "
              "на базе ЦПИ",
              "Мероприятия", "мероприятий", ENTERED, True, True, measures=("events",)),
    Indicator(6, "info_zones",
              "Количество оформленных информационных зон, отражающих новости в сфере электронного управления РФ, "
              "появление новых онлайн-услуг и др.",
              "Информационные зоны", "зон", COUNTED, True, False,
              how_counted="библиотеки, где лист информационной зоны за месяц года подготовлен и библиотекарь "
                          "отметил его «вывешено»"),
    Indicator(7, "consultations", "Количество консультаций, проведенных специалистами ЦПИ",
              "Консультации", "консультаций", ENTERED, True, True,
              measures=("consultations_portal", "consultations_ict")),
    Indicator(8, "media_messages",
              "Количество сообщений, подготовленных для размещения в средствах массовой коммуникации",
              "Сообщения для СМИ", "сообщений", COUNTED, True, False,
              how_counted="подготовленные сообщения для СМИ за периоды года, отмеченные как отправленные"),
)

MEASURES: tuple[Measure, ...] = (
    Measure("trained", "Обучено жителей (окончили курс)", "trained", "п. 7",
            ("обучено", "обучено жителей", "выпускники", "выпускники курса"),
            "Сколько человек за месяц закончили курс «Электронный гражданин»."),
    Measure("site_visits", "Посещения сайтов органов власти в ЦПИ", "site_visits", "п. 8",
            ("посещения", "посещения сайтов", "посещения сайтов органов власти"),
            "Сколько раз жители заходили в ЦПИ на сайты органов власти (каждый приход считается)."),
    Measure("eservices", "Жители, получившие госуслуги в электронном виде в ЦПИ", "eservices", "п. 8",
            ("госуслуги", "услуги в электронном виде", "получили услуги"),
            "Сколько человек в ЦПИ получили государственную или городскую услугу через интернет."),
    Measure("events", "Мероприятия в ЦПИ", "events", "п. 16",
            ("мероприятия", "проведено мероприятий"),
            "Сколько мероприятий для жителей провели за месяц (встречи, беседы, дни информации)."),
    Measure("consultations_portal", "Консультации по порталу госуслуг", "consultations", "п. 8",
            ("консультации по порталу", "консультации по госуслугам", "консультации (портал)"),
            "Сколько раз помогли разобраться с порталом Госуслуг (вход, заявление, запись)."),
    Measure("consultations_ict", "Консультации по компьютеру и интернету (ИКТ)", "consultations", "п. 9",
            ("консультации по икт", "консультации по компьютеру", "консультации (икт)"),
            "Сколько раз помогли с компьютером, интернетом, телефоном или электронной почтой."),
)

#: the largest number accepted for one library and month (a bigger one is almost surely a typo)
MAX_VALUE = 100_000

_BY_ID = {i.id: i for i in INDICATORS}
_MEASURE_BY_ID = {m.id: m for m in MEASURES}


def indicator(indicator_id: str) -> Indicator:
    """The indicator by its id or number (``"trained"``, ``"2"``). Raises KeyError."""
    if indicator_id.isdigit():
        for ind in INDICATORS:
            if ind.no == int(indicator_id):
                return ind
    return _BY_ID[indicator_id]


def measure(measure_id: str) -> Measure:
    return _MEASURE_BY_ID[measure_id]


def measures_of(indicator_id: str) -> tuple[Measure, ...]:
    return tuple(_MEASURE_BY_ID[m] for m in _BY_ID[indicator_id].measures)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("ё", "е"))


def measure_for_name(name: str) -> Measure | None:
    """The entered measure a name means: a measure id, an entered indicator with one part (its id or
    number), a label or a CSV alias. ``None`` for anything else (see :func:`why_not_a_measure`)."""
    key = _norm(name)
    if key in _MEASURE_BY_ID:
        return _MEASURE_BY_ID[key]
    try:
        ind = indicator(key)
    except KeyError:
        ind = None
    if ind is not None and ind.source == ENTERED and len(ind.measures) == 1:
        return _MEASURE_BY_ID[ind.measures[0]]
    for m in MEASURES:
        if key == _norm(m.label) or key in {_norm(a) for a in m.aliases}:
            return m
    return None


def why_not_a_measure(name: str) -> str:
    """The Russian reason a name is not an entered number (for the error message)."""
    try:
        ind = indicator(_norm(name))
    except KeyError:
        ind = None
    if ind is not None and ind.source == COUNTED:
        return (f"показатель {ind.no} «{ind.short}» считается автоматически ({ind.how_counted}); "
                "вводить его не нужно")
    if ind is not None and len(ind.measures) > 1:
        parts = ", ".join(f"{m.id} ({m.label[:1].lower()}{m.label[1:]})" for m in measures_of(ind.id))
        return f"показатель {ind.no} складывается из частей — введите их по отдельности: {parts}"
    known = ", ".join(m.id for m in MEASURES)
    return f"неизвестный показатель; можно вводить: {known}"


def is_met(target: int | None, actual: int) -> bool | None:
    """Met when the actual figure reaches the target; ``None`` when no target is set for the year."""
    if target is None:
        return None
    return actual >= target


def format_target(ind: Indicator, target: int | None) -> str:
    """``≥ 20`` / ``100`` / ``не задан``."""
    if target is None:
        return "не задан"
    return f"≥ {target}" if ind.at_least else str(target)


def met_label(met: bool | None) -> str:
    return {True: "выполнен", False: "не выполнен", None: "—"}[met]


def survey_measure(question: str, option: str) -> str:
    return f"{SURVEY_PREFIX}{question}:{option}"


SURVEY_FORMS = f"{SURVEY_PREFIX}forms"
