"""Turning one pydantic validation error into the words of a config message (English, for the
config file and the CLI) or of a web form field (Russian). Pure."""

from __future__ import annotations

from typing import Any


def problem_of(err: Any) -> str:
    """``unknown key`` / ``required key is missing`` / the validator's own message."""
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


#: the validators' own messages (``ecitizen.source_settings``) a person meets in the web form, in Russian
_VALUE_ERRORS_RU = (
    ("must not be empty", "Поле не может быть пустым."),
    ("must contain {n}", "Нужно {n} — место номера страницы, например ?page={n}."),
    ("bad regular expression", "Регулярное выражение записано с ошибкой"),
    ("bad placeholder", "Фигурные скобки записаны с ошибкой: пишите {поле} или {путь.в.записи}."),
    ("has no {placeholder}", "В шаблоне нет ни одного {поля}: у всех записей была бы одна ссылка."),
    ("which fields does not map", "Это поле не заполнено в «Полях записи»: укажите его путь там."),
)


def problem_ru(err: Any) -> str:
    """The Russian words of one pydantic validation error, for a form field (a whole sentence)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "Обязательное поле: заполните его."
    if kind == "extra_forbidden":
        return "Неизвестная настройка."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Число не меньше {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"Число не больше {ctx.get('le', ctx.get('lt'))}."
    if kind.startswith("int_"):
        return "Нужно целое число."
    if kind.startswith("bool_"):
        return "Выберите «да» или «нет»."
    if kind == "literal_error":
        return "Выберите один из предложенных вариантов."
    if kind in ("string_type", "tuple_type", "dict_type", "model_type"):
        return "Значение записано не в том виде."
    message = problem_of(err)
    for english, russian in _VALUE_ERRORS_RU:
        if english in message:
            if russian.endswith("ошибкой"):  # keep the regex engine's own words about where
                return f"{russian}: {message.split(':', 1)[-1].strip()}."
            return russian
    return f"Значение не принято: {message}."
