"""``ecitizen links ...``: a thin loop over the archive API (``commands = [links_group]``)."""

from __future__ import annotations

from pathlib import Path

import click

from ecitizen.shell.cli.base import _Group, command, emit_json, get_app, json_option


@click.group("links", cls=_Group)
def links_group() -> None:
    """The link archive: catalogue, checks, saved copies, reports."""


@command(links_group, "add")
@click.argument("url")
@click.option("--title", default="", help="Title shown to people.")
@click.option("--description", default="", help="What the page is for.")
@click.option("--category", default="", help="Category, e.g. «Госуслуги», «Здоровье».")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Course topic id (repeatable).")
@click.option("--audience", default="", help="Audience note.")
@click.option("--by", "added_by", default="cli", show_default=True, help="Who adds it.")
@json_option
def links_add(url: str, title: str, description: str, category: str, tags: tuple[str, ...],
              topics: tuple[str, ...], audience: str, added_by: str, as_json: bool) -> None:
    """Add a link (public http(s) addresses only); a duplicate merges into the existing link."""
    from ecitizen.archive import LinkInput, add_link, link_json
    from ecitizen.db import session_scope

    app = get_app()
    item = LinkInput(url, title, description, category, tags, topics, audience)
    with session_scope(app.engine) as session:
        link, created = add_link(session, item, added_by=added_by, now=app.now(),
                                 allow_private=app.config.http.allow_private_targets)
        data = link_json(link)
    if as_json:
        emit_json({**data, "created": created})
    else:
        click.echo(f"{'added' if created else 'merged into existing'}: {data['display_url']}")


@command(links_group, "remove")
@click.argument("urls", nargs=-1, required=True)
def links_remove(urls: tuple[str, ...]) -> None:
    """Remove links (by URL or id) with their check history."""
    from ecitizen.archive import remove_link
    from ecitizen.db import session_scope

    app = get_app()
    with session_scope(app.engine) as session:
        removed = [remove_link(session, u) for u in urls]
    click.echo(f"removed {len(removed)} link(s)")


@command(links_group, "list")
@click.option("--status", help="Only links with this status (ok, moved, broken, ...).")
@click.option("--category", help="Only this category.")
@json_option
def links_list(status: str | None, category: str | None, as_json: bool) -> None:
    """List the catalogue with the current status of each link."""
    from ecitizen.archive import link_json, list_links
    from ecitizen.db import session_scope

    app = get_app()
    with session_scope(app.engine) as session:
        rows = [link_json(link) for link in list_links(session, status=status, category=category)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"#{r['id']:<5} {r['status']:<16} {r['category'] or '-':<18} {r['display_url']}"
                   + (f"  «{r['title']}»" if r["title"] else ""))
        if r["proposed_url"]:
            click.echo(f"{'':<7}→ новый адрес: {r['proposed_url']}")


