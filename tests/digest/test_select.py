"""Pure selection rules: periods, text fitting, clusters, weekly and poster choice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecitizen.digest.periods import last_complete_week, month_period, previous_month, week_period, year_period
from ecitizen.digest.select import (
    ItemView,
    LinkReportData,
    PendingReview,
    SourceHealth,
    TopicInfo,
    collapse_clusters,
    fit_text,
    select_feed,
    select_media,
    select_poster,
    select_weekly,
    short_explanation,
)
from ecitizen.russian import plural

OMSK = ZoneInfo("Asia/Omsk")
TOPICS = (TopicInfo("gosuslugi", "Госуслуги"), TopicInfo("doctor", "Талон к врачу"),
          TopicInfo("pensions", "Пенсии"))


def view(i: int, *, day: int = 10, source: str = "s", kind: str = "news", topics: tuple[str, ...] = (),
         new: bool = False, cluster: int | None = None, status: str = "approved", title: str | None = None,
         fetched: datetime | None = None, explanation: str | None = None, summary: str = "") -> ItemView:
    when = datetime(2026, 11, day, 5, tzinfo=UTC)
    return ItemView(
        id=i, source=source, kind=kind, url=f"https://example.org/{i}", guid=f"g{i}",
        title=title or f"Новость {i}", summary_text=summary, summary_html="", published_at=when,
        fetched_at=fetched or when, topic_ids=topics, is_new_service=new, cluster_id=cluster, status=status,
        explanation=explanation,
    )


@pytest.mark.parametrize(("key", "first", "start_utc", "label"), [
    ("2026-W48", date(2026, 11, 23), datetime(2026, 11, 22, 18, tzinfo=UTC), "23–29 ноября 2026 г."),
    ("2026-W01", date(2025, 12, 29), datetime(2025, 12, 28, 18, tzinfo=UTC),
     "29 декабря 2025 г. – 4 января 2026 г."),
    ("2026W44", date(2026, 10, 26), datetime(2026, 10, 25, 18, tzinfo=UTC), "26 октября – 1 ноября 2026 г."),
])
def test_iso_weeks_start_at_omsk_midnight(key: str, first: date, start_utc: datetime, label: str) -> None:
    p = week_period(key, OMSK)
    assert p.first_day == first
    assert p.start == start_utc
    assert p.end - p.start == timedelta(days=7)
    assert p.label_ru == label


@pytest.mark.parametrize("bad", ["2026-W54", "2026-11", "week 48", ""])
def test_bad_weeks_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        week_period(bad, OMSK)


def test_month_and_year_boundaries_in_omsk() -> None:
    nov = month_period("2026-11", OMSK)
    assert nov.start == datetime(2026, 10, 31, 18, tzinfo=UTC)
    assert nov.end == datetime(2026, 11, 30, 18, tzinfo=UTC)
    assert nov.label_ru == "ноябрь 2026 г." and nov.in_ru == "в ноябре 2026 года"
    # 30 November 20:00 UTC is already 1 December in Omsk
    assert not nov.contains(datetime(2026, 11, 30, 20, tzinfo=UTC))
    assert month_period("2026-12", OMSK).end == datetime(2026, 12, 31, 18, tzinfo=UTC)
    assert year_period(2026, OMSK).in_ru == "в 2026 году"
    for bad in ("2026-13", "2026-00", "26-11"):
        with pytest.raises(ValueError):
            month_period(bad, OMSK)


def test_default_periods() -> None:
    now = datetime(2026, 11, 25, 6, tzinfo=UTC)  # Wednesday of W48
    assert last_complete_week(now, OMSK).key == "2026-W47"
    assert previous_month(now, OMSK).key == "2026-10"
    assert previous_month(datetime(2026, 1, 5, tzinfo=UTC), OMSK).key == "2025-12"


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("Коротко", 20, "Коротко"),
    ("  много   пробелов \n и строк ", 40, "много пробелов и строк"),
    ("Запись к врачу доступна онлайн для всех", 20, "Запись к врачу…"),
    ("\u202eперевёрнутый\u202c текст\u200f", 40, "перевёрнутый текст"),
    ("a" * 50, 10, "a" * 9 + "…"),
    (None, 10, ""),
])
def test_fit_text(text: str | None, limit: int, expected: str) -> None:
    out = fit_text(text, limit)
    assert out == expected
    assert len(out) <= limit


def test_short_explanation_prefers_the_person_written_one_then_whole_sentences() -> None:
    assert short_explanation(view(1, explanation="Объяснение.", summary="Сводка."), 100) == "Объяснение."
    summary = "Первое предложение. Второе предложение длиннее. Третье."
    assert short_explanation(view(1, summary=summary), 50) == "Первое предложение. Второе предложение длиннее."


@pytest.mark.parametrize(("n", "word"), [(1, "услуга"), (2, "услуги"), (5, "услуг"), (11, "услуг"),
                                         (21, "услуга"), (22, "услуги"), (112, "услуг"), (0, "услуг")])
def test_russian_plural(n: int, word: str) -> None:
    assert plural(n, "услуга", "услуги", "услуг") == word


def test_clusters_are_shown_once_with_the_other_sources_named() -> None:
    items = [view(1, source="tass", cluster=1, status="new"), view(2, source="sfr", cluster=1),
             view(3, source="ria", cluster=1), view(4, source="sfr")]
    entries = {e.item.id: e for e in collapse_clusters(items)}
    assert set(entries) == {2, 4}  # the approved member represents the cluster
    assert entries[2].also_in == ("ria", "tass") and entries[2].count == 3


def test_the_same_address_from_two_clusters_is_one_entry() -> None:
    a, b, c = view(1, source="a", cluster=1), view(2, source="b", cluster=2), view(3, source="c", cluster=2)
    b = ItemView(**{**b.__dict__, "url": a.url})  # b links the page a links; c is b's duplicate
    entries = collapse_clusters([a, b, c])
    assert len(entries) == 1 and entries[0].also_in == ("b", "c")


def test_weekly_selection() -> None:
    week = week_period("2026-W46", OMSK)  # 9–15 November
    items = [
        view(1, day=10, new=True, topics=("gosuslugi",)),
        view(2, day=11, topics=("pensions",)),
        view(3, day=11, topics=("doctor", "gosuslugi")),   # first topic in course order: gosuslugi
        view(4, day=12, kind="page_change"),
        view(5, day=12, status="rejected"),
        view(6, day=20),                                   # another week
        view(7, day=12, source="b", cluster=7), view(8, day=12, source="c", cluster=7, status="new"),
        view(9, day=1, fetched=datetime(2026, 11, 10, tzinfo=UTC)),  # old news that arrived this week
    ]
    failing = [SourceHealth("a", "u", "timeout", "boom", 3, datetime(2026, 11, 9, tzinfo=UTC)),
               SourceHealth("ok", "u", "ok", None, 0, None)]
    d = select_weekly(items, period=week, topics=TOPICS, links=LinkReportData(), sources=failing,
                      pending=PendingReview(4, None))
    assert [e.item.id for e in d.new_services] == [1]
    assert [(g.topic.id, [e.item.id for e in g.entries]) for g in d.topics] == [
        ("gosuslugi", [3]), ("pensions", [2]), ("", [7, 9])]
    assert [e.item.id for e in d.page_changes] == [4]
    assert [s.name for s in d.failing_sources] == ["a"]
    assert d.counts["duplicates"] == 1 and d.counts["items"] == 7


def test_poster_choice_new_services_first_then_course_order() -> None:
    month = month_period("2026-11", OMSK)
    items = [
        view(1, day=3, topics=("pensions",)), view(2, day=4, topics=("doctor",)), view(3, day=5, new=True),
        view(4, day=6, topics=("gosuslugi",)), view(5, day=7, new=True), view(6, day=8),
        view(7, day=9, status="new", new=True),            # not approved: never public
        view(8, day=9, kind="page_change"),                # internal
        view(9, day=1, topics=("gosuslugi",)),
    ]
    plan = select_poster(items, period=month, topics=TOPICS, max_items=5)
    assert [e.item.id for e in plan.entries] == [5, 3, 4, 9, 2]
    assert [e.item.id for e in plan.left_out] == [1, 6]  # in poster order: a topic of the course, then none
    assert sum(len(p) for p in plan.pages) == 5
    assert [len(p) for p in plan.pages] == [3, 2]  # two sheets, filled evenly


def test_media_note_counts_and_russian_headline() -> None:
    month = month_period("2026-11", OMSK)
    items = [view(1, new=True), view(2, new=True, day=11), view(3, topics=("pensions",)),
             view(4, kind="catalog_event", day=12), view(5, status="new", new=True)]
    note = select_media(items, period=month, topics=TOPICS, programme="П", organisation="Библиотеки", libraries=41)
    assert note.headline == "Что нового в электронных госуслугах в ноябре 2026 года: 2 новые онлайн-услуги"
    assert "41 библиотеки" in note.lead and "4 новости" in note.lead
    assert [e.item.id for e in note.events] == [4]
    yearly = select_media(items, period=year_period(2026, OMSK), topics=TOPICS, programme="П",
                          organisation="Библиотеки", libraries=1)
    assert yearly.headline.startswith("Итоги 2026 года")
    nov = yearly.month_counts[10]
    assert (nov.label, nov.new_services, nov.news) == ("ноябрь", 2, 2)


def test_feed_selection_is_approved_public_one_per_cluster_newest_first() -> None:
    items = [view(1, day=1), view(2, day=3, status="new"), view(3, day=2, kind="page_change"),
             view(4, day=5, cluster=4, source="a"), view(5, day=5, cluster=4, source="b")]
    assert [i.id for i in select_feed(items)] == [4, 1]


def test_write_atomic_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from ecitizen.files import write_atomic

    target = tmp_path / "feed.atom"
    write_atomic(target, "old")

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt  # killed between writing and renaming

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.atom"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("👉 Запись к врачу ✅ теперь онлайн", "Запись к врачу теперь онлайн"),
        ("Госуслуги 👨‍👩‍👧 для семьи", "Госуслуги для семьи"),
        ("Срок — 5 дней №1 «кавычки» 10:00", "Срок — 5 дней №1 «кавычки» 10:00"),
    ],
)
def test_print_text_drops_pictographs_the_fonts_cannot_show(raw: str, expected: str) -> None:
    from ecitizen.digest.select import clean_print

    assert clean_print(raw) == expected


@pytest.mark.parametrize(("summary", "title", "expected"), [
    ("Мошенники звонят. Не сообщайте коды.", "Мошенники звонят", "Не сообщайте коды."),
    ("Мошенники звонят.", "Мошенники звонят.", ""),
    ("Запись к врачу онлайн.", "Мошенники звонят", "Запись к врачу онлайн."),
])
def test_a_summary_that_repeats_the_headline_loses_it(summary: str, title: str, expected: str) -> None:
    from ecitizen.digest.select import without_title

    assert without_title(summary, title) == expected


def test_poster_fitting_uses_the_lines_and_reports_cuts() -> None:
    from ecitizen.digest.layout import POSTER_TITLE_MAX, PosterGeometry, fit_entry, typograph
    from ecitizen.digest.metrics import line_count

    g = PosterGeometry()
    short = fit_entry("Запись к врачу онлайн", "Спросите библиотекаря.", "", g)
    assert (short.title_shortened, short.text_shortened, short.text_from) == (False, False, "explanation")
    long_title = typograph("Теперь можно записаться к врачу через Госуслуги без визита в поликлинику и без звонка")
    fit = fit_entry(long_title, "", "Первое предложение. Второе.", g)
    assert fit.title_shortened and fit.title.endswith("…") and len(fit.title) <= POSTER_TITLE_MAX
    assert not fit.title.rstrip("…").endswith((" в", "\u00a0в", " без"))  # never ends on a preposition
    assert line_count(fit.title, width_em=g.title_em, bold=True) <= 3
    assert fit.title_lines + fit.text_lines <= 4 and fit.text_from == "summary"
    assert typograph("с 1 декабря в МФЦ") == "с\u00a01\u00a0декабря в\u00a0МФЦ"
