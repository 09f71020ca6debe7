"""Topic and new-online-service classification over Russian word forms. Pure.

Words are reduced with the Snowball Russian stemmer; a keyword matches a word when the word's stem
starts with the keyword's stem (stems of at least 4 letters; shorter keywords must match whole).
So «пенсия» matches «пенсии», «пенсию», «пенсионный». A phrase matches its words in order.

A topic rule has three kinds of evidence (``config.yaml``, ``topics:``):

* ``keywords`` put a text in the topic on their own («запись к врачу», «загранпаспорт»);
* ``requires_context``: words too ambiguous alone («врач» is in every health-magazine article,
  «читатель» in every "readers ask" column) count only when one of the topic's ``context``
  words occurs elsewhere in the text («запишитесь», «Госуслуги», «онлайн»);
* ``exclude``: phrases whose words never count for the topic («транспортное средство» is a
  vehicle, not public transport; «доктор медицинских наук» is a title, not a clinic).

Every match is explainable: it names each keyword, the word forms that matched it, the context
word that confirmed an ambiguous one and whether it was in the title (the text's first line), and
carries a score in [0, 1]. :attr:`Classification.relevance` combines the topic scores into one
number that can order a review queue; :attr:`Classification.set_aside` says which hits did not
count, and why.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import snowballstemmer

_WORD = re.compile(r"[0-9a-zа-яё]+", re.I)
#: Snowball stemmer objects keep state between calls: one pair per thread
_local = threading.local()


def _stemmers() -> tuple[Any, Any]:
    pair: tuple[Any, Any] | None = getattr(_local, "pair", None)
    if pair is None:
        pair = _local.pair = (snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english"))
    return pair


MIN_PREFIX_STEM = 4

#: weight of one piece of evidence: a keyword / a confirmed ambiguous keyword, in the title or the
#: rest of the text. A topic's score is 1 - Π(1 - weight) over its evidence.
WEIGHT_KEYWORD_TITLE = 0.9
WEIGHT_KEYWORD_TEXT = 0.7
WEIGHT_CONTEXT_TITLE = 0.6
WEIGHT_CONTEXT_TEXT = 0.4
#: a new-service phrase («теперь можно») raises the relevance of a text that has a topic
WEIGHT_NEW_SERVICE = 0.3


@dataclass(frozen=True)
class TopicRule:
    """How one course topic is recognised (see the module docstring for the three kinds)."""

    id: str
    keywords: tuple[str, ...]
    requires_context: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceRule:
    id: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """One reason for a topic: a keyword and the words that matched it (and their context)."""

    keyword: str
    words: str
    in_title: bool
    #: for an ambiguous keyword (``requires_context``): the context entry and the words that matched it
    context: str | None = None
    context_words: str | None = None

    @property
    def weight(self) -> float:
        if self.context is None:
            return WEIGHT_KEYWORD_TITLE if self.in_title else WEIGHT_KEYWORD_TEXT
        return WEIGHT_CONTEXT_TITLE if self.in_title else WEIGHT_CONTEXT_TEXT

    @property
    def reason(self) -> str:
        where = "в заголовке" if self.in_title else "в тексте"
        out = f"«{self.words}» {where} (ключевое слово «{self.keyword}»)"
        if self.context is not None:
            out += f" рядом с «{self.context_words}» (контекст «{self.context}»)"
        return out


@dataclass(frozen=True)
class SetAside:
    """A keyword hit that did not count for a topic, and why (for the reviewer and the benchmark)."""

    topic: str
    keyword: str
    words: str
    why: str


@dataclass(frozen=True)
class TopicMatch:
    id: str
    keywords: tuple[str, ...]
    matched: tuple[str, ...]
    #: 1 - Π(1 - weight) over :attr:`evidence`; 1.0 for a match built by hand
    score: float = 1.0
    evidence: tuple[Evidence, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(e.reason for e in self.evidence) or ", ".join(self.matched)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "keywords": list(self.keywords), "matched": list(self.matched),
                "score": self.score, "why": self.reason}


def topics_json(topics: Sequence[TopicMatch]) -> str:
    """The stored form of a topic list: ``json.dumps([t.as_dict() for t in topics],
    ensure_ascii=False)``, each topic's part made once (the same matches, evidence and all, come
    back text after text: a cold poll of the shared-vocabulary benchmark repeats 310 of them
    33,000 times)."""
    try:
        return "[" + ", ".join(map(_topic_json, topics)) + "]"
    except TypeError:  # a match built by hand with lists: not hashable, made directly
        return json.dumps([t.as_dict() for t in topics], ensure_ascii=False)


@lru_cache(maxsize=8192)
def _topic_json(topic: TopicMatch) -> str:
    return json.dumps(topic.as_dict(), ensure_ascii=False)


@dataclass(frozen=True)
class Classification:
    topics: tuple[TopicMatch, ...]
    new_service_rule: str | None
    new_service_phrase: str | None
    #: how surely the text is course material, in [0, 1]: the best topic score, raised by a
    #: new-service phrase; 0.0 without a topic. Orders a review queue; not a threshold.
    relevance: float = 0.0
    set_aside: tuple[SetAside, ...] = ()

    @property
    def is_new_service(self) -> bool:
        return self.new_service_rule is not None


def normalise_word(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word.isdigit():  # numbers (№ 1234, dates) are their own stems: no stemmer call for each
        return word
    w = normalise_word(word)
    ru, en = _stemmers()
    stemmer = ru if re.search(r"[а-я]", w) else en
    return str(stemmer.stemWord(w))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def _stem_matches(keyword_stem: str, word_stem: str) -> bool:
    if len(keyword_stem) >= MIN_PREFIX_STEM:
        return word_stem.startswith(keyword_stem)
    return word_stem == keyword_stem


def _phrase_spans(phrase_stems: Sequence[str], text_stems: Sequence[str],
                  index: _StemIndex) -> Iterator[tuple[int, int]]:
    """Every ``(start, end)`` token span where the phrase occurs (contiguous, by stem), in order,
    starting only where the index says its first stem does (no scan over the text)."""
    positions = index.positions_of(phrase_stems[0])
    if len(phrase_stems) == 1:  # most keywords are one word: every position is a span
        return map(_one_word_span, positions)
    return _longer_spans(phrase_stems, text_stems, positions)


def _one_word_span(i: int) -> tuple[int, int]:
    return i, i + 1


def _longer_spans(phrase_stems: Sequence[str], text_stems: Sequence[str],
                  positions: Sequence[int]) -> Iterator[tuple[int, int]]:
    n, rest = len(phrase_stems), phrase_stems[1:]
    last = len(text_stems) - n
    for i in positions:
        if i > last:
            return
        for k, p in enumerate(rest, i + 1):
            if not _stem_matches(p, text_stems[k]):
                break
        else:
            yield i, i + n


def _phrase_in(phrase_stems: Sequence[str], text_stems: Sequence[str], index: _StemIndex) -> bool:
    """The phrase occurs in the text (see :func:`_phrase_spans`)."""
    return next(_phrase_spans(phrase_stems, text_stems, index), None) is not None


@lru_cache(maxsize=8192)
def phrase_stems(phrase: str) -> tuple[str, ...]:
    """Stems of a keyword or phrase (cached: rules are matched against every item)."""
    return tuple(stem(w) for w in words(phrase))


class _StemIndex:
    """The stems of one text: every position of each stem, and of each prefix of it that is a
    stem the rules match as a prefix (any stem of an entry, of MIN_PREFIX_STEM letters or more:
    the ``wanted`` prefixes that :func:`_analyse` gives with each token's stem).

    A keyword lookup is then one dict access instead of a scan over the text's stems, and so is
    the test that each word of a phrase occurs somewhere (:meth:`has_rest`).
    """

    __slots__ = ("positions", "prefix_positions")

    def __init__(self, token_keys: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        #: every position of each stem, and of each wanted prefix (in text order)
        positions: dict[str, list[int]] = {}
        prefix_positions: dict[str, list[int]] = {}
        for i, (s, prefixes) in enumerate(token_keys):
            found = positions.get(s)
            if found is None:
                positions[s] = [i]
            else:
                found.append(i)
            for p in prefixes:
                found = prefix_positions.get(p)
                if found is None:
                    prefix_positions[p] = [i]
                else:
                    found.append(i)
        self.positions = positions
        self.prefix_positions = prefix_positions

    def positions_of(self, keyword_stem: str) -> list[int]:
        """Every position of a token matching ``keyword_stem`` (as :func:`_stem_matches`), in order;
        a prefix-matched keyword stem must be one of the index's ``wanted`` prefixes."""
        table = self.positions if len(keyword_stem) < MIN_PREFIX_STEM else self.prefix_positions
        return table.get(keyword_stem, [])

    def has_rest(self, phrase_stems: Sequence[str]) -> bool:
        """Every stem of a phrase after its first matches some token of the text: without that,
        the phrase cannot occur (most phrases whose first word a text has are rejected here, with
        no look at positions)."""
        positions, prefixes = self.positions, self.prefix_positions
        for s in phrase_stems[1:]:
            if s not in (positions if len(s) < MIN_PREFIX_STEM else prefixes):
                return False
        return True


@lru_cache(maxsize=65536)
def _prefixes_in(word_stem: str, wanted: frozenset[str]) -> tuple[str, ...]:
    """The prefixes of a stem (of :data:`MIN_PREFIX_STEM` letters or more) that are ``wanted``."""
    return tuple(p for p in (word_stem[:k] for k in range(MIN_PREFIX_STEM, len(word_stem) + 1)) if p in wanted)


@dataclass(frozen=True)
class _Entry:
    """A rule's word or phrase, with its stems; ``prefix``: its first stem matches as a prefix."""

    phrase: str
    stems: tuple[str, ...]
    prefix: bool


@dataclass(frozen=True)
class _Compiled:
    keywords: tuple[_Entry, ...]
    requires_context: tuple[_Entry, ...]
    context: tuple[_Entry, ...]
    exclude: tuple[_Entry, ...]


def _entries(phrases: Iterable[str]) -> tuple[_Entry, ...]:
    out = []
    for p in phrases:
        st = phrase_stems(p)
        if st:
            out.append(_Entry(p, st, len(st[0]) >= MIN_PREFIX_STEM))
    return tuple(out)


@lru_cache(maxsize=1024)
def _compile(rule: TopicRule) -> _Compiled:
    """The stems of a rule's entries, computed once per rule (rules are matched against every item)."""
    return _Compiled(_entries(rule.keywords), _entries(rule.requires_context), _entries(rule.context),
                     _entries(rule.exclude))


#: an entry of a rule: (rule number, group, entry number in its group, the entry); the groups:
_KEYWORDS, _REQUIRES_CONTEXT, _CONTEXT, _EXCLUDE = range(4)
_Ref = tuple[int, int, int, _Entry]


@dataclass(frozen=True)
class _RuleIndex:
    """Every entry of a rule set by its first stem, so that a text finds the entries it may
    contain with one dict access per distinct stem of its own (not one per entry of every rule).
    Under each stem: the one-word entries, then the phrases (kept only if the text has each of
    their words: :meth:`_StemIndex.has_rest`)."""

    #: entries whose first stem matches whole (shorter than MIN_PREFIX_STEM) ...
    exact: dict[str, tuple[tuple[_Ref, ...], tuple[_Ref, ...]]]
    #: ... and those whose first stem matches as a prefix
    prefix: dict[str, tuple[tuple[_Ref, ...], tuple[_Ref, ...]]]


@lru_cache(maxsize=64)
def _rule_index(rules: tuple[TopicRule, ...]) -> _RuleIndex:
    exact: dict[str, list[_Ref]] = {}
    prefix: dict[str, list[_Ref]] = {}
    for ri, rule in enumerate(rules):
        c = _compile(rule)
        for group, entries in enumerate((c.keywords, c.requires_context, c.context, c.exclude)):
            for n, e in enumerate(entries):
                (prefix if e.prefix else exact).setdefault(e.stems[0], []).append((ri, group, n, e))
    return _RuleIndex(_by_length(exact), _by_length(prefix))


def _by_length(table: dict[str, list[_Ref]]) -> dict[str, tuple[tuple[_Ref, ...], tuple[_Ref, ...]]]:
    """Each key's entries as (one-word entries, phrases)."""
    return {k: (tuple(r for r in v if len(r[3].stems) == 1), tuple(r for r in v if len(r[3].stems) > 1))
            for k, v in table.items()}


def _present_by_rule(text: _Text, index: _RuleIndex) -> dict[int, list[list[_Entry]]]:
    """For each rule with an entry whose first stem occurs in the text, in the rules' order: its
    four groups of such entries (keywords, requiring context, context, exclusions), each in the
    rule's order."""
    refs: list[_Ref] = []
    has_rest = text.index.has_rest
    for table, keys in ((index.exact, text.index.positions), (index.prefix, text.index.prefix_positions)):
        for key in keys:
            found = table.get(key)
            if found is not None:
                words_, phrases = found
                refs.extend(words_)
                for ref in phrases:
                    if has_rest(ref[3].stems):
                        refs.append(ref)
    # an entry is indexed once, under its first stem, and a text's keys are distinct: (rule,
    # group, number) is unique, so one sort puts every group in the rule's order (and never
    # compares two entries)
    refs.sort()
    present: dict[int, list[list[_Entry]]] = {}
    for ri, group, _n, entry in refs:
        groups = present.get(ri)
        if groups is None:
            groups = present[ri] = [[], [], [], []]
        groups[group].append(entry)
    return present


@dataclass(frozen=True)
class _Text:
    tokens: list[str]
    stems: list[str]
    index: _StemIndex
    #: tokens before this position are the title (the text's first line)
    title_end: int

    def spans(self, entry: _Entry) -> Iterator[tuple[int, int]]:
        """Every ``(start, end)`` token span where ``entry`` occurs, in order (lazily: most callers
        need the first)."""
        return _phrase_spans(entry.stems, self.stems, self.index)

    def first_span(self, entry: _Entry) -> tuple[int, int] | None:
        """The first of :meth:`spans` (most entries are one word: their first position)."""
        stems = entry.stems
        positions = self.index.positions_of(stems[0])
        if len(stems) == 1:
            return (positions[0], positions[0] + 1) if positions else None
        return next(_longer_spans(stems, self.stems, positions), None)

    def span_words(self, span: tuple[int, int]) -> str:
        return " ".join(self.tokens[span[0]:span[1]]).lower()


def _analyse(text: str, wanted: frozenset[str], known: dict[str, tuple[str, tuple[str, ...]]] | None = None
             ) -> _Text:
    """The tokens of ``text`` (title: its first line), their stems and the index of both.
    ``known``: each token already seen with these ``wanted`` prefixes → its stem and wanted
    prefixes (a classifier's table, filled here: a batch's texts share most of their words)."""
    title, newline, rest = text.partition("\n")
    tokens = words(title)  # a word never spans the line break: the text's words are the
    title_end = len(tokens)  # title's, then the rest's
    if newline:
        tokens += words(rest)
    if known is None:
        known = {}
    elif len(known) > _KNOWN_TOKENS_MAX:
        known.clear()
    keys = []
    for t in tokens:
        key = known.get(t)
        if key is None:
            s = stem(t)
            key = known[t] = (s, _prefixes_in(s, wanted))
        keys.append(key)
    return _Text(tokens, [k[0] for k in keys], _StemIndex(keys), title_end)


#: a classifier's table of known tokens is emptied when it grows past this (about 5 MB, measured;
#: a batch's texts share most of their words, and the stemmer's own cache holds 65,536)
_KNOWN_TOKENS_MAX = 50_000


@lru_cache(maxsize=64)
def _prefix_keys(topic_rules: tuple[TopicRule, ...], service_rules: tuple[ServiceRule, ...]) -> frozenset[str]:
    """The stems that the rules' entries match as prefixes (every stem of an entry, of
    MIN_PREFIX_STEM letters or more, first or not): what a text's index must know."""
    keys: set[str] = set()
    for rule in topic_rules:
        c = _compile(rule)
        for group in (c.keywords, c.requires_context, c.context, c.exclude):
            keys.update(s for e in group for s in e.stems if len(s) >= MIN_PREFIX_STEM)
    for srule in service_rules:
        for phrase in srule.phrases:
            keys.update(s for s in phrase_stems(phrase) if len(s) >= MIN_PREFIX_STEM)
    return frozenset(keys)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def match_topics(text: str, rules: Iterable[TopicRule]) -> tuple[TopicMatch, ...]:
    rules = tuple(rules)
    return _match_topics(_analyse(text, _prefix_keys(rules, ())), rules)[0]


def _match_topics(text: _Text, rules: tuple[TopicRule, ...], index: _RuleIndex | None = None
                  ) -> tuple[tuple[TopicMatch, ...], tuple[SetAside, ...]]:
    out: list[TopicMatch] = []
    aside: list[SetAside] = []
    for ri, groups in _present_by_rule(text, index or _rule_index(rules)).items():  # in the rules' order
        if groups[_KEYWORDS] or groups[_REQUIRES_CONTEXT]:  # context or exclusions alone match nothing
            match = _match_rule(text, rules[ri], groups, aside)
            if match is not None:
                out.append(match)
    return tuple(out), tuple(aside)


def _match_rule(text: _Text, rule: TopicRule, present: list[list[_Entry]], aside: list[SetAside]) -> TopicMatch | None:
    """The rule's match in the text, from its entries ``present`` (by group: :func:`_present_by_rule`)."""
    masked = [(sp, e.phrase) for e in present[_EXCLUDE] for sp in text.spans(e)]
    #: the evidence as plain values (:data:`_Found`), made into a TopicMatch once per distinct list
    found: list[_Found] = []
    strong: list[tuple[tuple[int, int], str]] = []
    for entry in present[_KEYWORDS]:
        span = _first_free(text, entry, masked, rule, aside) if masked else text.first_span(entry)
        if span is not None:
            found.append(_found(text, entry.phrase, span))
            strong.append((span, entry.phrase))
    # an ambiguous keyword is confirmed by a context entry or by one of the topic's own keywords
    # elsewhere in the text («выплата» beside «пенсия»); inside a keyword's words it adds nothing
    for entry in present[_REQUIRES_CONTEXT]:
        span = _first_free(text, entry, masked, rule, aside) if masked else text.first_span(entry)
        if span is None or any(_overlaps(span, sp) for sp, _ in strong):
            continue
        confirmed = _confirmation(text, span, strong, present[_CONTEXT], masked)
        if confirmed is None:
            aside.append(SetAside(rule.id, entry.phrase, text.span_words(span), "нет контекста"))
        else:
            found.append(_found(text, entry.phrase, span, confirmed[1], confirmed[0]))
    if not found:
        return None
    return _topic_match(rule.id, tuple(found))


def _mask_of(span: tuple[int, int], masked: list[tuple[tuple[int, int], str]]) -> str | None:
    """The exclusion phrase whose words overlap ``span``, if any."""
    for m, phrase in masked:
        if _overlaps(span, m):
            return phrase
    return None


def _first_free(text: _Text, entry: _Entry, masked: list[tuple[tuple[int, int], str]], rule: TopicRule,
                aside: list[SetAside]) -> tuple[int, int] | None:
    """The first span of ``entry`` outside every exclusion; when all are inside one, that is set aside."""
    seen: tuple[int, int] | None = None
    for sp in text.spans(entry):
        if _mask_of(sp, masked) is None:
            return sp
        seen = seen or sp
    if seen is not None:
        aside.append(SetAside(rule.id, entry.phrase, text.span_words(seen), f"часть «{_mask_of(seen, masked)}»"))
    return None


def _confirmation(text: _Text, span: tuple[int, int], strong: list[tuple[tuple[int, int], str]],
                  context: list[_Entry], masked: list[tuple[tuple[int, int], str]]
                  ) -> tuple[tuple[int, int], str] | None:
    """A context entry, or one of the topic's own keywords, elsewhere in the text than ``span``."""
    for sp, phrase in strong:
        if not _overlaps(sp, span):
            return sp, phrase
    for c in context:
        for sp in text.spans(c):
            if not _overlaps(sp, span) and (not masked or _mask_of(sp, masked) is None):
                return sp, c.phrase
    return None


def _found(text: _Text, kw: str, span: tuple[int, int], ctx: str | None = None,
           ctx_span: tuple[int, int] | None = None) -> _Found:
    """One piece of evidence: ``kw`` matched at ``span`` (confirmed by ``ctx`` at ``ctx_span``)."""
    start = span[0]
    single = span[1] - start == 1
    matched = text.tokens[start].lower() if single else text.span_words(span)
    return kw, matched, start < text.title_end, ctx, text.span_words(ctx_span) if ctx_span else None, single


#: one piece of evidence as :func:`_match_rule` finds it: the keyword, the words that matched it,
#: in the title or not, the context entry and its words (or None, None), one word or a phrase
_Found = tuple[str, str, bool, str | None, str | None, bool]


@lru_cache(maxsize=16384)
def _topic_match(rule_id: str, found: tuple[_Found, ...]) -> TopicMatch:
    """A topic's match from its evidence, made once per distinct evidence: news of one region
    repeats the same few (the shared-vocabulary benchmark's 33,000 matches are 310 distinct ones).
    The score is 1 - Π(1 - weight) over the evidence, in its order (module docstring)."""
    evidence = tuple(Evidence(kw, words_, in_title, ctx, ctx_words)
                     for kw, words_, in_title, ctx, ctx_words, _ in found)
    miss = 1.0
    for ev in evidence:
        miss *= 1.0 - ev.weight
    hit_words = dict.fromkeys(words_ if single else kw for kw, words_, _, _, _, single in found)
    return TopicMatch(rule_id, tuple(f[0] for f in found), tuple(hit_words), round(1.0 - miss, 3), evidence)


def match_new_service(text: str, rules: Iterable[ServiceRule]) -> tuple[str, str] | None:
    """The first rule (id, phrase) whose phrase appears in order in ``text``."""
    rules = tuple(rules)
    return _match_new_service(_analyse(text, _prefix_keys((), rules)), rules)


def _match_new_service(text: _Text, rules: tuple[ServiceRule, ...], index: _ServiceIndex | None = None
                       ) -> tuple[str, str] | None:
    exact, prefix = index or _service_index(rules)
    candidates: list[tuple[int, int, tuple[str, ...], str, str]] = []
    has_rest = text.index.has_rest
    for table, keys in ((exact, text.index.positions), (prefix, text.index.prefix_positions)):
        for key in keys:
            found = table.get(key)
            if found is not None:
                candidates.extend(ref for ref in found if has_rest(ref[2]))
    token_stems, positions = text.stems, text.index
    for _, _, stems, rule_id, phrase in sorted(candidates, key=_rule_order):  # the rules' order
        if _phrase_in(stems, token_stems, positions):
            return rule_id, phrase
    return None


_ServiceRef = tuple[int, int, tuple[str, ...], str, str]


def _rule_order(ref: _ServiceRef) -> tuple[int, int]:
    return ref[0], ref[1]


_ServiceIndex = tuple[dict[str, list[_ServiceRef]], dict[str, list[_ServiceRef]]]


@lru_cache(maxsize=64)
def _service_index(rules: tuple[ServiceRule, ...]) -> _ServiceIndex:
    """Every phrase of the new-service rules by its first stem (matched whole / as a prefix):
    (rule number, phrase number, stems, rule id, phrase)."""
    exact: dict[str, list[_ServiceRef]] = {}
    prefix: dict[str, list[_ServiceRef]] = {}
    for ri, rule in enumerate(rules):
        for pi, phrase in enumerate(rule.phrases):
            stems = phrase_stems(phrase)
            if stems:
                table = prefix if len(stems[0]) >= MIN_PREFIX_STEM else exact
                table.setdefault(stems[0], []).append((ri, pi, stems, rule.id, phrase))
    return exact, prefix


def relevance_of(topics: Sequence[TopicMatch], *, new_service: bool) -> float:
    """The best topic score, raised by :data:`WEIGHT_NEW_SERVICE` for a new service; 0 without a topic."""
    if not topics:
        return 0.0
    best = max(m.score for m in topics)
    if new_service:
        best += (1.0 - best) * WEIGHT_NEW_SERVICE
    return round(best, 3)


def classify(
    text: str,
    topic_rules: Sequence[TopicRule],
    service_rules: Sequence[ServiceRule],
    *,
    source_topics: Sequence[str] = (),
) -> Classification:
    """Topics by keyword, plus the new-service rule that fired (if any).

    ``text`` is the title, then (after a line break) the rest: hits in the title weigh more.
    ``source_topics`` are not added blindly: a source's usual topics only break ties for
    documentation; the item gets the topics its own words support.
    """
    del source_topics  # kept in the signature for callers; see docstring
    return classifier(tuple(topic_rules), tuple(service_rules))(text)


@dataclass(frozen=True, eq=False)
class Classifier:
    """:func:`classify` with its rules compiled: what a batch of texts uses (:func:`classifier`).

    Finding the compiled rules of a rule set hashes and compares every rule; once per batch that
    is nothing, once per text it was a fifth of the classification of a short text when the rules
    come from another process (equal, not identical, objects: every rule compared field by field)."""

    topic_rules: tuple[TopicRule, ...]
    service_rules: tuple[ServiceRule, ...]
    wanted: frozenset[str]
    rule_index: _RuleIndex
    service_index: _ServiceIndex
    #: each token seen → its stem and the wanted prefixes of that stem (:func:`_analyse`)
    known: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, repr=False)

    def __call__(self, text: str) -> Classification:
        analysed = _analyse(text, self.wanted, self.known)
        topics, aside = _match_topics(analysed, self.topic_rules, self.rule_index)
        svc = _match_new_service(analysed, self.service_rules, self.service_index)
        return Classification(topics, svc[0] if svc else None, svc[1] if svc else None,
                              relevance_of(topics, new_service=svc is not None), aside)


@lru_cache(maxsize=64)
def classifier(topic_rules: tuple[TopicRule, ...], service_rules: tuple[ServiceRule, ...]) -> Classifier:
    """The compiled form of a rule set (:class:`Classifier`), made once per rule set."""
    return Classifier(topic_rules, service_rules, _prefix_keys(topic_rules, service_rules),
                      _rule_index(topic_rules), _service_index(service_rules))