@command(links_group, "import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "added_by", default="import", show_default=True)
@json_option
def links_import(file: str, added_by: str, as_json: bool) -> None:
    """Import CSV, a plain list of URLs or a browser bookmarks HTML export."""
    from ecitizen.archive import import_links
    from ecitizen.db import session_scope
    from ecitizen.textcodec import decode_html

    app = get_app()
    text = decode_html(Path(file).read_bytes()).text  # UTF-8, windows-1251, KOI8-R…: the core's one decoder
    with session_scope(app.engine) as session:
        report = import_links(session, text, filename=file, added_by=added_by, now=app.now(),
                              allow_private=app.config.http.allow_private_targets)
    if as_json:
        emit_json(report.as_json())
        return
    click.echo(f"format: {report.format}; added {len(report.added)}, merged {len(report.merged)}, "
               f"skipped {len(report.skipped)}")
    for s in report.skipped:
        click.echo(f"  line {s.line}: skipped {s.value!r}: {s.reason}")


@command(links_group, "export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file (atomically).")
@click.option("--title", default="Виртуальный кабинет электронного гражданина", show_default=True)
def links_export(fmt: str, output: str | None, title: str) -> None:
    """Export the catalogue (HTML: the public catalogue page, grouped by category)."""
    from ecitizen.archive import export_csv, export_json, list_links, render_catalogue_html
    from ecitizen.db import session_scope
    from ecitizen.files import write_atomic

    app = get_app()
    with session_scope(app.engine) as session:
        links = list_links(session)
    if fmt == "csv":
        text = export_csv(links)
    elif fmt == "json":
        text = export_json(links)
    else:
        text = render_catalogue_html(links, title=title, generated_at=app.now().astimezone(app.config.tz))
    if output:
        write_atomic(Path(output), text.encode("utf-8"))
        click.echo(f"wrote {len(links)} link(s) to {output}", err=True)
    else:
        click.echo(text, nl=False)


@command(links_group, "check")
@click.option("--all", "check_all", is_flag=True, help="Check every link.")
@click.option("--due", "due", is_flag=True, help="Check the links that are due (default).")
@click.argument("urls", nargs=-1)
@json_option
def links_check(check_all: bool, due: bool, urls: tuple[str, ...], as_json: bool) -> None:
    """Check links concurrently and politely; record every result."""
    from ecitizen.archive import FAILURES, check_links

    if check_all and due:
        raise click.UsageError("--all and --due exclude each other")
    app = get_app()
    report = check_links(app, due_only=not check_all, urls=list(urls) or None)
    if urls:
        from ecitizen.urls import canonical_url

        checked = {r.url for r in report.results}
        for u in urls:
            if canonical_url(u) not in checked:
                click.echo(f"ecitizen: not in the catalogue (add it first): {u}", err=True)
    if as_json:
        emit_json(report.as_json())
        return
    pending = sum(1 for r in report.results if r.outcome != r.status and r.outcome in FAILURES)
    click.echo(f"checked {len(report.results)} link(s) in {report.elapsed_seconds:.1f} s: "
               + ", ".join(f"{k} {v}" for k, v in report.counts_by_status.items())
               + (f" ({pending} failed once: reported only if the next check fails too)" if pending else ""))
    for url, event in report.events:
        click.echo(f"  {url}: {event}")


@command(links_group, "apply-moves")
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.argument("urls", nargs=-1)
@json_option
def links_apply_moves(yes: bool, urls: tuple[str, ...], as_json: bool) -> None:
    """Show the proposed new addresses of moved links and replace them."""
    from ecitizen.archive import apply_moves, pending_moves
    from ecitizen.db import session_scope
    from ecitizen.urls import canonical_url, display_url

    app = get_app()
    with session_scope(app.engine) as session:
        wanted = {canonical_url(u) for u in urls}
        pending = [(lk.url, lk.proposed_url or "") for lk in pending_moves(session) if not wanted or lk.url in wanted]
    if not pending:
        if as_json:
            emit_json([])
        else:
            click.echo("no proposed moves")
        return
    if not as_json:
        for old, new in pending:
            click.echo(f"{display_url(old)}\n  → {display_url(new)}")
    if not yes and not click.confirm(f"Apply {len(pending)} move(s)?", default=False, err=True):
        click.echo("nothing changed", err=True)
        return
    with session_scope(app.engine) as session:
        moves = apply_moves(session, now=app.now(), urls=[old for old, _ in pending])
    if as_json:
        emit_json([m.__dict__ for m in moves])
        return
    for m in moves:
        if not m.applied:
            click.echo(f"skipped {display_url(m.old_url)}: {m.reason}")
    click.echo(f"applied {sum(m.applied for m in moves)} move(s)")


@command(links_group, "snapshot")
@click.argument("urls", nargs=-1)
@json_option
def links_snapshot(urls: tuple[str, ...], as_json: bool) -> None:
    """Save copies of pages (all catalogue links when no URL is given)."""
    from ecitizen.archive import list_links, take_snapshot
    from ecitizen.db import session_scope
    from ecitizen.errors import FetchError

    app = get_app()
    targets: list[object]
    if urls:
        targets = list(urls)
    else:
        with session_scope(app.engine) as session:
            targets = list(list_links(session))
    done: list[dict[str, object]] = []
    failed: list[dict[str, object]] = []
    for target in targets:
        try:
            done.append(take_snapshot(app, target).as_json())  # type: ignore[arg-type]
        except FetchError as exc:
            failed.append({"url": getattr(target, "url", target), "error": str(exc)})
    if as_json:
        emit_json({"saved": done, "failed": failed})
    else:
        for d in done:
            click.echo(f"saved {d['url']} → {d['html_path']}")
        for f in failed:
            click.echo(f"failed {f['url']}: {f['error']}", err=True)
    if failed and not done:
        raise click.exceptions.Exit(1)


@command(links_group, "review")
@click.argument("urls", nargs=-1, required=True)
@click.option("--ack-events", is_flag=True, help="Also mark this link's events as seen.")
def links_review(urls: tuple[str, ...], ack_events: bool) -> None:
    """Record that a person reviewed these links now."""
    from sqlmodel import select

    from ecitizen.archive import get_link
    from ecitizen.db import session_scope
    from ecitizen.storage import LinkEvent

    app = get_app()
    with session_scope(app.engine) as session:
        for u in urls:
            link = get_link(session, u)
            link.reviewed_at = app.now()
            session.add(link)
            if ack_events:
                for ev in session.exec(select(LinkEvent).where(LinkEvent.link_id == link.id)):
                    ev.acknowledged = True
                    session.add(ev)
    click.echo(f"reviewed {len(urls)} link(s)")


@command(links_group, "report")
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True, help="Events of the last N days.")
@json_option
def links_report(days: int, as_json: bool) -> None:
    """Counts by status, links that need a person, recent changes, oldest unreviewed."""
    from ecitizen.archive import STATUS_LABELS, link_report
    from ecitizen.db import session_scope
    from ecitizen.urls import display_url

    app = get_app()
    with session_scope(app.engine) as session:
        report = link_report(session, now=app.now(), days=days)
    if as_json:
        emit_json(report.as_json())
        return
    click.echo(f"Ссылок в каталоге: {report.total}")
    for k, v in report.counts.items():
        click.echo(f"  {STATUS_LABELS.get(k, k)}: {v}")
    if report.needs_attention:
        click.echo(f"\nТребуют внимания: {len(report.needs_attention)}")
        for a in report.needs_attention:
            shown = display_url(a.url)
            click.echo(f"  {a.reason}: " + (f"«{a.title}» {shown}" if a.title else shown))
            click.echo(f"    {a.detail}")
            if a.proposed_url:
                click.echo(f"    новый адрес: {display_url(a.proposed_url)}")
            if a.snapshot_path:
                click.echo(f"    сохранённая копия: {a.snapshot_path}")
    if report.oldest_unreviewed:
        click.echo("\nДавно не проверялись человеком:")
        for u in report.oldest_unreviewed:
            when = u.reviewed_at.date().isoformat() if u.reviewed_at else "никогда"
            click.echo(f"  {when}: {u.title or display_url(u.url)}")
