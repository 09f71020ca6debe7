"""``ecitizen crawl [SOURCE…] [--json]``: a thin wrapper over :func:`crawler.runner.crawl`."""

from __future__ import annotations

import click

from ecitizen.shell.cli.base import config_option, emit_json, get_app, json_option


@click.command("crawl")
@config_option
@click.argument("names", nargs=-1)
@click.option("--timeout", type=float, default=3600.0, show_default=True,
              help="Stop the crawl after this many seconds.")
@json_option
def crawl_cmd(names: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """Crawl sites without feeds (listing, sitemap, json, page, catalog, telegram sources)."""
    from ecitizen.crawler import crawl

    app = get_app()
    app.config  # noqa: B018 - validate the config before starting anything
    report = crawl(app, list(names) or None, timeout=timeout)
    if as_json:
        emit_json(report.as_json())
    else:
        for s in report.sources:
            line = f"{s.name:<32} {s.kind:<9} {s.outcome:<18} pages={s.pages} added={s.added} updated={s.updated}"
            click.echo(line)
            if s.error:
                click.echo(f"{'':<32} error: {s.error}")
            if s.note:
                click.echo(f"{'':<32} note: {s.note}")
        if report.error:
            click.echo(f"crawl: {report.error}", err=True)
        click.echo(f"log: {report.log_path}")
    if report.error or any(s.outcome == "not_found" for s in report.sources):
        raise SystemExit(1)
