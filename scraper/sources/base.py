"""The contract of a source, what it yields to the job runner, and what the runner lends it.

``Source`` is all the CLI, the scheduler and the job runner know of a source: its id, title
and address, its sink, its default cadence, its scope (the states a run can be limited to, or
the one state of a board), whether every run includes it, ``scrape`` and ``check``. A source
written as a module is registered with ``ModuleSource`` (``scraper/sources/__init__.py``).

A source's ``scrape(fetcher, ctx)`` is a generator. Each ``PageStep`` is one fetched page
with its records and the checkpoint state of the part it belongs to; the runner commits the
records, the fetch-log entry and the checkpoint in one transaction, so a run killed at any
moment resumes from the last committed page without loss or duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import SourceError, VolumeCollapse
from ..http import Fetcher
from ..models import Known, Page, PartState, Validators

if TYPE_CHECKING:
    from ..check import CheckReport

__all__ = ["DAY", "MONTH", "WEEK", "Conditional", "checkpoint", "Known", "ModuleSource",
           "PageStep", "PartState", "RunNote", "ScopeDone", "Source", "SourceContext",
           "SourceError", "SourceUnchanged", "Step", "VolumeCollapse", "merged_fields",
           "merged_statuses"]

DAY = timedelta(days=1)
WEEK, MONTH = 7 * DAY, 30 * DAY


@dataclass(frozen=True)
class PageStep:
    part: str
    url: str
    page: Page | None  # None: the step's records were read by the source itself (websites)
    # A list, or an iterator the runner stores as it reads it (a file too big to hold: its
    # count is then what was read); None when the page was not modified (304).
    records: list[Any] | Iterator[Any] | None
    count: int  # records on the page (from the fetch log when not modified)
    state: PartState | None = None
    store: bool = True  # False: the page only decided something (e.g. a probe that split)

    def finish(self, state: str, *, next_skip: int = 0, note: str | None = None) -> PageStep:
        return replace(self, state=PartState(self.part, state, next_skip, note))

    def without_records(self) -> PageStep:
        return replace(self, store=False)


@dataclass(frozen=True)
class ScopeDone:
    """Everything of one scope (a state, a dataset) has been walked; ``complete`` if no part
    was lost, so records of that scope not seen in this run can be marked as gone. ``state``
    is remembered for the source's next run (committed with this step)."""

    scope: str
    complete: bool
    state: dict[str, str] | None = None


@dataclass(frozen=True)
class SourceUnchanged:
    """The source says nothing changed since the last complete run: every record it gave
    then is still there, seen again, and nothing was downloaded."""

    scope: str
    note: str = ""


@dataclass(frozen=True)
class RunNote:
    """A line for the run's notes (what a selection matched, say); nothing is stored."""

    text: str


@dataclass(frozen=True)
class Conditional:
    """One conditional request: what the fetch log remembers of the URL (``known``: its
    validators and how many records its page held), and the step that says those records are
    unchanged when the site answers 304 Not Modified.

        conditional = Conditional.of(ctx, url)
        page = fetcher.get(url, validators=conditional.validators)
        step = conditional.unchanged(part, page) or PageStep(part, url, page, parsed, n)
    """

    url: str
    known: Known | None

    @classmethod
    def of(cls, ctx: SourceContext, url: str, *, remembered: bool = True) -> Conditional:
        """``remembered=False``: ask unconditionally (a page that must be read whole)."""
        return cls(url, ctx.known(url) if remembered else None)

    @property
    def validators(self) -> Validators | None:
        return self.known.validators if self.known is not None else None

    def unchanged(self, part: str, page: Page, *, unasked: bool = False) -> PageStep | None:
        """The step of a 304 answer (its records as last stored); None for any other, and for
        a 304 to a request that was not conditional (a server's mistake: the caller then reads
        the empty page and fails on it) unless ``unasked`` takes it as unchanged, 0 records."""
        if not page.not_modified or (self.known is None and not unasked):
            return None
        return PageStep(part, self.url, page, None, self.known.records if self.known else 0)


class SourceContext(Protocol):
    settings: dict[str, Any]
    states: list[str] | None
    incomplete_parts: int

    def checkpoint(self, part: str) -> PartState | None: ...

    def known(self, url: str) -> Known | None: ...

    def timestamp(self, moment: datetime) -> str: ...

    def note_resumed(self, state: PartState) -> None: ...

    def state(self, key: str) -> str | None: ...

    def provider_npis(self) -> set[str]: ...

    def listed_websites(self) -> list[tuple[str, str]]: ...

    def reported_license_numbers(self, state: str) -> list[str]: ...

    def lookup_answers(self) -> dict[str, tuple[str | None, str | None]]: ...



