"""The server's long-lived objects kept out of the garbage collector's full passes.

A Datasette process holds some 300,000 objects that live as long as it does (modules, the
templates, the schema and metadata). CPython's full (generation 2) collection walks all of
them, and on this project's 2-core machine one pass took 220 ms: the slowest table pages of
the 1,000,000-practitioner benchmark were those a full pass landed in (issue 16,
bench/RESULTS.md). ``gc.freeze()`` moves every object alive at that moment to a generation the
collector never walks; reference counting still frees them, only a cycle among them would stay.
The process freezes once at startup, and again after its 1st, 10th, 100th and 1,000th request,
since the first requests build caches (compiled templates, table schemas) that live on. Each
freeze follows a full collection, so no garbage is frozen with them (a cycle left by a request
would otherwise never be freed); those five collections are the only full ones that walk
everything, the later ones happening after a response is sent.
"""

from __future__ import annotations

import gc

from datasette import hookimpl

# After these many requests the process freezes what has survived so far.
FREEZE_AFTER = frozenset({1, 10, 100, 1000})


class _Count:
    served = 0


def collect_and_freeze() -> None:
    gc.collect()
    gc.freeze()


@hookimpl
def startup(datasette):
    collect_and_freeze()


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def counted(scope, receive, send):
            try:
                await app(scope, receive, send)
            finally:
                if scope.get("type") == "http":
                    _Count.served += 1
                    if _Count.served in FREEZE_AFTER:
                        collect_and_freeze()
        return counted
    return wrap
