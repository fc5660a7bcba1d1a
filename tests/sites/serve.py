"""Serve the stand-ins of the public sites on localhost until stopped.

    python -m tests.sites.serve [--port 8765] [--n 20000]

prints one line per stand-in, such as `NPPES stand-in: http://127.0.0.1:8765/api/`, and serves
until SIGTERM or SIGINT (Ctrl-C). The demo and the tests call `start_all()` instead.

To add a stand-in, add an entry to `STAND_INS`: its name, the prefix it is mounted under, a
label for the banner and a builder that takes `n` (the size of the generated data).
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from .nppes import NppesApi
from .nppes_data import generate_providers
from .server import SiteServer


class StandIn(NamedTuple):
    prefix: str
    label: str
    build: Callable[[int], Any]


STAND_INS: dict[str, StandIn] = {
    "nppes": StandIn("/api/", "NPPES", lambda n: NppesApi(generate_providers(n))),
}


def start_all(port: int = 0, n: int = 20_000) -> tuple[SiteServer, dict[str, Any]]:
    """Build every stand-in, mount it and start serving on 127.0.0.1:`port` (0: any free port).

    Returns the started server and the mounted sites by name (`sites["nppes"]` is the NppesApi,
    whose `providers` a caller may change). Stop the server with `server.stop()`.
    """
    server = SiteServer(port=port)
    sites = {}
    for name, stand_in in STAND_INS.items():
        sites[name] = server.add_site(stand_in.prefix, stand_in.build(n))
    server.start()
    return server, sites


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the local stand-ins of the public sites.")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--n", type=int, default=20_000, help="number of generated records")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server, _ = start_all(port=args.port, n=args.n)
    try:
        for stand_in in STAND_INS.values():
            print(f"{stand_in.label} stand-in: {server.url}{stand_in.prefix}", flush=True)
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
