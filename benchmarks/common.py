"""What the benchmarks share: the corpus, an app on a temp folder, the peer-skipped line.

Every benchmark runs by path (``python benchmarks/feeds_poll.py``) or as a module from the
repository root (``python -m benchmarks.feeds_poll``); ``--smoke`` runs it with tiny sizes in a few
seconds (``tests/test_benchmarks_smoke.py``): the real code paths and the peers, figures meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when used: the benchmarks' server and client processes stay light
    from ecitizen.app import App

ROOT = Path(__file__).resolve().parent.parent
#: the real captured feeds and pages the tests use (tests/fixtures/corpus/SOURCES.md)
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SMOKE_HELP = "tiny sizes, a few seconds: checks that the benchmark runs (figures mean nothing)"


def make_app(data: dict[str, Any], tmp: Path, *, now: Callable[[], datetime] | None = None) -> App:
    from ecitizen.app import App
    from ecitizen.config import parse_config

    config = parse_config(data, base_dir=str(tmp))
    return App(config=config) if now is None else App(config=config, now=now)


def peer_skipped(peer: str, why: str) -> None:
    """The one line a benchmark prints for a comparison it cannot run (the rest still runs)."""
    print(f"{peer}: column skipped ({why}; pip install -e '.[bench]')")
