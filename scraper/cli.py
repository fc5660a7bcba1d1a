"""The ``practitioners`` command: parse options, call the library, print. Nothing else."""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import click

from . import __version__
from .config import DEFAULT_DB, ConfigError, load_config
from .http import Fetcher
from .jobs import Progress, link_pending, relink, run_sources
from .link import summary as link_summary
from .sources import SOURCES, is_default, register_configured

ALL_STATES = {s for source in SOURCES.values() for s in (*source.STATES, *source.OTHER_STATES)}


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Within this block, SIGTERM (what cron, systemd and ``kill`` send) stops a run as Ctrl-C
    does: every wait ends, the runs stay resumable, the command exits 1 saying so."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can be set from the main thread only
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def db_option(use: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--db`` option of a command that will ``use`` the database: "write" (made if
    missing), "read" or "update" (it must exist)."""
    made = " (made if missing)" if use == "write" else " (never made: it must exist)"
    return click.option("--db", "db_path", type=click.Path(dir_okay=False),
                        help=f"SQLite database to {use}{made}. Default: $PRACTITIONERS_DB, "
                        f"else the configuration's db, else {DEFAULT_DB}.")


def _database(ctx: click.Context, db_path: str | None) -> tuple[str, str]:
    """The database a command means, and where that choice came from, for messages."""
    if db_path:
        return db_path, "given with --db"
    config = _config(ctx)
    if os.environ.get("PRACTITIONERS_DB"):
        return config.db, "from $PRACTITIONERS_DB"
    if config.path and config.db != DEFAULT_DB:
        return config.db, f"the db of the configuration file {config.path}"
    named = f", {config.path} names none" if config.path else ""
    return config.db, f"the default database: no --db given{named}, $PRACTITIONERS_DB not set"


def _existing_database(ctx: click.Context, db_path: str | None) -> str:
    """The database a read-only command reads, which must already exist: such a command never
    makes one (an empty database made by mistake would hide the one the user meant)."""
    path, origin = _database(ctx, db_path)
    if not os.path.exists(path):
        raise click.ClickException(f"no database at {path} ({origin}). {_first_scrape(ctx, path)}")
    return path


def _bring_up_to_date(path: str) -> None:
    """Apply the migrations a database served lacks (its pages and queries read what they
    make: near_zip the places of m026, the facets the counts of m028 and m029). A database
    that cannot be written to is served as it is, and that is said."""
    from db.migrations import connect, migrations

    try:
        db = connect(path)
        try:
            pending = [m.name for m in migrations.pending(db)]
            if pending:
                click.echo(f"Bringing {path} up to date ({len(pending)} migrations: "
                           f"{', '.join(pending)}); a large database takes a minute", err=True)
                migrations.apply(db)
        finally:
            db.close()
    except sqlite3.Error as error:
        click.echo(f"Serving {path} as it is: it could not be brought up to date ({error})",
                   err=True)


def _first_scrape(ctx: click.Context, path: str) -> str:
    """What to run first, against ``path`` and the same configuration."""
    config_path = ctx.obj.get("config_path") if ctx.obj else None
    config = f"--config {shlex.quote(config_path)} " if config_path else ""
    return (f"To make it, scrape the public sources into it first: `practitioners {config}scrape "
            f"--db {shlex.quote(path)}`; or give --db the database you meant (`make demo` "
            "makes demo.db).")


def _config(ctx: click.Context):
    """The configuration, with the boards it defines by settings alone registered (read once
    a command)."""
    if "config" in ctx.obj:
        return ctx.obj["config"]
    try:
        config = load_config(ctx.obj.get("config_path"))
        register_configured(config.sources)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj["config"] = config
    return config


@click.group()
@click.version_option(__version__, prog_name="practitioners")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML configuration file (default: $PRACTITIONERS_CONFIG, ./practitioners.toml).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Collect public listings of acupuncturists into SQLite and publish them with Datasette.

    \b
    Example:
        practitioners scrape nppes-api --state WA --state OR
        practitioners serve
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class _ProgressLine:
    """One status line per source on stderr, redrawn in place on a terminal, every 10 s otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < 10:
            return
        self.last = now
        total = f"/{p.scopes_total}" if p.scopes_total else ""
        line = (f"{p.source}: {p.scopes_done}{total} states, {p.records:,} records, "
                f"{p.pages:,} pages  {p.part}")
        if p.bytes_total or p.bytes_done:
            of = f" of {p.bytes_total / 1e6:,.0f} MB" if p.bytes_total else " MB"
            share = f" ({100 * p.bytes_done / p.bytes_total:.0f}%)" if p.bytes_total else ""
            line = f"{p.source}: {p.bytes_done / 1e6:,.0f}{of}{share} read  {p.part}"
        if self.tty:
            click.echo("\r" + line[:120].ljust(120), nl=False, err=True)
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self.tty:
            click.echo("\r" + " " * 120 + "\r", nl=False, err=True)


@cli.command()
@click.argument("sources", nargs=-1)
@db_option("write")
@click.option("--state", "states", multiple=True, metavar="XX",
              help="Only this state (two-letter code); repeat for several. Default: all states.")
@click.option("--file", "file_path", type=click.Path(exists=True, dir_okay=False),
              help="nppes-bulk: import this monthly NPPES zip already on disk.")
@click.pass_context
def scrape(ctx: click.Context, sources: tuple[str, ...], db_path: str | None,
           states: tuple[str, ...], file_path: str | None) -> None:
    """Scrape SOURCES (default: all) into the database, one recorded run per source.

    A run that was killed is picked up where it stopped by the next scrape of the same
    source and states. The exit status is 1 when any source failed, was gated or is partial.

    \b
    Example:
        practitioners scrape nppes-api --state CA --db practitioners.db
        practitioners scrape nppes-bulk --file NPPES_Data_Dissemination_November_2026_V2.zip
    """
    config = _config(ctx)
    if file_path:
        if sources != ("nppes-bulk",):
            raise click.BadParameter("--file goes with the nppes-bulk source alone",
                                     param_hint="--file")
        sources_settings = {**config.sources,
                            "nppes-bulk": {**config.source("nppes-bulk"), "file": file_path}}
        config = replace(config, sources=sources_settings)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise click.BadParameter(f"unknown source {unknown[0]!r}; known: {', '.join(SOURCES)}",
                                 param_hint="SOURCES")
    bad = [s for s in states if s.upper() not in ALL_STATES]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not a US state or territory code",
                                 param_hint="--state")
    chosen = list(sources) or _sources_for(states, config)
    progress = _ProgressLine()
    try:
        with _sigterm_interrupts(), Fetcher(config.http) as fetcher:
            results = run_sources(config, chosen, fetcher=fetcher,
                                  db_path=db_path, states=[s.upper() for s in states] or None,
                                  on_progress=progress)
    except KeyboardInterrupt:
        progress.close()
        raise click.ClickException("interrupted; run the same command again to resume") from None
    except (RuntimeError, OSError, sqlite3.Error) as exc:
        progress.close()
        raise click.ClickException(f"{db_path or config.db}: {exc}") from None
    progress.close()
    for result in results:
        click.echo(result.summary())
        for note in result.notes:
            click.echo(f"  {note}")
    if any(r.status in ("ok", "partial", "suspect") for r in results):
        click.echo(link_summary(_relink(config, db_path or config.db)))
    if any(r.status != "ok" for r in results):
        ctx.exit(1)


