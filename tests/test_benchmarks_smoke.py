"""Every benchmark runs: ``python -m benchmarks.<name> --smoke`` exits 0 and prints its figures.

Smoke sizes are tiny (a few seconds each), so the figures mean nothing; what is checked is that the
real code paths and the comparison peers still run. A peer that is not installed (``reader``,
LinkChecker: the ``bench`` extra) is skipped by the benchmark itself, which says so.

Marked ``slow``: each run takes a few seconds to half a minute (``archive_scale`` grows a SQLite
and a PostgreSQL database), 1–2 minutes together on an idle 2-core machine, more under load
(they still run in the default suite; ``-m "not slow"`` leaves them out).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURE = r"\d+\.\d+"


def _has_linkchecker() -> bool:
    return (Path(sys.executable).parent / "linkchecker").exists() or shutil.which("linkchecker") is not None


def _has_reader() -> bool:
    return importlib.util.find_spec("reader") is not None


#: benchmark → lines its smoke run must print (regular expressions, searched line by line)
EXPECTED: dict[str, list[str]] = {
    "feeds_poll": [
        r"^== shape: random vocabulary ==",
        r"^== shape: shared vocabulary ==\n.*headlines from a 25-word vocabulary",
        rf"^feedparser floor \(parse in memory\): +{FIGURE} s",
        rf"^our parse_feed alone \(same bytes\): +{FIGURE} s",
        rf"^cold poll \(fetch\+parse\+prepare\+store\): +{FIGURE} s .* in 4 responses",
        rf"^warm poll \(all 304\): +{FIGURE} s",
        rf"^reader update_feeds \(cold\): +{FIGURE} s .* 20 entries" if _has_reader()
        else r"^reader update_feeds: column skipped \(reader is not installed",
        r"^goals, random vocabulary: cold ≤ 1.5× floor (met|NOT met)",
        r"^goals, shared vocabulary: cold ≤ 1.5× floor (met|NOT met)",
    ],
    "links_check": [
        r"^links: 40 on 20 hosts",
        rf"^ours, first run .*: +{FIGURE} s = {FIGURE}x bound; .*main-text workers {FIGURE} s; server CPU",
        rf"^ours, second run .*: +{FIGURE} s = {FIGURE}x bound",
        r"^outcomes: \{'ok': 40\}",
        rf"^HTTP layer alone .*: {FIGURE} s",
        rf"^LinkChecker \(default settings, -r 1 --check-extern\): {FIGURE} s for \d+ URLs" if _has_linkchecker()
        else r"^LinkChecker: column skipped \(the linkchecker command is not installed",
        r"^memory: 200 links, peak RSS \d+ MB \(goal < 150 MB\), main-text workers: \d+",
        r"^goals: steady ≤ 1.3x (met|NOT met); first ≤ 2x (met|NOT met)",
    ],
    "crawl_listing": [
        r"^ecitizen listing crawl: 3 pages, 60 items stored",
        rf"^  crawl \(Scrapy elapsed.*\): {FIGURE} s → \d+ pages/min",
        r"^scrapy bench \(1 s\): median .*, overall [1-9]\d* pages/min",
        rf"^ratio crawl / scrapy bench \(overall\): {FIGURE}",
    ],
    "posters": [
        r"^posters: 2 libraries × 3 items, \d+ A4 page\(s\) each",
        rf"^make_posters: +{FIGURE} s per poster",
        rf"^WeasyPrint alone: +{FIGURE} s per poster",
        rf"^overhead: +[+-]{FIGURE} %",
        rf"^our steps alone: +{FIGURE} ms per poster",
    ],
    "distributed": [
        r"^machine: \d+ cores",
        rf"^feeds \(CPU-bound\): 20 feeds × 5 entries: 1 worker {FIGURE} s, 3 workers {FIGURE} s, speed-up {FIGURE}x",
        rf"^links \(politeness-bound\): 40 on 20 hosts.*: 1 worker {FIGURE} s, 3 workers {FIGURE} s, speed-up {FIGURE}x",
    ],
    "public_feeds": [
        r"^waitress threads=2, client: 4 keep-alive connections on one asyncio loop",
        rf"^/feed.json +\d+ +\d+ +{FIGURE}  \{{'200': \d+\}}",
        rf"^/feed.atom +\d+ +\d+ +{FIGURE}  \{{'200': \d+\}}",
        rf"^/widget +\d+ +\d+ +{FIGURE}  \{{'200': \d+\}}",
        rf"^/feed.json  If-None-Match → 304 +\d+ +\d+ +{FIGURE}  \{{'304': \d+\}}",
        rf"^/widget  If-None-Match → 304 +\d+ +\d+ +{FIGURE}  \{{'304': \d+\}}",
        r"^goal ≥ 0.90 × the same bytes as a static file: (met|NOT met)",
    ],
    "archive_scale": [
        r"^archive of 2,000 items",
        r"^  sqlite +grew 2,000 items",
        r"^  postgresql +grew 2,000 items",
        rf"^  sqlite +review: approved, a page deep in the archive .* median +{FIGURE} ms",
        rf"^  postgresql +/feed.json first after a change .* median +{FIGURE} ms",
        r"^  sqlite +items list --json \(default page\) .* kB written",
        rf"^  postgresql +publish +first +{FIGURE} ms",
        r"^sqlite: slowest page or endpoint .*goal < 300 ms: (met|NOT met)",
        r"^postgresql: slowest page or endpoint .*goal < 300 ms: (met|NOT met)",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_benchmark_smoke_run_prints_its_figures(name: str) -> None:
    proc = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False)
    out = proc.stdout
    assert proc.returncode == 0, f"exit code {proc.returncode}\n{out}\n{proc.stderr[-3000:]}"
    missing = [p for p in EXPECTED[name] if not re.search(p, out, re.MULTILINE)]
    assert not missing, f"not printed: {missing}\n{out}"
