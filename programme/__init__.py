"""The programme's year: libraries, target indicators, entered figures, the yearly report, the
results page, lesson update sheets and the survey of course participants.

Layout (pure core, thin adapters):

* ``indicators`` — the eight indicators of section VII and the numbers libraries enter
  (official wording, units, entered or counted, parts; the one owner of this vocabulary; pure)
* ``months``     — ``YYYY-MM`` months and years in the configured timezone (pure)
* ``actor``      — who acts, and the one rule of what a librarian may do (pure)
* ``errors``     — ``ProgrammeError`` / ``RefusedError`` with Russian reasons
* ``csvfile``    — reading the CSV files libraries send (windows-1251 or UTF-8, ``;`` or ``,``) (pure)
* ``libraries``  — the ``library`` table: seed from config, list, edit, import/export
* ``figures``    — entered numbers per library and month, their history, the yearly targets
* ``counted``    — info-zone sheets (indicator 6) and media notes (indicator 8), recorded by the digest
* ``progress``   — the indicator table of a year and the dashboard; ``chart`` — its SVG (pure)
* ``survey``     — the questionnaire (PDF) and its answers as counts
* ``report``     — the yearly report (DOCX, PDF); ``results`` — the public results page and media-note data
* ``lessons``    — «что изменилось для занятия» sheets per course lesson and month
* ``render``     — Jinja2 templates (``templates/``), WeasyPrint, python-docx helpers

Imports the core, and reads the link statuses' vocabulary from ``archive``'s front door (the report's
link section). The front door: the shell and the other parts import only the names in ``__all__``.
"""

from __future__ import annotations

from ecitizen.programme.actor import Actor
from ecitizen.programme.chart import ChartBar, render_progress_svg
from ecitizen.programme.counted import (
    MediaNote,
    ZoneSheet,
    confirm_info_zone,
    info_zone_sheets,
    mark_media_note_sent,
    media_notes,
    record_info_zone_produced,
    record_media_note,
)
from ecitizen.programme.csvfile import SkippedLine
from ecitizen.programme.errors import Problem, ProgrammeError, RefusedError
from ecitizen.programme.figures import (
    EntryField,
    EntryForm,
    FiguresImport,
    FiguresSaved,
    HistoryEntry,
    entry_form,
    figure_history,
    import_figures,
    libraries_without_figures,
    parse_assignments,
    set_figures,
    set_targets,
    targets_for,
)
from ecitizen.programme.indicators import COUNTED, ENTERED, INDICATORS, MEASURES, Indicator, Measure, indicator
from ecitizen.programme.lessons import (
    LessonCounts,
    LessonSheet,
    lesson_overview,
    lesson_sheets,
    render_lesson_html,
    write_lesson_sheets,
)
from ecitizen.programme.libraries import (
    FIELD_LABELS,
    FIELDS,
    LibraryImport,
    SavedLibrary,
    actor_for,
    check_library_fields,
    get_library,
    import_libraries,
    libraries_csv,
    libraries_json,
    library_json,
    list_libraries,
    save_library,
    seed_libraries,
    set_user_library,
)
from ecitizen.programme.months import current_month, month_label, parse_month, previous_month
from ecitizen.programme.progress import Dashboard, IndicatorRow, LibraryProgress, indicator_table, programme_dashboard
from ecitizen.programme.report import YearReport, build_year_report, render_report_docx, write_year_report
from ecitizen.programme.results import ResultsNote, render_results_html, results_note
from ecitizen.programme.survey import (
    SurveyResults,
    enter_survey,
    import_survey,
    parse_survey_args,
    render_survey_form_html,
    survey_results,
    write_survey_form,
)

__all__ = [
    "COUNTED",
    "ENTERED",
    "FIELDS",
    "FIELD_LABELS",
    "INDICATORS",
    "MEASURES",
    "Actor",
    "ChartBar",
    "Dashboard",
    "EntryField",
    "EntryForm",
    "FiguresImport",
    "FiguresSaved",
    "HistoryEntry",
    "Indicator",
    "IndicatorRow",
    "LessonCounts",
    "LessonSheet",
    "LibraryImport",
    "LibraryProgress",
    "Measure",
    "MediaNote",
    "Problem",
    "ProgrammeError",
    "RefusedError",
    "ResultsNote",
    "SavedLibrary",
    "SkippedLine",
    "SurveyResults",
    "YearReport",
    "ZoneSheet",
    "actor_for",
    "build_year_report",
    "check_library_fields",
    "confirm_info_zone",
    "current_month",
    "enter_survey",
    "entry_form",
    "figure_history",
    "get_library",
    "import_figures",
    "import_libraries",
    "import_survey",
    "indicator",
    "indicator_table",
    "info_zone_sheets",
    "lesson_overview",
    "lesson_sheets",
    "libraries_csv",
    "libraries_json",
    "libraries_without_figures",
    "library_json",
    "list_libraries",
    "mark_media_note_sent",
    "media_notes",
    "month_label",
    "parse_assignments",
    "parse_month",
    "parse_survey_args",
    "previous_month",
    "programme_dashboard",
    "record_info_zone_produced",
    "record_media_note",
    "render_lesson_html",
    "render_progress_svg",
    "render_report_docx",
    "render_results_html",
    "render_survey_form_html",
    "results_note",
    "save_library",
    "seed_libraries",
    "set_figures",
    "set_targets",
    "set_user_library",
    "survey_results",
    "targets_for",
    "write_lesson_sheets",
    "write_survey_form",
    "write_year_report",
]
