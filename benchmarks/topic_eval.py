"""Benchmark: how well the course topics fit real headlines (precision and recall per topic).

The labelled set is ``tests/fixtures/topics/eval.jsonl``: one JSON object per line with the
``text`` an item carries into classification (title, a line break, the summary as plain text),
the corpus ``source`` file it came from and the ``topics`` a course lesson would want it for
(an empty list: not for the course at all); ``note`` says why, where the call was not obvious.
``tests/fixtures/topics/SOURCES.md`` names the corpus files and their terms.

A fixed ~30 % of the lines (by a hash of the text, see :func:`is_held_out`) is held out: rules are
written looking at the other lines only, and both figures are reported.

    python benchmarks/topic_eval.py                     # config.yaml on the whole set
    python benchmarks/topic_eval.py --smoke             # the first 50 lines only
    python benchmarks/topic_eval.py --config old.yaml   # another config (e.g. before a change)
    python benchmarks/topic_eval.py --errors            # each wrong line, with the match's reasons
    python benchmarks/topic_eval.py --extract > candidates.jsonl
                                                        # the lines again, from the corpus copy

``--extract [CORPUS_DIR]`` reads the corpus files named in :data:`CORPUS_FILES` through the
project's own feed parser and item normalisation (the text is what ``prepare_entry`` classifies)
and prints one line per distinct item: with its labels when the text is already in the set,
``"topics": null`` (to be labelled by hand) when it is new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ecitizen.classify import Classification, ServiceRule, TopicRule, classify  # noqa: E402

EVAL_SET = ROOT / "tests" / "fixtures" / "topics" / "eval.jsonl"
#: the repository's copy of the shared corpus (``tests/fixtures/corpus/SOURCES.md``)
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
#: share of lines (by hash) held out from rule writing
HELD_OUT_PERCENT = 30
SMOKE_LINES = 50

#: corpus files (relative to the corpus folder) the set is extracted from, and their kind
CORPUS_FILES: dict[str, str] = {
    "gov-pages/government.ru-2018-03.html": "government",
    "gov-pages/government.ru-2026-08.html": "government",
    "gov-pages/kremlin.ru-2018-03.html": "kremlin",
    "gov-pages/kremlin.ru-2026-08.html": "kremlin",
    "gov-pages/sfr.gov.ru-news-2026-08.html": "sfr",
    "gov-pages/mintrud.gov.ru-2026-08.html": "mintrud",
    "gov-pages/pravo.gov.ru-2026-08.html": "pravo",
    "gov-pages/mos.ru-2026-08.json": "mos",
    "gov-pages/gosuslugi.ru-2018-03.html": "gosuslugi",
    **{
        f"cyrillic-feeds/windows-1251/{name}": "feed"
        for name in (
            "aif.ru.health.xml", "anthropology.ru.xml", "aug32.hole.ru.xml", "aviaport.ru.xml",
            "blog.mlmaster.com.xml", "forum.template-toolkit.ru.1.xml", "forum.template-toolkit.ru.4.xml",
            "forum.template-toolkit.ru.6.xml", "forum.template-toolkit.ru.8.xml",
            "forum.template-toolkit.ru.9.xml", "greek.ru.xml", "intertat.ru.xml",
            "janulalife.blogspot.com.xml", "kapranoff.ru.xml", "money.rin.ru.xml", "music.peeps.ru.xml",
            "newsru.com.xml",
        )
    },
}


# --- the labelled set ------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalLine:
    text: str
    source: str
    topics: frozenset[str]
    note: str = ""

    @property
    def held_out(self) -> bool:
        return is_held_out(self.text)


def is_held_out(text: str) -> bool:
    """The fixed split: a line is held out when the first two bytes of its text's SHA-256 say so."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:2], "big") % 100 < HELD_OUT_PERCENT


class EvalSetError(ValueError):
    """A line of the labelled set is not what the loader expects (names the line)."""


