"""The ``ecitizen`` command: a thin loop over the Python API.

Owns: the root command group, the shared ``--config``/``--json`` handling, error-to-exit-code
translation (config errors exit 2 before anything is written), and the core commands ``init``,
``sources list|add|remove`` and ``items list|show|approve|reject``. Domain packages register
their own commands (``feeds/cli.py``, ``archive/cli.py``, ``crawler/cli.py``, ``digest/cli.py``,
``ecitizen/service``); heavy imports stay inside command functions so start-up stays fast.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from typing import Any, TypeVar

import click

from ecitizen.app import App
from ecitizen.errors import ConfigError, EcitizenError, NotFoundError, UnsafeURLError
from ecitizen.source_settings import SOURCE_KINDS
from ecitizen.sources import SourceRefusedError

F = TypeVar("F", bound=Callable[..., Any])

def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (logs go to stderr)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"ecitizen: config error: {exc}", err=True)
            ctx.exit(2)
        except (UnsafeURLError, SourceRefusedError) as exc:
            click.echo(f"ecitizen: refused: {exc}", err=True)
            ctx.exit(2)
        except NotFoundError as exc:
            click.echo(f"ecitizen: {exc}", err=True)
            ctx.exit(1)
        except EcitizenError as exc:
            click.echo(f"ecitizen: error: {exc}", err=True)
            ctx.exit(1)


def get_app(ctx: click.Context | None = None) -> App:
    ctx = ctx or click.get_current_context()
    app = ctx.find_object(App)
    if app is None:
        app = ctx.ensure_object(App)
    return app


def _set_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        app = ctx.find_object(App)
        if app is None:
            ctx.obj = App(value)
        else:
            app.config_path = value
            app._config = None
    return value


def config_option(f: F) -> F:
    """``--config PATH`` accepted on every command, not only on the root."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        callback=_set_config,
        expose_value=False,
        is_eager=True,
        help="Config file (default: $ECITIZEN_CONFIG or ./config.yaml).",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON array on stdout.")(f)