def _plans(config, path: str, *, readonly: bool = False):
    """Each default source's plan. ``readonly``: read ``path`` as it is (it must exist), else
    open it for writing, made and brought up to date if need be."""
    from db.migrations import connect, open_db
    from db.store import run_alive

    from .schedule import schedule

    try:
        db = connect(path, readonly=True) if readonly else open_db(path)
    except sqlite3.Error as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    try:
        return schedule(db, config, _scheduled(config), run_alive)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.Error as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    finally:
        db.close()


def _scheduled(config) -> dict[str, Any]:
    return {k: v for k, v in SOURCES.items() if is_default(k, config.source(k))}


@cli.command(name="run-due")
@click.argument("sources", nargs=-1)
@db_option("write")
@click.pass_context
def run_due(ctx: click.Context, sources: tuple[str, ...], db_path: str | None) -> None:
    """Run the sources (default: all, or SOURCES) whose time has come, then link.

    Safe to call from cron every few minutes: one call at a time (a second one finds the lock
    held and exits quietly with status 0), a source that failed is retried later with backoff,
    a killed run is resumed. Prints one line per source run; exits 1 if any failed.

    \b
    Example:
        practitioners run-due        # from cron: */10 * * * *
    """
    from .schedule import RunLock

    config = _config(ctx)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise click.BadParameter(f"unknown source {unknown[0]!r}; known: {', '.join(SOURCES)}",
                                 param_hint="SOURCES")
    path = db_path or config.db
    with RunLock(path) as lock:
        if not lock.acquired:
            click.echo(f"another run-due holds {lock.path}; nothing to do")
            return
        now = datetime.now(UTC)
        plans = [p for p in _plans(config, path) if not sources or p.source in sources]
        due = [p.source for p in plans if p.is_due(now)]
        if not due:
            upcoming = min((p for p in plans if p.next_at), key=lambda p: p.next_at, default=None)
            click.echo("nothing due" + (f"; next: {upcoming.source} at "
                                        f"{upcoming.next_at:%Y-%m-%d %H:%M} UTC"
                                        if upcoming else ""))
            if _link_pending(config, path):  # a call killed before it linked what it stored
                click.echo(link_summary(_relink(config, path)))
            return
        try:
            with _sigterm_interrupts(), Fetcher(config.http) as fetcher:
                results = run_sources(config, due, fetcher=fetcher, db_path=path)
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; the next run-due resumes") from None
        except (RuntimeError, OSError, sqlite3.Error) as exc:
            raise click.ClickException(f"{path}: {exc}") from None
        for result in results:
            click.echo(result.summary())
        if _link_pending(config, path):  # set by every run that ended ok or partial
            click.echo(link_summary(_relink(config, path)))
    if any(r.status in ("failed", "gated", "suspect") for r in results):
        ctx.exit(1)


