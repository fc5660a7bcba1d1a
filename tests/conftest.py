"""Shared fixtures: a fake clock, an in-memory database with the schema, mock transports."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db.migrations import migrate
from scraper.config import HttpConfig

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    """Monotonic time that only moves when someone sleeps: tests run instantly and can read
    exactly how long the client chose to wait."""

    def __init__(self, start: datetime = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)):
        self.t = 0.0
        self.start = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleeps.append(seconds)
            self.t += seconds

    def utcnow(self) -> datetime:
        return self.start + timedelta(seconds=self.t)


LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True, scope="session")
def no_internet():
    """No test reaches the internet: any connection to a non-loopback address fails loudly.
    (Subprocesses started by tests are held to 127.0.0.1 by http.allowed_hosts instead.)"""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and sock.family in (socket.AF_INET, socket.AF_INET6) \
                and not host.startswith(LOOPBACK):
            raise OSError(f"tests may not connect to {host!r}: loopback only")
        return real_connect(sock, address)

    socket.socket.connect = guarded
    yield
    socket.socket.connect = real_connect


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fast_http() -> HttpConfig:
    """Politeness on, waits short: what the tests and the demo use against the stand-ins."""
    return HttpConfig(contact="tests@example.invalid", min_interval=0.0, backoff_base=0.01,
                      backoff_cap=0.05, max_retries=3, max_retry_after=5.0,
                      connect_timeout=5.0, read_timeout=10.0)


@pytest.fixture
def memdb():
    from sqlite_utils import Database

    db = Database(memory=True)
    db.conn.isolation_level = None
    migrate(db)
    return db


def fixture_text(*parts: str) -> str:
    return FIXTURES.joinpath(*parts).read_text(encoding="utf-8")
