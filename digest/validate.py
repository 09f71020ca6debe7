"""Validators for the public feeds, against the schemas bundled in ``digest/schemas/``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent / "schemas"


@lru_cache(maxsize=1)
def atom_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema11(str(SCHEMAS / "atom.xsd"))


@lru_cache(maxsize=1)
def jsonfeed_validator() -> Any:
    import jsonschema

    schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def atom_errors(data: bytes) -> list[str]:
    """Validation errors of an Atom document against RFC 4287 (empty when valid)."""
    from xml.etree import ElementTree as ET

    try:
        root = ET.fromstring(data)  # noqa: S314 - our own output
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    return [str(e.reason or e) for e in atom_schema().iter_errors(root)]


def jsonfeed_errors(data: bytes) -> list[str]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonfeed_validator().iter_errors(doc)]
