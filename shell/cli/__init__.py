"""The ``ecitizen`` command: the root group (``base``) with every part's commands attached.

Owns: the assembly of the command tree. Each module here is a thin loop over one domain's front
door (``ecitizen.feeds``, ``ecitizen.archive``, ``ecitizen.crawler``, ``ecitizen.digest``) or the
service (``ecitizen.shell``). Imported plainly, so a missing part is an ImportError at start, never
a silently absent command.
"""

from __future__ import annotations

import click

from ecitizen.shell.cli import archive, crawler, digest, feeds, service
from ecitizen.shell.cli.base import main


def _attach(parts: tuple[list[object], ...]) -> None:
    for commands in parts:
        for cmd in commands:
            if isinstance(cmd, click.Command):
                main.add_command(cmd)
            elif callable(cmd):  # registers onto existing groups (``sources import-opml``)
                cmd(main)


_attach((feeds.commands, archive.commands, crawler.commands, digest.commands, service.commands))


def run() -> None:
    """Console-script entry point."""
    main(prog_name="ecitizen")


__all__ = ["main", "run"]