def parse_eval_line(raw: str, *, lineno: int, known_topics: Iterable[str] | None = None) -> EvalLine:
    try:
        obj: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EvalSetError(f"line {lineno}: not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise EvalSetError(f"line {lineno}: not a JSON object")
    text, source, topics, note = obj.get("text"), obj.get("source"), obj.get("topics"), obj.get("note", "")
    if not isinstance(text, str) or not text.strip():
        raise EvalSetError(f"line {lineno}: text: must be a non-empty string")
    if not isinstance(source, str) or not source:
        raise EvalSetError(f"line {lineno}: source: must name a corpus file")
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise EvalSetError(f"line {lineno}: topics: must be a list of topic ids (empty: not for the course)")
    if not isinstance(note, str):
        raise EvalSetError(f"line {lineno}: note: must be a string")
    unknown = set(topics) - set(known_topics) if known_topics is not None else set()
    if unknown:
        raise EvalSetError(f"line {lineno}: topics: unknown topic {sorted(unknown)[0]!r}")
    return EvalLine(text, source, frozenset(topics), note)


def load_eval_set(
    path: Path = EVAL_SET, *, known_topics: Iterable[str] | None = None, limit: int | None = None
) -> list[EvalLine]:
    """The labelled lines of ``path`` (the first ``limit`` of them), checked line by line."""
    known = None if known_topics is None else set(known_topics)
    out: list[EvalLine] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            out.append(parse_eval_line(raw, lineno=lineno, known_topics=known))
            if limit is not None and len(out) >= limit:
                break
    return out


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass(frozen=True)
class Outcome:
    """One line's result: what was expected, what the classifier said, and its explanation."""

    line: EvalLine
    predicted: frozenset[str]
    classification: Classification

    @property
    def correct(self) -> bool:
        return self.predicted == self.line.topics


@dataclass
class Figures:
    per_topic: dict[str, Counts] = field(default_factory=dict)
    lines: int = 0
    positives: int = 0

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_topic.values():
            total.add(c)
        return total


def classify_lines(
    lines: Sequence[EvalLine], topic_rules: Sequence[TopicRule], service_rules: Sequence[ServiceRule] = ()
) -> list[Outcome]:
    out: list[Outcome] = []
    for line in lines:
        c = classify(line.text, topic_rules, service_rules)
        out.append(Outcome(line, frozenset(m.id for m in c.topics), c))
    return out


def figures(outcomes: Iterable[Outcome], topic_ids: Sequence[str]) -> Figures:
    fig = Figures(per_topic={t: Counts() for t in topic_ids})
    for o in outcomes:
        fig.lines += 1
        fig.positives += bool(o.line.topics)
        for t in topic_ids:
            want, got = t in o.line.topics, t in o.predicted
            c = fig.per_topic[t]
            c.tp += want and got
            c.fp += got and not want
            c.fn += want and not got
    return fig


# --- corpus extraction -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    text: str
    source: str


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _prepared_text(title: str, summary_html: str) -> str:
    """The text ``prepare_entry`` classifies for an entry with this title and summary."""
    from ecitizen.pipeline import EntryData, Rules, prepare_entry

    item = prepare_entry(EntryData(url="http://corpus.invalid/", title=title, summary_html=summary_html), Rules())
    return f"{item.title}\n{item.summary_text}" if item.summary_text else item.title


def _html_entries(rel: str, body: str) -> list[tuple[str, str]]:
    import lxml.html

    doc = lxml.html.fromstring(body)

    def texts(el: Any, css: str) -> str:
        return _squash(" ".join(str(x.text_content()) for x in el.cssselect(css)))

    out: list[tuple[str, str]] = []
    if "government.ru" in rel:
        for h in doc.cssselect("div.headline"):
            out.append((texts(h, "span.headline_title_link"), texts(h, "span.headline_lead")))
    elif "kremlin.ru" in rel:
        for h in doc.cssselect("div.hentry"):
            out.append((texts(h, "[itemprop=name]"), ""))
    elif "sfr.gov.ru" in rel:
        for a in doc.cssselect("article.re-news__article"):
            out.append((texts(a, "h3.re-news__article-title"), texts(a, "p.re-news__article-description")))
    elif "mintrud.gov.ru" in rel:
        for p in doc.cssselect("div.post-list"):
            paras = [_squash(str(x.text_content())) for x in p.cssselect("a p")]
            out.append((paras[0] if paras else "", " ".join(paras[1:])))
    elif "pravo.gov.ru" in rel:
        for a in doc.cssselect("a.documents-item-name"):
            out.append((_squash(str(a.text_content())), ""))
    elif "gosuslugi.ru" in rel:
        # the page's own share card (Open Graph title and description), then the front page's
        # service tiles, which live in inline JavaScript (``indexConfig = {...}``): no news in the HTML
        og_title = doc.cssselect('meta[property="og:title"]')
        og_text = doc.cssselect('meta[property="og:description"]')
        if og_title and og_text:
            out.append((str(og_title[0].get("content", "")), str(og_text[0].get("content", ""))))
        start = body.index("indexConfig = ") + len("indexConfig = ")
        config, _ = json.JSONDecoder().raw_decode(body[start:])
        for row in config["rows"]:
            for tile in row["elements"]:
                out.append((str(tile.get("title", "")), str(tile.get("content", ""))))
    return out


def _json_entries(rel: str, body: str) -> list[tuple[str, str]]:
    data = json.loads(body)
    records = data["props"]["pageProps"]["initialState"]["documentsList"]["data"]
    # the record without a date is a hand-made edge case of the test it came from (corpus SOURCES)
    return [(_squash(str(r["title"])), "") for r in records if r.get("date_published")]


def _feed_entries(body: bytes) -> list[tuple[str, str]]:
    from ecitizen.feeds.parse import parse_feed

    parsed = parse_feed(body, url="http://corpus.invalid/")
    return [(e.title or "", e.summary_html or "") for e in parsed.entries]


def extract_corpus(corpus: Path) -> list[Candidate]:
    """One candidate per distinct item text of the corpus files in :data:`CORPUS_FILES`."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for rel, kind in CORPUS_FILES.items():
        path = corpus / rel
        if kind == "feed":
            entries = _feed_entries(path.read_bytes())
        elif rel.endswith(".json"):
            entries = _json_entries(rel, path.read_text(encoding="utf-8"))
        else:
            entries = _html_entries(rel, path.read_text(encoding="utf-8"))
        for title, summary in entries:
            if not (title.strip() or summary.strip()):
                continue
            text = _prepared_text(title, summary)
            if text in seen:
                continue
            seen.add(text)
            out.append(Candidate(text, rel))
    return out


# --- report ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def render_table(fig_all: Figures, fig_train: Figures, fig_held: Figures) -> str:
    """A Markdown table: per topic, labelled lines (train + held-out), counts, and P / R."""
    head = "| topic | labelled (train + held-out) | TP | FP | FN | precision | recall | train P / R | held-out P / R |"
    rows = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name: str, c: Counts, tr: Counts, ho: Counts) -> str:
        return (f"| {name} | {c.tp + c.fn} ({tr.tp + tr.fn} + {ho.tp + ho.fn}) | {c.tp} | {c.fp} | {c.fn} | "
                f"{_pct(c.precision)} | {_pct(c.recall)} | "
                f"{_pct(tr.precision)} / {_pct(tr.recall)} | {_pct(ho.precision)} / {_pct(ho.recall)} |")

    for t, c in fig_all.per_topic.items():
        rows.append(row(t, c, fig_train.per_topic[t], fig_held.per_topic[t]))
    rows.append(row("**micro**", fig_all.micro, fig_train.micro, fig_held.micro))
    return "\n".join(rows)


def explain(o: Outcome) -> str:
    reasons = "; ".join(f"{m.id}: {m.reason}" for m in o.classification.topics) or "no match"
    return (f"expected {sorted(o.line.topics)} got {sorted(o.predicted)} [{reasons}]\n"
            f"    {o.line.text[:160]!r} ({o.line.source})")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--config", default=str(ROOT / "config.yaml"), help="config file whose topics are evaluated")
    ap.add_argument("--set", default=str(EVAL_SET), help="labelled set (JSON lines)")
    ap.add_argument("--smoke", action="store_true", help=f"only the first {SMOKE_LINES} lines")
    ap.add_argument("--errors", action="store_true", help="print every training line the classifier got wrong")
    ap.add_argument("--held-out-errors", action="store_true",
                    help="print the held-out lines it got wrong too (look only after the rules are written)")
    ap.add_argument("--extract", metavar="CORPUS_DIR", nargs="?", const=str(CORPUS),
                    help=f"print candidate lines from the corpus (default {CORPUS.relative_to(ROOT)}); labels of "
                         "texts already in the set are kept, new texts get \"topics\": null")
    args = ap.parse_args(argv)

    if args.extract:
        known = {line.text: line for line in load_eval_set(Path(args.set))} if Path(args.set).exists() else {}
        for cand in extract_corpus(Path(args.extract)):
            old = known.get(cand.text)
            record: dict[str, object] = {"text": cand.text, "source": cand.source,
                                         "topics": sorted(old.topics) if old else None}
            if old and old.note:
                record["note"] = old.note
            print(json.dumps(record, ensure_ascii=False))
        return 0

    from ecitizen.config import load_config
    from ecitizen.pipeline import rules_from_config

    config = load_config(args.config, env={})
    topic_ids = [t.id for t in config.topics]
    rules = topic_rules_of(config)
    services = rules_from_config((), config.new_service_rules).services
    lines = load_eval_set(Path(args.set), known_topics=topic_ids, limit=SMOKE_LINES if args.smoke else None)
    outcomes = classify_lines(lines, rules, services)
    fig_all = figures(outcomes, topic_ids)
    fig_train = figures((o for o in outcomes if not o.line.held_out), topic_ids)
    fig_held = figures((o for o in outcomes if o.line.held_out), topic_ids)
    print(f"{fig_all.lines} lines ({fig_train.lines} train, {fig_held.lines} held out), "
          f"{fig_all.positives} for at least one topic; config {args.config}")
    print(render_table(fig_all, fig_train, fig_held))
    if args.errors or args.held_out_errors:
        for o in outcomes:
            if not o.correct and (args.held_out_errors or not o.line.held_out):
                print(("HELD-OUT " if o.line.held_out else "TRAIN ") + explain(o))
    return 0


def topic_rules_of(config: Any) -> tuple[TopicRule, ...]:
    """The topic rules of a loaded config (all rule fields, not only the keywords)."""
    return tuple(t.rule() for t in config.topics)


if __name__ == "__main__":
    raise SystemExit(main())
