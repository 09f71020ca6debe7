"""The crawler settings of the source form: one set of labelled fields per kind, generated from
the settings models, read back into a settings mapping, and checked like ``config.yaml``.

Owns: turning a kind's pydantic model (:data:`ecitizen.source_settings.KIND_MODELS`: names,
help and examples are the model's ``title``/``description``/``examples``) into
:class:`SettingField` s for the template, reading the posted fields back into the mapping that
``add_source``/``update_source`` store (:func:`read_settings`: only what differs from the
defaults, lists for the multi-line fields, numbers as numbers) and the Russian problems by field
(:func:`settings_problems`: the same model validation ``config.yaml`` gets, every error at once).

Pure: no Flask, no database. Field names in the form are ``s.<kind>.<key>`` (``s.json.fields.title``).
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ecitizen.source_settings import KIND_MODELS
from ecitizen.validation import problem_ru

Widget = Literal["text", "lines", "number", "yesno", "choice", "group"]


@dataclass(frozen=True)
class SettingField:
    """One input (or, for ``widget == "group"``, a fieldset of inputs) of a kind's settings."""

    #: the key inside ``settings`` (``pages.template`` for a nested one)
    key: str
    #: the form field's name: ``s.<kind>.<key>``
    name: str
    #: the element id (letters, digits and dashes)
    id: str
    label: str
    help: str
    widget: Widget
    required: bool
    #: the value shown (the stored or typed one, else the default)
    value: str = ""
    #: an example shown as placeholder
    example: str = ""
    #: (value, label) for ``yesno`` and ``choice``
    choices: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    children: tuple[SettingField, ...] = ()


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether None was allowed."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(get_args(annotation))
    return annotation, False


def _widget(annotation: Any) -> Widget:
    inner, _ = _unwrap(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "group"
    if get_origin(inner) is tuple:
        return "lines"
    if get_origin(inner) is Literal:
        return "choice"
    if inner is bool:
        return "yesno"
    if inner is int:
        return "number"
    return "text"


def _default(info: FieldInfo) -> Any:
    return None if info.default is PydanticUndefined else info.default


def _shown(value: Any, widget: Widget) -> str:
    if value is None:
        return ""
    if widget == "lines":
        return "\n".join(str(v) for v in (value if isinstance(value, list | tuple) else [value]))
    if widget == "yesno":
        return {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
    return str(value)


def _yesno_choices(info: FieldInfo) -> tuple[tuple[str, str], ...]:
    default = _default(info)
    if default is None:
        return (("", "как в общих настройках"), ("true", "да"), ("false", "нет"))
    return (("true", "да"), ("false", "нет"))


def _choices(info: FieldInfo, annotation: Any) -> tuple[tuple[str, str], ...]:
    inner, _ = _unwrap(annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    names = extra.get("choices") or {}
    assert isinstance(names, dict)
    return tuple((str(v), str(names.get(v, v))) for v in get_args(inner))


def _fields(model: type[BaseModel], kind: str, prefix: str, values: Mapping[str, Any] | None,
            errors: Mapping[str, str]) -> tuple[SettingField, ...]:
    out: list[SettingField] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        widget = _widget(info.annotation)
        label = info.title or name
        example = "\n".join(str(e) for e in (info.examples or [])[:1])
        present = values is not None and name in values
        raw = values.get(name) if values is not None else None
        if widget == "group":
            inner, _ = _unwrap(info.annotation)
            children = _fields(inner, kind, f"{key}.", raw if isinstance(raw, Mapping) else None, errors)
            out.append(SettingField(key, f"s.{kind}.{key}", f"s-{kind}-{key}".replace(".", "-").replace("_", "-"),
                                    label, info.description or "", "group", info.is_required(),
                                    error=errors.get(key), children=children))
            continue
        value = raw if present else _default(info)
        choices: tuple[tuple[str, str], ...] = ()
        if widget == "yesno":
            choices = _yesno_choices(info)
        elif widget == "choice":
            choices = _choices(info, info.annotation)
        out.append(SettingField(
            key=key, name=f"s.{kind}.{key}", id=f"s-{kind}-{key}".replace(".", "-").replace("_", "-"),
            label=label, help=info.description or "", widget=widget, required=info.is_required(),
            value=_shown(value, widget), example=example, choices=choices, error=errors.get(key),
        ))
    return tuple(out)


#: the settings shown first for each kind; the others are under «Дополнительные настройки»
MAIN: dict[str, tuple[str, ...]] = {
    "listing": ("item", "title", "link", "date", "summary"),
    "sitemap": ("prefixes", "item_kind"),
    "json": ("items_path", "fields", "link_template", "embedded"),
    "page": ("region", "ignore", "title"),
    "catalog": ("entry", "title", "link", "category"),
    "telegram": ("title_length",),
}


@dataclass(frozen=True)
class KindForm:
    """A kind's settings fields: the main ones and the rest (opened when one is set or wrong)."""

    kind: str
    main: tuple[SettingField, ...]
    more: tuple[SettingField, ...]
    more_open: bool


def kind_fields(kind: str, values: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None) -> KindForm:
    """The fields of ``kind``'s settings showing ``values`` (defaults where a key is absent)."""
    model = KIND_MODELS[kind]
    values = values or {}
    errors = errors or {}
    fields = _fields(model, kind, "", values, errors)
    main_keys = MAIN.get(kind, ())
    main = tuple(sorted((f for f in fields if f.key in main_keys), key=lambda f: main_keys.index(f.key)))
    more = tuple(f for f in fields if f.key not in main_keys)
    more_open = any(f.key in values for f in more) or any(e.split(".")[0] not in main_keys for e in errors)
    return KindForm(kind, main, more, more_open)


def _read(model: type[BaseModel], kind: str, prefix: str, form: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        widget = _widget(info.annotation)
        if widget == "group":
            inner, optional = _unwrap(info.annotation)
            nested = _read(inner, kind, f"{key}.", form)
            if nested or not optional:
                out[name] = nested
            continue
        raw = form.get(f"s.{kind}.{key}")
        if raw is None:
            continue
        default = _default(info)
        value: Any
        if widget == "lines":
            value = [line.strip() for line in raw.replace("\r", "").split("\n") if line.strip()]
            if not value or tuple(value) == tuple(default or ()):
                continue
        elif widget == "yesno":
            if raw not in ("true", "false"):
                continue
            value = raw == "true"
        elif widget == "number":
            raw = raw.strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                value = raw  # the validation names it: «Нужно целое число»
        else:
            value = raw.strip()
            if not value:  # an empty required field is reported as missing: «Обязательное поле»
                continue
        if value == default:
            continue
        out[name] = value
    return out


def read_settings(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The settings mapping of ``kind`` from the posted form (``{}`` for a feed): only the values
    that differ from the defaults, so what is stored reads like a ``config.yaml`` entry."""
    model = KIND_MODELS.get(kind)
    return {} if model is None else _read(model, kind, "", form)


def settings_problems(kind: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """Every problem of ``settings`` for ``kind``, in Russian, by key (``pages.template``) — the
    validation ``config.yaml`` gets (:func:`ecitizen.source_settings.parse_source_settings`)."""
    model = KIND_MODELS.get(kind)
    if model is None:
        return {}
    try:
        model.model_validate(dict(settings))
    except ValidationError as exc:
        out: dict[str, str] = {}
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "settings"
            out.setdefault(key, problem_ru(err))
        return out
    return {}

