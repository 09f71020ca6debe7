"""CLI of the feed reader: ``ecitizen feeds poll`` and ``ecitizen sources import-opml|export-opml``.

A thin loop over :func:`feeds.poll.poll` and :mod:`feeds.opml`; heavy imports stay inside commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecitizen.shell.cli.base import _Group, command, emit_json, get_app, json_option


@click.group("feeds", cls=_Group)
def feeds_group() -> None:
    """The feed reader (RSS, Atom, JSON Feed)."""


@command(feeds_group, "poll")
@click.option("--source", "names", multiple=True, help="Poll only this source (repeatable), due or not.")
@click.option("--force", is_flag=True, help="Poll every enabled feed source, due or not.")
@json_option
def poll_cmd(names: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Poll due feed sources. Exits 0 when the poll ran, even if some sources failed."""
    from ecitizen.feeds import poll

    app = get_app()
    report = poll(app, names=names or None, force=force)
    if as_json:
        emit_json(report.as_json())
        return
    for r in report.results:
        line = f"{r.name:<32} {r.outcome:<14}"
        if r.outcome == "ok":
            line += f" {r.new_items} new, {r.updated_items} updated"
        elif r.error:
            line += f" {r.error}"
        click.echo(line)
        if r.moved_to:
            click.echo(f"{'':<32} moved permanently to {r.moved_to} (source updated)")
        if r.discovered_feed:
            click.echo(f"{'':<32} feed discovered: {r.discovered_feed}")
    click.echo(
        f"{len(report.results)} source(s) polled, {report.new_items} new item(s), "
        f"{len(report.failed)} failed, {report.elapsed:.1f} s",
        err=True,
    )


def attach_opml(main: click.Group) -> None:
    sources = main.commands.get("sources")
    if not isinstance(sources, click.Group):
        return

    @command(sources, "import-opml")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @json_option
    def import_opml(file: str, as_json: bool) -> None:
        """Add the feeds listed in an OPML file (existing names/URLs and unsafe URLs are skipped)."""
        from ecitizen.db import session_scope
        from ecitizen.feeds import import_feeds, parse_opml

        app = get_app()
        cfg = app.config
        with open(file, "rb") as fh:
            feeds = parse_opml(fh.read())
        with session_scope(app.engine) as session:
            outcomes = import_feeds(session, feeds, allow_private=cfg.http.allow_private_targets,
                                    known_topics={t.id for t in cfg.topics},
                                    min_interval_minutes=cfg.feeds.min_interval_minutes)
        if as_json:
            emit_json([o.as_json() for o in outcomes])
            return
        for o in outcomes:
            click.echo(f"{o.status:<8} {o.name}  {o.url}" + (f"  ({o.reason})" if o.reason else ""))
        added = sum(1 for o in outcomes if o.status == "added")
        click.echo(f"{added} added, {len(outcomes) - added} skipped", err=True)

    @command(sources, "export-opml")
    @click.argument("file", required=False, type=click.Path(dir_okay=False))
    def export_opml(file: str | None) -> None:
        """Write the feed sources as OPML 2.0 to FILE (or stdout)."""
        from ecitizen.db import session_scope
        from ecitizen.feeds import export_sources, render_opml
        from ecitizen.files import write_atomic

        app = get_app()
        with session_scope(app.engine) as session:
            data = render_opml(export_sources(session))
        if not file or file == "-":
            sys.stdout.buffer.write(data + b"\n")
            sys.stdout.flush()
            return
        write_atomic(Path(file).absolute(), data + b"\n")
        click.echo(f"wrote {file}", err=True)


