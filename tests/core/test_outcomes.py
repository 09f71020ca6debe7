"""ecitizen.outcomes: the one vocabulary of source outcome codes and their Russian explanations."""

from __future__ import annotations

import pytest

import ecitizen.crawler.jobs  # noqa: F401 - its SourceError subclasses must use the vocabulary too
from ecitizen import outcomes
from ecitizen.errors import SourceError


def _subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _subclasses(sub))]


def test_every_error_code_is_a_known_outcome() -> None:
    codes = {c.code for c in _subclasses(SourceError)}
    assert "robots_disallowed" in codes and "http_error" in codes
    assert codes <= set(outcomes.OUTCOMES)
    assert set(outcomes.OUTCOME_LABELS) == set(outcomes.OUTCOME_EXPLANATIONS)


@pytest.mark.parametrize(("code", "failure"), [
    ("ok", False), ("not_modified", False), ("http_error", True), ("crawl_failed", True),
    ("something_new", True), (None, False),
])
def test_is_failure(code: str | None, failure: bool) -> None:
    assert outcomes.is_failure(code) is failure


@pytest.mark.parametrize(("code", "detail", "starts", "ends"), [
    ("timeout", "read timeout after 20 s", "Сайт не ответил вовремя", "Подробности: read timeout after 20 s"),
    ("ok", None, "Источник прочитан.", "Источник прочитан."),
    ("selector_error", "", "На странице не нашлось", "обновить."),
    ("tls_error", "tls_error", "Сертификат", "(http.extra_ca_bundle)."),  # a detail that only repeats the code
    ("brand_new", "x", "Проверка закончилась с кодом «brand_new».", "Подробности: x"),
    (None, None, "Источник ещё не проверялся.", "Источник ещё не проверялся."),
])
def test_explain(code: str | None, detail: str | None, starts: str, ends: str) -> None:
    text = outcomes.explain(code, detail)
    assert text.startswith(starts) and text.endswith(ends)


def test_explanations_are_russian_sentences() -> None:
    for code, text in outcomes.OUTCOME_EXPLANATIONS.items():
        assert text.endswith(".") and any("а" <= ch <= "я" for ch in text), code
        assert outcomes.label(code) == outcomes.OUTCOME_LABELS[code]
