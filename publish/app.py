"""How ``practitioners serve`` and the tests start Datasette over a database."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from . import METADATA_PATH, PUBLISH_DIR

# The database name in metadata.yml; the served file may have any name.
METADATA_DB_NAME = "practitioners"
SETTINGS = {
    "suggest_facets": False,  # suggesting facets scans large tables on every page
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1000,
    "allow_download": False,
    "max_returned_rows": 1000,  # Datasette's default, said here: the most rows one query returns
}
# What one query may make the server hold in memory, applied to every connection by
# publish/plugins/sql_functions.py (README: "What visitors can ask"). Legit values are far below:
# the longest value stored is a reject's raw row, under 1 KB on the stand-ins; the longest
# canned query (status_changes) is under 7 KB; the largest page, 1,000 rows as JSON, about 0.6 MB.
SQL_LIMITS = {
    "max_value_bytes": 1_000_000,
    "max_sql_bytes": 100_000,
    "max_result_bytes": 4_000_000,  # as rendered in JSON: a page of 1,000 rows is about 0.6 MB
}
# All the memory SQLite may hold in the served process (PRAGMA hard_heap_limit, per process, so
# never set in a test process). Serving every page and canned query of the stand-in site took
# SQLite 7 MB at most: a page cache of at most 2 MB for each of a few connections.
HEAP_LIMIT_BYTES = 64_000_000


def metadata_for(db_path: str | Path, *, heap_limit: bool = False) -> dict[str, Any]:
    """The metadata with its database section keyed by the served file's name, and the
    limits for publish/plugins/sql_functions.py (``plugins: sql_limits``, with the per-process
    heap limit when ``heap_limit``)."""
    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if METADATA_DB_NAME in databases and name != METADATA_DB_NAME:
        databases[name] = databases.pop(METADATA_DB_NAME)
    limits = dict(SQL_LIMITS)
    if heap_limit:
        limits["hard_heap_limit_bytes"] = HEAP_LIMIT_BYTES
    metadata.setdefault("plugins", {})["sql_limits"] = limits
    return metadata


def settings_for(*, allow_sql: bool = True) -> dict[str, Any]:
    """SETTINGS; with ``allow_sql=False`` visitors may not run their own SQL (``?sql=``,
    ``_where=``), while tables, rows, facets, search and the canned queries keep working."""
    return SETTINGS if allow_sql else dict(SETTINGS, default_allow_sql=False)


def _optional_dirs() -> list[str]:
    args = []
    plugins = PUBLISH_DIR / "plugins"
    if plugins.is_dir() and any(plugins.glob("*.py")):
        args += ["--plugins-dir", str(plugins)]
    templates = PUBLISH_DIR / "templates"
    if templates.is_dir() and any(templates.glob("*.html")):
        args += ["--template-dir", str(templates)]
    return args


def datasette_argv(db_path: str | Path, *, host: str, port: int,
                   allow_sql: bool = True) -> list[str]:
    """Arguments for ``python -m datasette`` serving ``db_path`` with our metadata, in a process
    of its own (so with the heap limit)."""
    meta = Path(tempfile.mkdtemp(prefix="practitioners-")) / "metadata.json"
    meta.write_text(json.dumps(metadata_for(db_path, heap_limit=True)), encoding="utf-8")
    argv = ["serve", str(db_path), "--metadata", str(meta), "--host", host, "--port", str(port)]
    for key, value in settings_for(allow_sql=allow_sql).items():
        argv += ["--setting", key, json.dumps(value) if isinstance(value, bool) else str(value)]
    return argv + _optional_dirs()


def make_datasette(db_path: str | Path, *, allow_sql: bool = True):
    """An in-process Datasette over ``db_path``, as served, for tests (``ds.client``); all but the
    heap limit, which would bind every SQLite database of the calling process."""
    from datasette.app import Datasette

    plugins = PUBLISH_DIR / "plugins"
    templates = PUBLISH_DIR / "templates"
    return Datasette(
        [str(db_path)], metadata=metadata_for(db_path), settings=settings_for(allow_sql=allow_sql),
        plugins_dir=str(plugins) if any(plugins.glob("*.py")) else None,
        template_dir=str(templates) if any(templates.glob("*.html")) else None,
    )
