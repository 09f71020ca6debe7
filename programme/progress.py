"""The indicator table of a year: targets against what was entered and counted. The dashboard.

:func:`load_year` reads the year's rows into plain values (:class:`YearData`); :func:`indicator_rows`
(pure) turns them into the eight rows, in total or for one library. How each indicator is
counted is documented in ``docs/programme.md``; in short:

- 1: the libraries taking part now (``active``); per library 1 or 0;
- 2, 3, 4, 5, 7: the sum of the numbers libraries entered for the months of the year
  (7 = consultations on the portal + on computers and the internet);
- 6: libraries with at least one sheet of the year confirmed «вывешено» (sheets made but not
  confirmed are shown beside it, not counted);
- 8: media notes of the year's periods marked as sent (made but not sent: shown, not counted).

Per library there are no targets (the programme's targets are for all libraries together).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from ecitizen.config import Library
from ecitizen.programme import indicators as ind
from ecitizen.programme.chart import ChartBar, render_progress_svg
from ecitizen.programme.counted import MediaNote, ZoneSheet, info_zone_sheets, media_notes
from ecitizen.programme.figures import targets_for
from ecitizen.programme.libraries import list_libraries
from ecitizen.programme.months import month_label, previous_month
from ecitizen.storage import ProgrammeFigure


@dataclass(frozen=True)
class IndicatorRow:
    no: int
    id: str
    title: str
    short: str
    unit: str
    target: int | None
    actual: int
    source: str
    met: bool | None
    at_least: bool
    #: how the number is made up (Russian), e.g. «по порталу госуслуг — 30; по компьютеру — 15»
    detail: str = ""

    @property
    def target_text(self) -> str:
        return ind.format_target(ind.indicator(self.id), self.target)

    @property
    def met_text(self) -> str:
        return ind.met_label(self.met)

    @property
    def share(self) -> float | None:
        """Actual / target (``None`` without a target; may exceed 1)."""
        if not self.target:
            return None
        return self.actual / self.target

    def as_json(self) -> dict[str, Any]:
        return {"no": self.no, "id": self.id, "title": self.title, "unit": self.unit, "target": self.target,
                "actual": self.actual, "source": self.source, "met": self.met}


@dataclass(frozen=True)
class YearData:
    """A year's raw numbers (plain values, read once)."""

    year: int
    libraries: tuple[Library, ...]
    targets: dict[str, int]
    #: library id -> measure -> the year's sum
    entered: dict[str, dict[str, int]]
    #: library id -> the months (``YYYY-MM``) with any entered indicator number
    months_entered: dict[str, frozenset[str]]
    zones: tuple[ZoneSheet, ...]
    notes: tuple[MediaNote, ...]
    #: library id -> measure -> month -> value (for per-month tables)
    monthly: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def load_year(session: Session, year: int) -> YearData:
    measures = [m.id for m in ind.MEASURES]
    prefix = f"{year:04d}-"
    rows = session.exec(
        select(ProgrammeFigure.library_id, ProgrammeFigure.measure, ProgrammeFigure.month, ProgrammeFigure.value)
        .where(col(ProgrammeFigure.month).startswith(prefix))
        .where(col(ProgrammeFigure.measure).in_(measures))
    ).all()
    entered: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    months: dict[str, set[str]] = defaultdict(set)
    monthly: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for lib_id, measure, month, value in rows:
        entered[lib_id][measure] += value
        months[lib_id].add(month)
        monthly[lib_id][measure][month] = value
    return YearData(
        year=year,
        libraries=tuple(list_libraries(session)),
        targets=targets_for(session, year),
        entered={k: dict(v) for k, v in entered.items()},
        months_entered={k: frozenset(v) for k, v in months.items()},
        zones=tuple(info_zone_sheets(session, year=year)),
        notes=tuple(media_notes(session, year=year)),
        monthly={k: {m: dict(v) for m, v in d.items()} for k, d in monthly.items()},
    )


def _sum(data: YearData, measure: str, library_id: str | None) -> int:
    if library_id is not None:
        return data.entered.get(library_id, {}).get(measure, 0)
    return sum(per.get(measure, 0) for per in data.entered.values())