Step = PageStep | PartState | ScopeDone | SourceUnchanged | RunNote


class Source:
    """A source, as the CLI, the scheduler and the job runner see it.

    - ``SOURCE_ID``, ``TITLE``, ``BASE_URL``: what ``practitioners sources`` lists;
    - ``SINK``: where its records go (``db/sinks.py``), which also sets the wave it runs in;
    - ``EVERY``: its cadence unless ``[sources.<id>] every`` says otherwise;
    - ``STATES`` (and ``OTHER_STATES``, territories): the states a run can be limited to;
      empty for a source not read by state. ``JURISDICTION``: the one state a board covers;
    - ``OPT_IN_SETTINGS``: empty if every run includes it; else it runs when named, or when
      one of these settings is given;
    - ``scrape(fetcher, ctx)`` yields ``Step``s; ``check(fetcher, settings)`` says whether the
      live site still looks as the source assumes.
    """

    SOURCE_ID: str
    TITLE: str
    BASE_URL: str
    SINK: str
    EVERY: timedelta = DAY
    STATES: tuple[str, ...] = ()
    OTHER_STATES: tuple[str, ...] = ()
    JURISDICTION: str | None = None
    OPT_IN_SETTINGS: tuple[str, ...] = ()

    def is_default(self, settings: dict[str, Any]) -> bool:
        """Part of "every source"? An opt-in source only when its settings name something."""
        return not self.OPT_IN_SETTINGS or any(settings.get(k) for k in self.OPT_IN_SETTINGS)

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Step]:
        raise NotImplementedError

    def check(self, fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
        raise NotImplementedError(f"{self.SOURCE_ID} has no check of its live site")

    def parse(self, path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
        """The records its parser reads from a saved page or file (``practitioners parse``)."""
        raise NotImplementedError(f"{self.SOURCE_ID} has no parser for saved files")


class ModuleSource(Source):
    """A source written as a module: ``SOURCE_ID``, ``TITLE``, ``BASE_URL``, ``SINK`` and the
    functions ``scrape`` and ``check`` at module level (looked up at each call, so a test can
    replace them); the rest of the contract is given here."""

    def __init__(self, module: ModuleType, *, every: timedelta = DAY,
                 states: tuple[str, ...] = (), other_states: tuple[str, ...] = (),
                 opt_in_settings: tuple[str, ...] = (),
                 parse: Callable[[Path, str, dict[str, Any]], Iterator[Any]] | None = None):
        self.module = module
        self._parse = parse
        self.SOURCE_ID = module.SOURCE_ID
        self.TITLE = module.TITLE
        self.BASE_URL = module.BASE_URL
        self.SINK = module.SINK
        self.EVERY = every
        self.STATES, self.OTHER_STATES = states, other_states
        self.OPT_IN_SETTINGS = opt_in_settings

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Step]:
        return self.module.scrape(fetcher, ctx)

    def check(self, fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
        check = getattr(self.module, "check", None)  # a module may have none (yet)
        if check is None:
            return super().check(fetcher, settings)
        return check(fetcher, settings)

    def parse(self, path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
        if self._parse is None:
            return super().parse(path, url, settings)
        return self._parse(path, url, settings)

    def __repr__(self) -> str:
        return f"<source {self.SOURCE_ID} ({self.module.__name__})>"


def checkpoint(ctx: SourceContext, part: str, finished: tuple[str, ...] = ("done",)
               ) -> tuple[PartState | None, bool]:
    """The checkpoint an interrupted run left for ``part`` (None: none), and whether it says
    the part was finished (one of ``finished``: then the resumption is noted and the part is
    skipped)."""
    saved = ctx.checkpoint(part)
    if saved is not None and saved.state in finished:
        ctx.note_resumed(saved)
        return saved, True
    return saved, False


# -- a board's settings laid over its shipped configuration ------------------------------------

def merged_fields(where: str, label: str, shipped: dict[str, str], given: dict[str, str],
                  known: tuple[str, ...]) -> dict[str, str]:
    """A board's mapping onto our fields (``label``: "columns", "fields") with the operator's
    entries laid over the shipped ones; ValueError names any field we do not know."""
    merged = {**shipped, **given}
    unknown = set(merged) - set(known)
    if unknown:
        raise ValueError(f"{where} {label}: unknown field(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(known)})")
    return merged


def merged_statuses(shipped: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    """A board's status words (upper-cased, as they are looked up) with the operator's over the
    shipped ones."""
    return {word.upper(): status for word, status in {**shipped, **given}.items()}
