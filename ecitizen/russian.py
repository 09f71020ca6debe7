"""Russian wording: the plural form of a word for a number (1 услуга, 2 услуги, 5 услуг). Pure."""

from __future__ import annotations


def plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a word for ``n``: ``plural(5, "услуга", "услуги", "услуг") == "услуг"``."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_ru(n: int, one: str, few: str, many: str) -> str:
    """``n`` and its word: ``count_ru(2, "услуга", "услуги", "услуг") == "2 услуги"``."""
    return f"{n} {plural(n, one, few, many)}"
