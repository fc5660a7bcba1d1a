"""What a source yields to the job runner, and what the runner lends a source.

A source's ``scrape(fetcher, ctx)`` is a generator. Each ``PageStep`` is one fetched page
with its records and the checkpoint state of the part it belongs to; the runner commits the
records, the fetch-log entry and the checkpoint in one transaction, so a run killed at any
moment resumes from the last committed page without loss or duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ..http import Page, Validators


class SourceError(Exception):
    """The source answered, but not with what we can use (an error body, a refused query, a
    dataset without a field we read, a selection that matches nothing)."""


class VolumeCollapse(SourceError):
    """The source now gives far fewer records than its last complete run: more likely a
    broken query or a changed site than a profession that vanished. The run is ``suspect``
    and marks nothing gone."""


@dataclass(frozen=True)
class PartState:
    """Checkpoint of one part of a source's work (a query, a listing)."""

    part: str
    state: str  # "pending" (next_skip says where to go on), "done", "split", "incomplete"
    next_skip: int = 0
    note: str | None = None


@dataclass(frozen=True)
class PageStep:
    part: str
    url: str
    page: Page | None  # None: the step's records were read by the source itself (websites)
    records: list[Any] | None  # None when the page was not modified (304)
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
class Known:
    """What the fetch log remembers of a URL from the last committed fetch."""

    validators: Validators
    records: int | None


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

    def add_counts(self, counts: Any) -> None: ...
