"""The one add/update operation of sources (ecitizen.sources) and config seeding through it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, get_args

import pytest
from sqlmodel import select

from ecitizen.app import App
from ecitizen.config import SourceKind
from ecitizen.db import session_scope
from ecitizen.errors import ConfigError
from ecitizen.source_settings import CRAWLER_KINDS, KIND_LABELS, SOURCE_KINDS
from ecitizen.sources import (
    FeedLookup,
    SourceInput,
    SourceRefusedError,
    SourceRules,
    add_source,
    check_source,
    parse_settings_text,
    settings_text,
    update_source,
    watching_source,
)
from ecitizen.storage import Source
from ecitizen.store import seed_sources

RULES = SourceRules(frozenset({"gosuslugi", "pensions"}), min_interval_minutes=10, allow_private_targets=False)
LISTING = {"item": "article", "title": "h3"}


def refused(exc: pytest.ExceptionInfo[SourceRefusedError]) -> dict[str, str]:
    return {p.field: p.problem for p in exc.value.problems}


def test_one_vocabulary_of_kinds() -> None:
    assert SOURCE_KINDS == ("feed", *CRAWLER_KINDS)
    assert set(get_args(SourceKind)) == set(SOURCE_KINDS)  # the config schema spells the same list
    assert set(KIND_LABELS) == set(SOURCE_KINDS)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (SourceInput("", "https://93.184.216.34/rss"), "name", "empty"),
        (SourceInput("x", "https://93.184.216.34/", kind="rss"), "kind", "unknown kind"),
        (SourceInput("x", "https://93.184.216.34/", kind="listing"), "settings", "settings.item: required key"),
        (SourceInput("x", "https://93.184.216.34/", kind="listing", settings={"item": "a"}), "settings",
         "settings.title"),
        (SourceInput("x", "https://93.184.216.34/", kind="page", settings={"regoin": "main"}), "settings",
         "settings.regoin: unknown key"),
        (SourceInput("x", "https://93.184.216.34/", topics=("nope",)), "topics", "unknown topic 'nope'"),
        (SourceInput("x", "https://93.184.216.34/", interval_minutes=5), "interval_minutes", "at least 10"),
        (SourceInput("x", "http://10.0.0.5/rss"), "url", "private"),
        (SourceInput("x", "ftp://example.org/rss"), "url", "http"),
    ],
)
def test_check_source_refuses_naming_the_field(data: SourceInput, field: str, words: str) -> None:
    with pytest.raises(SourceRefusedError) as exc:
        check_source(data, RULES, resolve=None)
    assert words in refused(exc)[field]
    assert exc.value.russian()[field]


def test_check_source_accepts_and_normalises() -> None:
    data = SourceInput(" СФР ", "HTTPS://SFR.gov.ru/rss/?utm_source=x", kind="listing", settings=LISTING,
                       topics=("pensions", "pensions"), interval_minutes=10)
    checked = check_source(data, RULES, resolve=None)
    assert (checked.name, checked.url, checked.topics) == ("СФР", "https://sfr.gov.ru/rss/", ("pensions",))
    assert checked.settings == LISTING


def test_missing_crawler_settings_are_refused_in_russian_with_the_key() -> None:
    with pytest.raises(SourceRefusedError) as exc:
        check_source(SourceInput("x", "https://93.184.216.34/", kind="catalog"), RULES, resolve=None)
    [message] = exc.value.russian()["settings"]
    assert "settings.entry" in message and "обязательный ключ не указан" in message


def test_add_source_refuses_a_watched_address_and_names_the_source(app: App) -> None:
    with session_scope(app.engine) as s:
        first = add_source(s, SourceInput("СФР", "https://sfr.gov.ru/rss/"), RULES, origin="cli", resolve=None)
        assert first.created and first.source.origin == "cli"
    for same in ("https://SFR.gov.ru/rss/", "https://sfr.gov.ru:443/rss/?utm_source=vk#top"):
        with pytest.raises(SourceRefusedError) as exc, session_scope(app.engine) as s:
            add_source(s, SourceInput("СФР-2", same), RULES, origin="web", resolve=None)
        assert "already watched: source 'СФР'" in refused(exc)["url"]
        assert "этот адрес уже отслеживается: источник «СФР»" in exc.value.russian()["url"][0]
    with session_scope(app.engine) as s:
        assert [r.name for r in s.exec(select(Source))] == ["СФР"]


def test_the_feed_a_page_announces_counts_as_its_address(app: App) -> None:
    def page_with_feed(url: str) -> FeedLookup:
        return FeedLookup(feed_url="https://omsk.example.org/news/rss.xml")

    with session_scope(app.engine) as s:
        saved = add_source(s, SourceInput("omsk", "https://omsk.example.org/news/"), RULES, origin="web",
                           find_feed=page_with_feed, resolve=None)
        assert saved.source.feed_url == "https://omsk.example.org/news/rss.xml"
    with pytest.raises(SourceRefusedError) as exc, session_scope(app.engine) as s:  # the feed itself
        add_source(s, SourceInput("omsk-rss", "https://omsk.example.org/news/rss.xml"), RULES, origin="cli",
                   resolve=None)
    assert "source 'omsk'" in refused(exc)["url"]
    with pytest.raises(SourceRefusedError) as exc, session_scope(app.engine) as s:  # another page, same feed
        add_source(s, SourceInput("omsk-2", "https://omsk.example.org/"), RULES, origin="web",
                   find_feed=page_with_feed, resolve=None)
    assert "its feed https://omsk.example.org/news/rss.xml is already watched: source 'omsk'" in refused(exc)["url"]


def test_a_crawler_kind_is_saved_only_with_valid_settings(app: App) -> None:
    data = SourceInput("sfr-list", "https://sfr.gov.ru/press_center/news/", kind="listing")
    with pytest.raises(SourceRefusedError), session_scope(app.engine) as s:
        add_source(s, data, RULES, origin="cli", resolve=None)
    with session_scope(app.engine) as s:
        saved = add_source(s, replace(data, settings=LISTING), RULES, origin="cli", resolve=None)
    assert saved.source.settings == LISTING and saved.source.kind == "listing"


def test_update_source_checks_what_changes(app: App) -> None:
    with session_scope(app.engine) as s:
        a = add_source(s, SourceInput("a", "https://a.example.org/rss"), RULES, origin="cli", resolve=None).source
        add_source(s, SourceInput("b", "https://b.example.org/rss"), RULES, origin="cli", resolve=None)
        a.etag = '"e1"'
        a.feed_url = None
        s.add(a)
        a_id = a.id
    with session_scope(app.engine) as s:
        row = s.get(Source, a_id)
        same = update_source(s, row, replace(SourceInput.from_row(row), topics=("gosuslugi",)), RULES, resolve=None)
        assert same.changed == ("topics",) and row.etag == '"e1"'
        with pytest.raises(SourceRefusedError) as exc:
            update_source(s, row, replace(SourceInput.from_row(row), url="https://B.example.org/rss"), RULES,
                          resolve=None)
        assert "source 'b'" in refused(exc)["url"]
        with pytest.raises(SourceRefusedError) as exc:
            update_source(s, row, replace(SourceInput.from_row(row), name="b"), RULES, resolve=None)
        assert "already exists" in refused(exc)["name"]
        moved = update_source(s, a_id, replace(SourceInput.from_row(row), url="https://a.example.org/news.rss"),
                              RULES, resolve=None)
        assert moved.changed == ("url",) and row.etag is None
        with pytest.raises(SourceRefusedError):
            update_source(s, row, replace(SourceInput.from_row(row), kind="sitemap", settings={"max_depth": 9}),
                          RULES, resolve=None)


def test_watching_source_is_pure() -> None:
    others = [Source(id=1, name="a", url="https://a.example.org/", feed_url="https://a.example.org/rss"),
              Source(id=2, name="b", url="https://b.example.org/")]
    assert watching_source(["https://A.example.org/rss?utm_medium=x"], others).name == "a"  # type: ignore[union-attr]
    assert watching_source(["https://a.example.org"], others, exclude_id=1) is None
    assert watching_source(["https://c.example.org/"], others) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("item: article\ntitle: h3\n", LISTING),
        ('{"item": "article", "title": "h3"}', LISTING),
        ("# nothing\n", {}),
    ],
)
def test_settings_text_is_yaml_or_json(text: str, expected: dict[str, Any]) -> None:
    assert parse_settings_text(text) == expected
    assert parse_settings_text(settings_text(expected)) == expected


@pytest.mark.parametrize("text", ["item: [unclosed", "- a\n- b\n", "just words"])
def test_settings_text_that_is_not_a_mapping_is_refused(text: str) -> None:
    with pytest.raises(SourceRefusedError) as exc:
        parse_settings_text(text)
    assert exc.value.problems[0].field == "settings" and exc.value.russian()["settings"]


def test_seeding_goes_through_the_same_rules(make_app: Any) -> None:
    app = make_app(sources=[{"name": "a", "url": "https://e.org/rss"}, {"name": "b", "url": "https://E.org/rss"}])
    with pytest.raises(ConfigError) as exc, session_scope(app.engine) as s:
        seed_sources(s, app.config.sources, rules=SourceRules.from_config(app.config))
    assert exc.value.key == "sources[1].url" and "source 'a'" in exc.value.problem
    with session_scope(app.engine) as s:
        assert s.exec(select(Source)).all() == []  # the transaction wrote nothing


def test_seeding_keeps_a_url_moved_by_a_redirect(make_app: Any) -> None:
    app = make_app(sources=[{"name": "a", "url": "https://e.org/rss", "interval_minutes": 30}])
    rules = SourceRules.from_config(app.config)
    with session_scope(app.engine) as s:
        assert seed_sources(s, app.config.sources, rules=rules) == (["a"], [])
        row = s.exec(select(Source)).one()
        row.url = "https://e.org/new-rss"
        s.add(row)
    with session_scope(app.engine) as s:
        assert seed_sources(s, app.config.sources, rules=rules) == ([], [])
        assert s.exec(select(Source)).one().url == "https://e.org/new-rss"
    changed = make_app(sources=[{"name": "a", "url": "https://e.org/rss", "interval_minutes": 60}])
    with session_scope(changed.engine) as s:
        assert seed_sources(s, changed.config.sources, rules=rules) == ([], ["a"])
