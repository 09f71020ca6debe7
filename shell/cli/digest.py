"""CLI commands of ``digest``: ``digest weekly``, ``poster``, ``media-note``, ``publish``.

Each command is a thin call into the Python API; heavy imports stay inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from ecitizen.shell.cli.base import command, config_option, emit_json, get_app, json_option


@click.group("digest")
def digest_group() -> None:
    """Digests for the project manager."""


@command(digest_group, "weekly")
@click.option("--week", help="ISO week, e.g. 2026-W48 (default: the last complete week).")
@click.option("--send", is_flag=True, help="Mail it to smtp.recipients.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@json_option
def weekly_cmd(week: str | None, send: bool, out_dir: Path | None, as_json: bool) -> None:
    """Write (and optionally send) the weekly digest: HTML and plain text."""
    from ecitizen.digest import make_weekly

    result = make_weekly(get_app(), week=week, out_dir=out_dir, send=send)
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(f"{result.html_path}\n{result.text_path}")
    if result.sent_to:
        click.echo(f"sent to: {', '.join(result.sent_to)}")


@click.command("poster")
@config_option
@click.option("--month", required=True, help="Month, e.g. 2026-11.")
@click.option("--library", default="all", show_default=True, help="Library id or name, or 'all'.")
@click.option("--size", type=click.Choice(["A4", "A3"], case_sensitive=False),
              help="Paper (default: outputs.poster_size): A4 portrait, 4 items a sheet; A3 landscape, 8.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@json_option
def poster_cmd(month: str, library: str, size: str | None, out_dir: Path | None, as_json: bool) -> None:
    """Monthly info-zone posters: a PDF and its HTML per library. Names every item shortened for
    print or left out; a month without approved items makes no poster and says so."""
    from ecitizen.digest import make_poster_run

    run = make_poster_run(get_app(), month=month, library=library, out_dir=out_dir, size=size)
    if as_json:
        emit_json(run.as_json())
        return
    preview = run.preview
    click.echo(preview.message)
    if preview.shortened:
        click.echo("Сокращено для печати:")
        for item in preview.shortened:
            click.echo(f"  — «{item.title}» (№ {item.item_id}): {'; '.join(item.notes)}")
            printed = f"«{item.printed_title}»" + (f" — {item.printed_text}" if item.printed_text else "")
            click.echo(f"    на плакате: {printed}")
    if preview.left_out:
        click.echo("Не поместились на плакат:")
        for item in preview.left_out:
            click.echo(f"  — «{item.title}» (№ {item.item_id}): {'; '.join(item.notes)}")
    for path in run.paths:
        click.echo(str(path))


@click.command("media-note")
@config_option
@click.option("--month", help="Month, e.g. 2026-11 (default: the previous month).")
@click.option("--year", type=int, help="A year's results instead of a month.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@json_option
def media_note_cmd(month: str | None, year: int | None, out_dir: Path | None, as_json: bool) -> None:
    """A press-release draft for local media: HTML, plain text and DOCX."""
    from ecitizen.digest import make_media_note

    paths = make_media_note(get_app(), month=month, year=year, out_dir=out_dir)
    _print_paths(paths, as_json)


@click.command("publish")
@config_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder the website serves.")
@json_option
def publish_cmd(out_dir: Path, as_json: bool) -> None:
    """Write the public feeds, widget, link catalogue and latest posters."""
    from ecitizen.digest import publish

    paths = publish(get_app(), out_dir=out_dir)
    _print_paths(paths, as_json)


def _print_paths(paths: Iterable[Path], as_json: bool) -> None:
    """The written files: one JSON array of paths, or one path per line."""
    if as_json:
        emit_json([str(p) for p in paths])
        return
    for p in paths:
        click.echo(str(p))
