"""Every command of the programme is documented in docs/programme.md; the front door is complete."""

from __future__ import annotations

from pathlib import Path

import click

import ecitizen.programme as programme
from ecitizen.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _names(cmd: click.Command, prefix: str) -> list[str]:
    if isinstance(cmd, click.Group):
        return [n for name, sub in cmd.commands.items() for n in _names(sub, f"{prefix} {name}")]
    return [prefix]


def test_every_programme_command_is_documented() -> None:
    doc = (ROOT / "docs" / "programme.md").read_text(encoding="utf-8")
    names = [n for top in ("libraries", "indicators", "report", "lessons", "survey")
             for n in _names(main.commands[top], f"ecitizen {top}")]
    assert len(names) > 15
    assert [n for n in names if n not in doc] == []
    assert "ecitizen users add NAME --role librarian --library ID" in doc


def test_the_front_door_names_exist() -> None:
    assert [n for n in programme.__all__ if not hasattr(programme, n)] == []