def indicator_rows(data: YearData, *, library_id: str | None = None) -> tuple[IndicatorRow, ...]:
    """The eight rows for the year (all libraries) or for one library (no targets then). Pure."""
    rows: list[IndicatorRow] = []
    libs = [lib for lib in data.libraries if library_id is None or lib.id == library_id]
    for spec in ind.INDICATORS:
        detail = ""
        if spec.id == "libraries":
            actual = sum(1 for lib in libs if lib.active)
            if library_id is None:
                detail = f"в списке библиотек: {len(libs)}, участвуют сейчас: {actual}"
        elif spec.id == "info_zones":
            zones = [z for z in data.zones if library_id is None or z.library_id == library_id]
            confirmed = [z for z in zones if z.confirmed]
            actual = len({z.library_id for z in confirmed})
            detail = f"листов подготовлено: {len(zones)}, отмечено «вывешено»: {len(confirmed)}"
        elif spec.id == "media_messages":
            notes = [n for n in data.notes if library_id is None or n.library_id == library_id]
            actual = sum(1 for n in notes if n.sent)
            detail = f"подготовлено: {len(notes)}, отправлено в СМИ: {actual}"
        else:
            parts = [(m, _sum(data, m.id, library_id)) for m in ind.measures_of(spec.id)]
            actual = sum(v for _, v in parts)
            if len(parts) > 1:
                detail = "; ".join(f"{m.label} ({m.plan_item}): {v}" for m, v in parts)
        target = data.targets.get(spec.id) if library_id is None else None
        rows.append(IndicatorRow(spec.no, spec.id, spec.title, spec.short, spec.unit, target, actual, spec.source,
                                 ind.is_met(target, actual), spec.at_least, detail))
    return tuple(rows)


def indicator_table(session: Session, year: int, *, library_id: str | None = None) -> tuple[IndicatorRow, ...]:
    """``ecitizen indicators show``: the year's eight rows (all libraries, or one)."""
    if library_id is not None:
        from ecitizen.programme.libraries import get_library

        get_library(session, library_id)
    return indicator_rows(load_year(session, year), library_id=library_id)


# -- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryProgress:
    library: Library
    #: indicator id -> the library's number for the year
    values: dict[str, int]
    #: months of the year with entered numbers
    months_entered: int
    #: months of the year whose info-zone sheet the library confirmed
    zones_confirmed: int
    entered_last_month: bool


@dataclass(frozen=True)
class Dashboard:
    year: int
    indicators: tuple[IndicatorRow, ...]
    libraries: tuple[LibraryProgress, ...]
    last_month: str
    last_month_label: str
    #: active libraries without any number for the last month (an entered 0 counts as entered)
    missing_last_month: tuple[Library, ...]
    #: the progress chart, an SVG document (no script) to put inline or serve as image/svg+xml
    chart_svg: str

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "indicators": [r.as_json() for r in self.indicators],
            "libraries": [{"id": p.library.id, "name": p.library.name, "is_cpi": p.library.is_cpi,
                           "active": p.library.active, "values": p.values, "months_entered": p.months_entered,
                           "zones_confirmed": p.zones_confirmed, "entered_last_month": p.entered_last_month}
                          for p in self.libraries],
            "last_month": self.last_month,
            "missing_last_month": [{"id": lib.id, "name": lib.name} for lib in self.missing_last_month],
        }


def chart_bars(rows: tuple[IndicatorRow, ...]) -> tuple[ChartBar, ...]:
    return tuple(ChartBar(f"{r.no}. {r.short}", r.actual, r.target, r.unit, r.met) for r in rows)


def build_dashboard(data: YearData, *, last_month: str, last_month_data: YearData | None = None) -> Dashboard:
    """The dashboard from a year's data (pure). ``last_month_data``: the year of ``last_month``
    when it differs from ``data.year`` (in January the last month is December of the year before)."""
    rows = indicator_rows(data)
    lm = last_month_data if last_month_data is not None else data
    progress = []
    for lib in data.libraries:
        per = indicator_rows(data, library_id=lib.id)
        progress.append(LibraryProgress(
            library=lib,
            values={r.id: r.actual for r in per},
            months_entered=len(data.months_entered.get(lib.id, frozenset())),
            zones_confirmed=sum(1 for z in data.zones if z.library_id == lib.id and z.confirmed),
            entered_last_month=last_month in lm.months_entered.get(lib.id, frozenset()),
        ))
    missing = tuple(p.library for p in progress if p.library.active and not p.entered_last_month)
    svg = render_progress_svg(chart_bars(rows), title=f"Выполнение показателей программы за {data.year} год")
    return Dashboard(data.year, rows, tuple(progress), last_month, month_label(last_month), missing, svg)


def programme_dashboard(session: Session, *, year: int, now: datetime, tz: tzinfo) -> Dashboard:
    """One call for the web dashboard: progress per indicator, per library and in total, the SVG
    chart, and which active libraries have not entered last month's numbers."""
    data = load_year(session, year)
    last = previous_month(now, tz)
    other = load_year(session, int(last[:4])) if int(last[:4]) != year else None
    return build_dashboard(data, last_month=last, last_month_data=other)