@cli.command(name="schedule")
@db_option("read")
@click.pass_context
def show_schedule(ctx: click.Context, db_path: str | None) -> None:
    """Show when each source is next due, and why.

    \b
    Example:
        practitioners schedule --db practitioners.db
    """
    from .schedule import cadence

    config = _config(ctx)
    try:  # a bad setting is the first thing to say, whether or not the database is there
        for source_id, source in _scheduled(config).items():
            cadence(config, source_id, source)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    plans = _plans(config, _existing_database(ctx, db_path), readonly=True)
    now = datetime.now(UTC)
    click.echo(f"{'source':12} {'every':>9} {'last run':30} {'next due':17}  why")
    for p in plans:
        last = f"{p.last_status} {p.last_finished or ''}".strip() if p.last_status else "-"
        when = "running" if p.running else "now" if p.is_due(now) else \
            f"{p.next_at:%Y-%m-%d %H:%M}"
        every = f"{p.every.days}d" if p.every.days and not p.every.seconds else str(p.every)
        click.echo(f"{p.source:12} {every:>9} {last:30} {when:17}  {p.reason}")


@cli.command()
@db_option("update")
@click.pass_context
def link(ctx: click.Context, db_path: str | None) -> None:
    """Rebuild the practitioners from every record scraped so far.

    A scrape does this by itself; run it after changing the linking rules.

    \b
    Example:
        practitioners link --db practitioners.db
    """
    config = _config(ctx)
    path = _existing_database(ctx, db_path)
    click.echo(link_summary(_relink(config, path)))


@cli.command()
@db_option("read")
@click.option("--json", "as_json", is_flag=True,
              help="Print the states and the total as JSON instead of a table.")
