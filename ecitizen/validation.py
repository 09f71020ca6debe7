"""Turning one pydantic validation error into the words of a config message. Pure."""

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