def command(group: click.Group, name: str | None = None, **kwargs: Any) -> Callable[[F], click.Command]:
    """Register a command on ``group`` with the shared ``--config`` option."""

    def deco(f: F) -> click.Command:
        return group.command(name, **kwargs)(config_option(f))

    return deco


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(package_name="ecitizen")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """e-citizen watch: news, new online services and link health for the e-citizen programme."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if ctx.obj is None:
        ctx.obj = App(config_path)
    elif config_path:
        ctx.obj.config_path = config_path


# -- init ----------------------------------------------------------------------------------------


@command(main, "init")
@json_option
def init_cmd(as_json: bool) -> None:
    """Create or upgrade the database and seed the sources from the config file."""
    from ecitizen.db import session_scope
    from ecitizen.programme import seed_libraries
    from ecitizen.sources import SourceRules
    from ecitizen.store import seed_sources

    app = get_app()
    cfg = app.config  # validated before anything is written
    with session_scope(app.engine) as session:
        added, updated = seed_sources(session, cfg.sources, rules=SourceRules.from_config(cfg))
        libs_added, libs_updated = seed_libraries(session, cfg.libraries, now=app.now())
    result = {"database": _safe_db_url(app.database_url), "sources_added": added, "sources_updated": updated,
              "libraries_added": libs_added, "libraries_updated": libs_updated}
    if as_json:
        emit_json(result)
    else:
        click.echo(f"database ready: {result['database']}")
        click.echo(f"sources: {len(added)} added, {len(updated)} updated")
        click.echo(f"libraries: {len(libs_added)} added, {len(libs_updated)} updated")


def _safe_db_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- sources -------------------------------------------------------------------------------------


@main.group("sources", cls=_Group)
def sources_group() -> None:
    """Watched sources (feeds and crawler sources) and their health."""


def source_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "kind": s.kind,
        "url": s.url,
        "feed_url": s.feed_url,
        "enabled": s.enabled,
        "topics": list(s.topics),
        "origin": s.origin,
        "last_attempt_at": iso(s.last_attempt_at),
        "last_success_at": iso(s.last_success_at),
        "last_outcome": s.last_outcome,
        "last_status": s.last_status,
        "last_error": s.last_error,
        "consecutive_failures": s.consecutive_failures,
        "failing_since": iso(s.failing_since),
        "next_due": iso(s.next_due_at),
    }


@command(sources_group, "list")
@json_option
def sources_list(as_json: bool) -> None:
    """List sources with their health."""
    from ecitizen.db import session_scope
    from ecitizen.sources import list_sources

    app = get_app()
    with session_scope(app.engine) as session:
        rows = [source_json(s) for s in list_sources(session)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        state = r["last_outcome"] or "never polled"
        fail = f" failures={r['consecutive_failures']}" if r["consecutive_failures"] else ""
        click.echo(f"{r['name']:<32} {r['kind']:<8} {state:<14}{fail}  {r['url']}")
        if r["last_error"]:
            click.echo(f"{'':<32} error: {r['last_error']}")


@command(sources_group, "add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", default="feed", show_default=True, type=click.Choice(SOURCE_KINDS))
@click.option("--topic", "topics", multiple=True, help="Course topic id (repeatable).")
@click.option("--interval", type=int, default=None, help="Poll interval in minutes.")
@click.option("--settings", "settings_text", default="",
              help="Kind-specific settings as YAML or JSON (required keys of crawler kinds, as in config.yaml).")
@json_option
def sources_add(name: str, url: str, kind: str, topics: tuple[str, ...], interval: int | None, settings_text: str,
                as_json: bool) -> None:
    """Add a source: the same checks as the web form (ecitizen.sources.add_source).

    A user-entered URL must be a public http(s) address not watched by another source; for kind
    feed the address is opened and a page's announced feed is found (a page without one is refused).
    """
    from ecitizen import feeds
    from ecitizen.db import session_scope
    from ecitizen.sources import SourceInput, SourceRules, add_source, parse_settings_text

    app = get_app()
    cfg = app.config
    data = SourceInput(name=name, url=url, kind=kind, topics=topics, settings=parse_settings_text(settings_text),
                       interval_minutes=interval)
    with session_scope(app.engine) as session:
        saved = add_source(session, data, SourceRules.from_config(cfg), origin="cli",
                           find_feed=lambda u: feeds.resolve_feed_url(u, cfg.http))
        result = source_json(saved.source)
    if as_json:
        emit_json([result])
    else:
        click.echo(f"added source {result['name']} ({kind}) {result['url']}")
        if result["feed_url"]:
            click.echo(f"feed found on the page: {result['feed_url']}")
    if saved.lookup is not None and saved.lookup.unreachable:
        click.echo(f"ecitizen: note: the address could not be opened now ({saved.lookup.unreachable}); "
                   "its polls will report it", err=True)


@command(sources_group, "remove")
@click.argument("names", nargs=-1, required=True)
def sources_remove(names: tuple[str, ...]) -> None:
    """Remove sources (their items go with them)."""
    from ecitizen.db import session_scope
    from ecitizen.store import get_source

    app = get_app()
    with session_scope(app.engine) as session:
        for name in names:
            session.delete(get_source(session, name))
    click.echo(f"removed {len(names)} source(s)")


# -- items ---------------------------------------------------------------------------------------


@main.group("items", cls=_Group)
def items_group() -> None:
    """Collected items (news, new online services, page changes) and their review."""


def item_json(item: Any, source_name: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "source": source_name,
        "kind": item.kind,
        "url": item.url,
        "guid": item.guid,
        "title": item.display_title or item.title,
        "original_title": item.title,
        "summary_text": item.summary_text,
        "summary_html": item.summary_html,
        "explanation": item.explanation,
        "published_at": iso(item.published_at),
        "fetched_at": iso(item.fetched_at),
        "topics": item.topic_ids(),
        "topic_matches": item.topics,
        "is_new_service": item.is_new_service,
        "new_service_rule": item.new_service_rule,
        "cluster_id": item.cluster_id,
        "status": item.status,
        "reviewed_by": item.reviewed_by,
        "reviewed_at": iso(item.reviewed_at),
    }


def _parse_since(value: str | None, tz: Any) -> datetime | None:
    if not value:
        return None
    from ecitizen.dates import parse_day

    try:
        day = parse_day(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD or DD.MM.YYYY)") from None
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


#: ``items list`` prints this many items unless told otherwise (``--limit``, ``--all``)
ITEMS_PAGE = 100


@command(items_group, "list")
@click.option("--since", help="Only items fetched or published on/after this date (YYYY-MM-DD).")
@click.option("--topic", help="Course topic id.")
@click.option("--status", type=click.Choice(["new", "approved", "rejected"]))
@click.option("--source", "source_name", help="Source name.")
@click.option("--new-services", is_flag=True, help="Only new online services.")
@click.option("--limit", type=click.IntRange(min=1), default=ITEMS_PAGE, show_default=True,
              help="Items per page.")
@click.option("--after", "after", metavar="CURSOR",
              help="The page after this cursor (the next_after of the previous page).")
@click.option("--all", "everything", is_flag=True, help="Every matching item, read and printed page by page.")
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object: {"items": [...], "next_after": cursor or null}.')
def items_list(
    since: str | None, topic: str | None, status: str | None, source_name: str | None,
    new_services: bool, limit: int, after: str | None, everything: bool, as_json: bool,
) -> None:
    """List items, newest first, a page at a time (the next page: --after NEXT_AFTER)."""
    from ecitizen.db import session_scope
    from ecitizen.queries import ItemCursor, ItemFilter, iter_items, page_items

    app = get_app()
    try:
        cursor = ItemCursor.parse(after) if after else None
    except ValueError:
        raise click.BadParameter(f"{after!r} is not a cursor (use next_after of the previous page)",
                                 param_hint="--after") from None
    flt = ItemFilter(
        since=_parse_since(since, app.config.tz), topic=topic, status=status,
        source=source_name, new_services=new_services,
    )
    with session_scope(app.engine) as session:
        if everything:  # streamed: memory stays flat however many items match
            _print_items((item_json(i, n) for i, n in iter_items(session, flt, after=cursor, batch=500)),
                         None, as_json)
            return
        page = page_items(session, flt, limit=limit, after=cursor)
        rows = [item_json(item, src) for item, src in page.rows]
    _print_items(iter(rows), page.next_cursor.token() if page.next_cursor else None, as_json)


def _print_items(rows: Iterator[dict[str, Any]], next_after: str | None, as_json: bool) -> None:
    if as_json:
        # written item by item (``--all`` streams), as one JSON document
        click.echo('{\n  "items": [', nl=False)
        for n, r in enumerate(rows):
            body = json.dumps(r, ensure_ascii=False, indent=2, default=_json_default)
            click.echo(("," if n else "") + "\n    " + body.replace("\n", "\n    "), nl=False)
        click.echo(f'\n  ],\n  "next_after": {json.dumps(next_after)}\n}}')
        return
    for r in rows:
        flag = " [новая услуга]" if r["is_new_service"] else ""
        when = (r["published_at"] or r["fetched_at"] or "")[:16]
        click.echo(f"#{r['id']:<6} {r['status']:<9} {when:<16} {r['source']}: {r['title']}{flag}")
    if next_after:
        click.echo(f"(more: --after {next_after})", err=True)


@command(items_group, "show")
@click.argument("item_id", type=int)
def items_show(item_id: int) -> None:
    """Show one item as JSON."""
    from ecitizen.db import session_scope
    from ecitizen.storage import Item, Source

    app = get_app()
    with session_scope(app.engine) as session:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFoundError(f"no item #{item_id}")
        src = session.get(Source, item.source_id)
        emit_json(item_json(item, src.name if src else ""))


def _review(ids: tuple[int, ...], status: str, reviewer: str) -> None:
    from ecitizen.db import session_scope
    from ecitizen.queries import set_status

    app = get_app()
    with session_scope(app.engine) as session:
        missing = set_status(session, ids, status, reviewer=reviewer, now=app.now())
    done = len(ids) - len(missing)
    click.echo(f"{status}: {done} item(s)")
    if missing:
        raise NotFoundError("no such item(s): " + ", ".join(f"#{i}" for i in missing))


@command(items_group, "approve")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--by", "reviewer", default="cli", show_default=True, help="Who approves.")
def items_approve(ids: tuple[int, ...], reviewer: str) -> None:
    """Approve items for publication."""
    _review(ids, "approved", reviewer)


@command(items_group, "reject")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--by", "reviewer", default="cli", show_default=True, help="Who rejects.")
def items_reject(ids: tuple[int, ...], reviewer: str) -> None:
    """Reject items."""
    _review(ids, "rejected", reviewer)


__all__ = ["App", "command", "config_option", "emit_json", "get_app", "iso", "json_option", "main"]