@click.pass_context
def coverage(ctx: click.Context, db_path: str | None, as_json: bool) -> None:
    """Show where each state's license status comes from: a state board the directory reads
    (which, its lookup page, its live licenses, when last read), or NPPES self-report only.

    With it, per state and in all: the NPPES acupuncturists (individual NPIs with taxonomy
    171100000X, each in the state of that taxonomy's license, else of their practice) and how
    many have their status from that state's board (linked to one of its live licenses),
    against the goal of 90%. Reads the database only; the same table is in Datasette as
    `coverage`, rebuilt by every linking.

    \b
    Example:
        practitioners coverage --db practitioners.db
        practitioners coverage --json
    """
    from db.migrations import connect

    from .coverage import GOAL_PERCENT, NOT_AUTOMATED, SELF_REPORT, CoverageError, coverage_rows, total_row

    config = _config(ctx)
    path = _existing_database(ctx, db_path)
    try:
        db = connect(path, readonly=True)
        try:
            rows = coverage_rows(db, settings=config.source)
        finally:
            db.close()
    except (sqlite3.Error, CoverageError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    total = total_row(rows)
    if as_json:
        click.echo(json.dumps({"goal_percent": GOAL_PERCENT, "states": rows, "total": total},
                              indent=2))
        return
    wide = max([len("board"), *(len(r["board_sources"] or "") for r in rows)])
    click.echo(f"{'state':5} {'license status from':26} {'board':{wide}} {'licenses':>8} "
               f"{'last read':20} {'acupuncturists':>14} {'board status':>12} {'share':>6}")
    for r in rows:
        shown = f"{r['share']:.1f}%" if r["share"] is not None else "-"
        click.echo(f"{r['state']:5} {r['status_source']:26} {r['board_sources'] or '-':{wide}} "
                   f"{r['licenses']:>8,} {r['last_read_at'] or '-':20} "
                   f"{r['acupuncturists']:>14,} {r['with_board_status']:>12,} {shown:>6}")
    share = total["share"] or 0.0
    click.echo(f"{'total':5} {total['status_source']:26} {'':{wide}} "
               f"{total['licenses']:>8,} {'':20} {total['acupuncturists']:>14,} "
               f"{total['with_board_status']:>12,} {share:>5.1f}%")
    gap = "goal met" if share >= GOAL_PERCENT else f"{GOAL_PERCENT - share:.1f} points short"
    click.echo(f"\n{share:.1f}% of NPPES acupuncturists have their license status from their "
               f"state's board; goal {GOAL_PERCENT:.0f}% ({gap}).\nElsewhere the status shown "
               "is what they reported to NPPES, unverified.")
    for r in rows:
        if r["status_source"] != SELF_REPORT:
            click.echo(f"  {r['state']}: {r['board_titles']}"
                       + (f" - check a license at {r['verify_url']}" if r["verify_url"] else ""))
    manual = [r for r in rows if r["state"] in NOT_AUTOMATED and r["status_source"] == SELF_REPORT]
    if manual:
        click.echo("\nBoards the directory must not read by program (check these by hand):")
        for r in manual:
            click.echo(f"  {r['state']}: {r['why_none']} - {r['verify_url']}")


def _link_pending(config, path: str) -> bool:
    try:
        return link_pending(config, path)
    except sqlite3.Error as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def _relink(config, path: str):
    try:
        return relink(config, path)
    except sqlite3.Error as exc:
        raise click.ClickException(f"{path}: cannot link: {exc}") from None


def _sources_for(states: tuple[str, ...], config) -> list[str]:
    """All sources (opt-in ones when configured), less the boards of states not asked for."""
    wanted = {s.upper() for s in states}
    return [source_id for source_id, source in SOURCES.items()
            if is_default(source_id, config.source(source_id))
            and (not wanted or source.JURISDICTION is None or source.JURISDICTION in wanted)]


@cli.command()
@click.argument("sources", nargs=-1)
@click.pass_context
def check(ctx: click.Context, sources: tuple[str, ...]) -> None:
    """Check SOURCES (default: all) against their live sites before scheduling scrapes.

    A few polite requests a source (robots.txt obeyed, the configured contact sent), nothing
    stored: is the site reachable, does robots.txt allow us, is a bot challenge in the way,
    are the fields we read still there, what do the values we select match (and how many
    rows), and can one record be parsed. Exits 1 when any source does not pass.

    \b
    Example:
        practitioners check                  # every source
        practitioners check co-dora wa-doh   # two state boards
    """
    from .check import ITEMS, CheckReport

    config = _config(ctx)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise click.BadParameter(f"unknown source {unknown[0]!r}; known: {', '.join(SOURCES)}",
                                 param_hint="SOURCES")
    reports = []
    with Fetcher(config.http) as fetcher:
        for source_id in sources or SOURCES:
            click.echo(f"checking {source_id}...", err=True)
            try:
                reports.append(SOURCES[source_id].check(fetcher, config.source(source_id)))
            except ValueError as exc:  # a bad setting
                raise click.ClickException(f"{source_id}: {exc}") from None
            except NotImplementedError as exc:  # a source without a check
                report = CheckReport(source_id)
                report.skip(str(exc))
                reports.append(report)
    marks = {True: "yes", False: "NO", None: "-"}
    challenge_marks = {True: "none", False: "MET", None: "-"}
    click.echo(f"{'source':12} " + " ".join(f"{item:9}" for item in ITEMS) + " verdict")
    for report in reports:
        cells = [f"{(challenge_marks if item == 'challenge' else marks)[report.get(item)[0]]:9}"
                 for item in ITEMS]
        click.echo(f"{report.source:12} " + " ".join(cells) + f" {report.verdict}")
    for report in reports:
        click.echo(f"\n{report.source}: {report.verdict}")
        if report.skipped:
            click.echo(f"  skipped: {report.skipped}")
        for item in ITEMS:
            ok, detail = report.get(item)
            if detail:
                click.echo(f"  {item}: {detail}")
        for note in report.notes:
            click.echo(f"  {note}")
    if any(r.verdict not in ("ok", "skipped") for r in reports):
        ctx.exit(1)


@cli.command(name="parse")
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default="", help="The address the file was saved from (links are read "
              "against it; default: the source's own).")
