"""Preparing a large batch in worker processes (``ecitizen.prepare_pool``): the result
``prepare_entries`` gives (order, rejections, in-batch duplicates), and a worker that dies leaves
its part to this process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecitizen import prepare_pool
from ecitizen.frames import FramePool
from ecitizen.pipeline import EntryData, Rules, prepare_entries, slim_result
from ecitizen.prepare_pool import prepare_in_workers, workers_for

BASE = "http://127.0.0.5/press_center/news/"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def listing(n: int) -> list[EntryData]:
    out = []
    for k in range(n):
        url = f"/press_center/news/{k % 1150}"  # some links twice: in-batch duplicates
        if k % 97 == 0:
            url = "javascript:alert(1)"  # unusable
        out.append(EntryData(url=url, title=f"Новость {k}: пенсия и запись к врачу на Госуслугах",
                             summary_html=f'<p>Подробности №{k} для <b>Омской области</b>, <a href="/x/{k}">ссылка</a>.</p>'
                                          '<script>alert(1)</script>',
                             published_at=T0 - timedelta(minutes=k)))
    return out


@pytest.fixture
def rules(make_app) -> Rules:  # type: ignore[no-untyped-def]
    return make_app().rules  # type: ignore[no-any-return]


def test_workers_give_what_prepare_entries_gives(rules: Rules) -> None:
    entries = listing(1200)
    expected = prepare_entries(entries, rules, base_url=BASE)
    got = prepare_in_workers(entries, rules, base_url=BASE, processes=2)
    assert got == slim_result(expected)  # topics in stored form only
    assert any("duplicate" in r.reason for r in got.rejected)
    assert any("http(s)" in r.reason for r in got.rejected)
    assert all("<script" not in i.summary_html for i in got.items) and got.items[0].topics_json != "[]"


def test_a_worker_that_dies_leaves_its_part_here(rules: Rules, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dying = tmp_path / "dying.py"
    dying.write_text("import sys\nsys.stdin.buffer.read(4)\nsys.exit(3)\n", encoding="utf-8")

    class DyingPool(FramePool):
        def __init__(self, script: str, processes: int, *, name: str = "worker") -> None:
            super().__init__(str(dying), processes, name=name)

    monkeypatch.setattr(prepare_pool, "FramePool", DyingPool)
    entries = listing(700)
    assert prepare_in_workers(entries, rules, base_url=BASE, processes=2) == slim_result(
        prepare_entries(entries, rules, base_url=BASE))


@pytest.mark.parametrize(("entries", "cpus", "expected"), [
    (500, 8, 0),      # a small batch: here
    (20000, 1, 0),    # one core: here
    (20000, 2, 2),
    (20000, 16, 4),   # at most four
])
def test_how_many_workers(entries: int, cpus: int, expected: int) -> None:
    assert workers_for(entries, cpus) == expected
