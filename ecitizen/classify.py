"""Topic and new-online-service classification over Russian word forms. Pure.

Words are reduced with the Snowball Russian stemmer; a keyword matches a word when the word's stem
starts with the keyword's stem (stems of at least 4 letters; shorter keywords must match whole).
So «пенсия» matches «пенсии», «пенсию», «пенсионный». Every match is explainable: the result
names the keyword and the word form that matched it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class TopicRule:
    id: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ServiceRule:
    id: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class TopicMatch:
    id: str
    keywords: tuple[str, ...]
    matched: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "keywords": list(self.keywords), "matched": list(self.matched)}


@dataclass(frozen=True)
class Classification:
    topics: tuple[TopicMatch, ...]
    new_service_rule: str | None
    new_service_phrase: str | None

    @property
    def is_new_service(self) -> bool:
        return self.new_service_rule is not None


def normalise_word(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
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


def _phrase_positions(phrase_stems: Sequence[str], text_stems: Sequence[str]) -> bool:
    n = len(phrase_stems)
    if n == 0:
        return False
    first, rest = phrase_stems[0], phrase_stems[1:]
    for i in range(len(text_stems) - n + 1):
        # the first stem is tested alone before building the all() generator (hot loop)
        if _stem_matches(first, text_stems[i]) and all(
            _stem_matches(p, text_stems[i + 1 + k]) for k, p in enumerate(rest)
        ):
            return True
    return False


@lru_cache(maxsize=8192)
def phrase_stems(phrase: str) -> tuple[str, ...]:
    """Stems of a keyword or phrase (cached: rules are matched against every item)."""
    return tuple(stem(w) for w in words(phrase))


class _StemIndex:
    """The stems of one text: for every stem and every prefix of it that a keyword stem may be
    (at least :data:`MIN_PREFIX_STEM` letters), the first position where it occurs.

    A keyword lookup is then one dict access instead of a scan over the text's stems.
    """

    def __init__(self, token_stems: Sequence[str]) -> None:
        self.first: dict[str, int] = {}
        self.prefix_first: dict[str, int] = {}
        for i, s in enumerate(token_stems):
            if s in self.first:
                continue
            self.first[s] = i
            for k in range(MIN_PREFIX_STEM, len(s) + 1):
                self.prefix_first.setdefault(s[:k], i)

    def first_match(self, keyword_stem: str) -> int | None:
        """Position of the first token matching ``keyword_stem`` (as :func:`_stem_matches`)."""
        if len(keyword_stem) < MIN_PREFIX_STEM:
            return self.first.get(keyword_stem)
        return self.prefix_first.get(keyword_stem)


@dataclass(frozen=True)
class _Text:
    tokens: list[str]
    stems: list[str]
    index: _StemIndex


def _analyse(text: str) -> _Text:
    tokens = words(text)
    token_stems = [stem(t) for t in tokens]
    return _Text(tokens, token_stems, _StemIndex(token_stems))


def match_topics(text: str, rules: Iterable[TopicRule]) -> tuple[TopicMatch, ...]:
    return _match_topics(_analyse(text), rules)


def _match_topics(text: _Text, rules: Iterable[TopicRule]) -> tuple[TopicMatch, ...]:
    tokens, token_stems, index = text.tokens, text.stems, text.index
    out: list[TopicMatch] = []
    for rule in rules:
        hit_keywords: list[str] = []
        hit_words: list[str] = []
        for kw in rule.keywords:
            kw_stems = phrase_stems(kw)
            if len(kw_stems) == 1:
                pos = index.first_match(kw_stems[0])
                if pos is not None:
                    hit_keywords.append(kw)
                    hit_words.append(tokens[pos].lower())
            elif kw_stems and index.first_match(kw_stems[0]) is not None and _phrase_positions(
                kw_stems, token_stems
            ):
                hit_keywords.append(kw)
                hit_words.append(kw)
        if hit_keywords:
            out.append(TopicMatch(rule.id, tuple(hit_keywords), tuple(dict.fromkeys(hit_words))))
    return tuple(out)


def match_new_service(text: str, rules: Iterable[ServiceRule]) -> tuple[str, str] | None:
    """The first rule (id, phrase) whose phrase appears in order in ``text``."""
    return _match_new_service(_analyse(text), rules)


def _match_new_service(text: _Text, rules: Iterable[ServiceRule]) -> tuple[str, str] | None:
    token_stems, index = text.stems, text.index
    for rule in rules:
        for phrase in rule.phrases:
            stems = phrase_stems(phrase)
            if stems and index.first_match(stems[0]) is not None and _phrase_positions(stems, token_stems):
                return rule.id, phrase
    return None


def classify(
    text: str,
    topic_rules: Sequence[TopicRule],
    service_rules: Sequence[ServiceRule],
    *,
    source_topics: Sequence[str] = (),
) -> Classification:
    """Topics by keyword, plus the new-service rule that fired (if any).

    ``source_topics`` are not added blindly: a source's usual topics only break ties for
    documentation; the item gets the topics its own words support.
    """
    del source_topics  # kept in the signature for callers; see docstring
    analysed = _analyse(text)
    topics = _match_topics(analysed, topic_rules)
    svc = _match_new_service(analysed, service_rules)
    return Classification(topics, svc[0] if svc else None, svc[1] if svc else None)
