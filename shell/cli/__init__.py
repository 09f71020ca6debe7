"""The ``ecitizen`` command: the root group (``base``) with every part's commands attached.

Owns: the assembly of the command tree. Each module here is a thin loop over one domain's front
door (``ecitizen.feeds``, ``ecitizen.archive``, ``ecitizen.crawler``, ``ecitizen.digest``) or the
service (``ecitizen.shell``). Imported plainly, so a missing part is an ImportError at start, never
a silently absent command.
"""

from __future__ import annotations

from ecitizen.shell.cli import archive, crawler, digest, feeds, programme, service
from ecitizen.shell.cli.base import main

for command in (feeds.feeds_group, archive.links_group, crawler.crawl_cmd, digest.digest_group, digest.poster_cmd,
                digest.media_note_cmd, digest.publish_cmd, service.run_cmd, service.demo_cmd, service.users_group,
                service.jobs_group, *programme.COMMANDS):
    main.add_command(command)
feeds.attach_opml(main)  # ``sources import-opml|export-opml`` join the core's ``sources`` group


def run() -> None:
    """Console-script entry point."""
    main(prog_name="ecitizen")


__all__ = ["main", "run"]
