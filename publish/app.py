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
}


def metadata_for(db_path: str | Path) -> dict[str, Any]:
    """The metadata with its database section keyed by the served file's name."""
    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if METADATA_DB_NAME in databases and name != METADATA_DB_NAME:
        databases[name] = databases.pop(METADATA_DB_NAME)
    return metadata


def _optional_dirs() -> list[str]:
    args = []
    plugins = PUBLISH_DIR / "plugins"
    if plugins.is_dir() and any(plugins.glob("*.py")):
        args += ["--plugins-dir", str(plugins)]
    templates = PUBLISH_DIR / "templates"
    if templates.is_dir() and any(templates.glob("*.html")):
        args += ["--template-dir", str(templates)]
    return args


def datasette_argv(db_path: str | Path, *, host: str, port: int) -> list[str]:
    """Arguments for ``python -m datasette`` serving ``db_path`` with our metadata."""
    meta = Path(tempfile.mkdtemp(prefix="practitioners-")) / "metadata.json"
    meta.write_text(json.dumps(metadata_for(db_path)), encoding="utf-8")
    argv = ["serve", str(db_path), "--metadata", str(meta), "--host", host, "--port", str(port)]
    for key, value in SETTINGS.items():
        argv += ["--setting", key, json.dumps(value) if isinstance(value, bool) else str(value)]
    return argv + _optional_dirs()


def make_datasette(db_path: str | Path):
    """An in-process Datasette over ``db_path``, as served, for tests (``ds.client``)."""
    from datasette.app import Datasette

    plugins = PUBLISH_DIR / "plugins"
    templates = PUBLISH_DIR / "templates"
    return Datasette(
        [str(db_path)], metadata=metadata_for(db_path), settings=SETTINGS,
        plugins_dir=str(plugins) if any(plugins.glob("*.py")) else None,
        template_dir=str(templates) if any(templates.glob("*.html")) else None,
    )
