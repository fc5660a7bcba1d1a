"""What every benchmark shares: where results go, the machine line, a free loopback port."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path

RESULTS = Path(__file__).parent / "RESULTS.md"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(lines: list[str], write: bool) -> None:
    """Print a result section; with ``write``, append it to bench/RESULTS.md."""
    text = "\n".join(lines)
    print(text)
    if write:
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