@click.option("-n", "--limit", type=click.IntRange(min=0), default=0,
              help="Print at most this many records (0: all).")
@click.pass_context
def parse_saved(ctx: click.Context, source: str, file: str, url: str, limit: int) -> None:
    """Run SOURCE's parser on a saved page or file and print what it reads, one JSON object
    a line: how to check a changed page without the network. A page the parser no longer
    understands fails with the reason (exit 1).

    \b
    Example:
        curl -o wa.html 'https://directory.ncbahm.org/FAP/SearchResultWithoutMap?...'
        practitioners parse nccaom wa.html
        practitioners parse nppes-api answer.json --limit 3
    """
    import dataclasses
    from pathlib import Path

    from .parsing import ParseError
    from .sources.base import SourceError

    config = _config(ctx)
    if source not in SOURCES:
        raise click.BadParameter(f"unknown source {source!r}; known: {', '.join(SOURCES)}",
                                 param_hint="SOURCE")
    chosen = SOURCES[source]
    count = 0
    try:
        for record in chosen.parse(Path(file), url or chosen.BASE_URL, config.source(source)):
            if limit and count >= limit:
                break
            if dataclasses.is_dataclass(record) and not isinstance(record, type):
                line = {"record": type(record).__name__, **dataclasses.asdict(record)}
            else:
                line = record
            click.echo(json.dumps(line, default=str, ensure_ascii=False))
            count += 1
    except NotImplementedError as exc:
        raise click.ClickException(str(exc)) from None
    except (ParseError, SourceError, ValueError, OSError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    click.echo(f"{count} record(s) read by {source} from {file}", err=True)


@cli.command(name="sources")
@click.pass_context
def list_sources(ctx: click.Context) -> None:
    """List the sources this tool can scrape (with the boards the configuration defines).

    \b
    Example:
        practitioners sources
    """
    _config(ctx)
    for source_id, source in SOURCES.items():
        click.echo(f"{source_id:10} {source.TITLE}\n{'':10} {source.BASE_URL}")


@cli.command()
@db_option("read")
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_context
def runs(ctx: click.Context, db_path: str | None, limit: int, as_json: bool) -> None:
    """Show the run log: the latest scrape runs, newest first.

    \b
    Example:
        practitioners runs -n 5
    """
    from db.migrations import connect

    path = _existing_database(ctx, db_path)
    try:
        db = connect(path, readonly=True)
        tables = db.table_names()
        if "scrape_runs" not in tables:
            raise click.ClickException(f"{path} has no run log: it is not a database of this "
                                       "tool, or nothing was ever scraped into it")
        rows = list(db.query("select id, source, status, started_at, duration_s, records, "
                             "inserted, updated, gone, requests, not_modified, error "
                             "from scrape_runs order by id desc limit ?", [limit]))
    except sqlite3.Error as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"No runs recorded in {path} yet. {_first_scrape(ctx, path)}")
        return
    click.echo(f"{'run':>5} {'source':12} {'status':8} {'started':20} {'secs':>7} "
               f"{'records':>8} {'new':>6} {'changed':>7} {'gone':>5} {'requests':>8}  error")
    for r in rows:
        click.echo(f"{r['id']:>5} {r['source']:12} {r['status']:8} {r['started_at']:20} "
                   f"{(r['duration_s'] or 0):>7.1f} {r['records'] or 0:>8} {r['inserted'] or 0:>6} "
                   f"{r['updated'] or 0:>7} {r['gone'] or 0:>5} {r['requests'] or 0:>8}  "
                   f"{(r['error'] or '')[:60]}")


@cli.command()
@db_option("read")
@click.option("-h", "--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface, for a public server).")
@click.option("-p", "--port", default=8001, show_default=True, type=int,
              help="Port to listen on.")
@click.option("--sql/--no-sql", "allow_sql", default=True, show_default=True,
              help="Let visitors run their own read-only SQL (?sql=); canned queries work either way.")
@click.pass_context
def serve(ctx: click.Context, db_path: str | None, host: str, port: int, allow_sql: bool) -> None:
    """Publish the database with Datasette (read-only), with the project's metadata.

    \b
    Example:
        practitioners serve --db practitioners.db --port 8001
        practitioners serve --no-sql    # tables, search and canned queries only
    """
    from publish.app import datasette_argv

    path = _existing_database(ctx, db_path)
    _bring_up_to_date(path)
    argv = datasette_argv(path, host=host, port=port, allow_sql=allow_sql)
    click.echo(f"Serving {path} at http://{host}:{port}/", err=True)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "datasette", *argv])
