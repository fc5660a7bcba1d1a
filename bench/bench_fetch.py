"""The fetch path alone: GETs of a small page from a local stand-in through one Fetcher.

For comparing the HTTP client with an earlier tree of it (run both with PYTHONPATH set to each):
robots.txt, pacing (off here), retries, the deadline transport and the per-run counts, without
any parsing or storing.

    python -m bench.bench_fetch [--gets 600] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from scraper.config import HttpConfig
    from scraper.http import Fetcher
    from tests.sites.server import SiteServer, text_response

    body = "x" * 3000
    took = []
    with SiteServer() as server:
        server.add_site("/", lambda request: text_response(body))
        config = HttpConfig(min_interval=0, allowed_hosts=("127.0.0.1",))
        for _ in range(args.repeat):
            with Fetcher(config) as fetcher:
                fetcher.get(f"{server.url}/warm")  # robots.txt and the connection
                started = time.perf_counter()
                for i in range(args.gets):
                    fetcher.get(f"{server.url}/p{i}")
                took.append(time.perf_counter() - started)
    took.sort()
    print(f"{args.gets} GETs: min {took[0]:.3f} s, median {took[len(took) // 2]:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
