"""The programme's results for the public (plan items 18, 19): the results page for the
organisation's website and the plain data of the yearly media note.

:func:`render_results_html` is what ``digest.publish`` writes as ``results-<year>.html`` (no
script, inline SVG chart, Russian); :func:`results_note` gives the yearly media note its facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ecitizen.config import Config
from ecitizen.programme.chart import render_progress_svg
from ecitizen.programme.progress import IndicatorRow, chart_bars, indicator_rows, load_year
from ecitizen.programme.render import render
from ecitizen.programme.report import TopicSummary, YearItems, load_year_items
from ecitizen.programme.survey import SurveyResults, survey_results


@dataclass(frozen=True)
class ResultsNote:
    """The facts of the yearly media note about the programme's results (Russian sentences)."""

    year: int
    headline: str
    lead: str
    #: one sentence per indicator with a number, in the programme's order
    facts: tuple[str, ...]
    indicators: tuple[IndicatorRow, ...]
    items_total: int
    new_services_total: int
    #: the lessons with the most material in the year: (title, items)
    top_topics: tuple[tuple[str, int], ...]
    #: the share of surveyed participants who found the skills useful (``None``: no survey entered)
    useful_share: float | None

    def as_json(self) -> dict[str, Any]:
        return {"year": self.year, "headline": self.headline, "lead": self.lead, "facts": list(self.facts),
                "indicators": [r.as_json() for r in self.indicators], "items_total": self.items_total,
                "new_services_total": self.new_services_total, "top_topics": [list(t) for t in self.top_topics],
                "useful_share": self.useful_share}


#: what each indicator's number is called in a sentence for the press («обучено жителей — 35»)
_FACT_WORDS = {
    "libraries": "библиотек, где жители могут получить доступ к электронным услугам",
    "trained": "жителей окончили курс «Электронный гражданин»",
    "site_visits": "посещений сайтов органов власти в центрах правовой информации",
    "eservices": ("жителей получили государственные и муниципальные услуги в электронном виде "
                  "в центрах правовой информации"),
    "events": "информационно-просветительских мероприятий проведено",
    "info_zones": "библиотек оформили информационные зоны о новостях электронного управления",
    "consultations": "консультаций провели специалисты центров правовой информации",
    "media_messages": "сообщений подготовлено для средств массовой информации",
}


def _useful_share(survey: SurveyResults) -> float | None:
    question = next((q for q in survey.questions if q.id == "useful"), None)
    if question is None or not question.answers:
        return None
    yes = sum(o.count for o in question.options if o.id in ("often", "sometimes", "yes"))
    return yes / question.answers


def results_note(session: Session, config: Config, *, year: int, now: datetime,
                 rows: tuple[IndicatorRow, ...] | None = None, year_items: YearItems | None = None,
                 survey: SurveyResults | None = None) -> ResultsNote:
    """Plain data for the yearly media note on the programme's results (the digest renders it).

    ``rows``, ``year_items`` and ``survey``, when the caller has already read them (the results
    page), are used instead of reading them again.
    """
    if rows is None:
        rows = indicator_rows(load_year(session, year))
    total, services, topics, _listed = year_items if year_items is not None else load_year_items(session, config, year)
    if survey is None:
        survey = survey_results(session, config.survey, year=year)
    programme = config.outputs.programme_name
    by_id = {r.id: r for r in rows}
    facts = tuple(f"{_FACT_WORDS[r.id]}: {r.actual}" for r in rows if r.actual)
    lead = (f"В {year} году в программе «{programme}» участвовали муниципальные библиотеки Омска "
            f"(библиотек-участниц: {by_id['libraries'].actual}). Обучено жителей: {by_id['trained'].actual}, "
            f"проведено консультаций: {by_id['consultations'].actual}, новых онлайн-услуг, о которых "
            f"библиотеки рассказали читателям: {services}.")
    top = tuple((t.title, t.items) for t in sorted(topics, key=lambda t: -t.items) if t.items)[:3]
    return ResultsNote(year, f"Итоги программы «{programme}» в {year} году", lead, facts, rows, total, services,
                       top, _useful_share(survey))


def render_results_html(session: Session, config: Config, year: int, now: datetime) -> str:
    """The results page of ``year`` for the organisation's website (``results-<year>.html``)."""
    data = load_year(session, year)
    rows = indicator_rows(data)
    year_items = load_year_items(session, config, year)
    total, services, topics, listed = year_items
    survey = survey_results(session, config.survey, year=year)
    note = results_note(session, config, year=year, now=now, rows=rows, year_items=year_items, survey=survey)
    chart = render_progress_svg(chart_bars(rows), title=f"Выполнение показателей за {year} год")
    return render("results.html", tz=config.tz, year=year, rows=rows, chart=chart, items_total=total,
                  new_services_total=services, topics=_topics_with_items(topics), new_services=listed,
                  survey=survey, note=note, generated_at=now, programme_name=config.outputs.programme_name,
                  organisation=config.outputs.organisation)


def _topics_with_items(topics: tuple[TopicSummary, ...]) -> tuple[TopicSummary, ...]:
    return tuple(t for t in topics if t.items)
