"""Configuration: one optional TOML file plus environment variables for secrets.

Defaults work with no file. The file is looked up in this order: the path given on the
command line, ``$PRACTITIONERS_CONFIG``, ``./practitioners.toml``. Environment variables
override the file for the values that identify us or are secret:

- ``PRACTITIONERS_CONTACT``: the contact URL or e-mail sent in our User-Agent.
- ``PRACTITIONERS_DB``: the database path.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_CONTACT = "https://github.com/acupuncture-directory/acupuncture-directory"
DEFAULT_DB = "practitioners.db"
CONFIG_ENV = "PRACTITIONERS_CONFIG"
DEFAULT_CONFIG_FILE = "practitioners.toml"
# A complete run that sees fewer than this share of a scope's records marks nothing gone.
DEFAULT_VOLUME_GUARD = 0.5


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or holds a bad value."""


@dataclass(frozen=True)
class HttpConfig:
    """Politeness and robustness settings of the one HTTP client."""

    contact: str = DEFAULT_CONTACT
    # Seconds between two requests to the same host (a robots.txt Crawl-delay wins if larger).
    min_interval: float = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0  # the longest silence within one answer
    # The longest one request may take, connect, status line, headers and body together, so a
    # site dripping its answer a byte at a time cannot hold a run; not retried. 0: no limit.
    total_timeout: float = 120.0
    # The same for download() (large files streamed to disk: the ~1 GB NPPES file must have
    # ~70 kB/s). An interrupted download resumes on the next run. 0: no limit.
    download_timeout: float = 14_400.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    # A Retry-After longer than this is not waited out: the request fails instead, and the
    # host is not held for it. Also the longest Crawl-delay honoured.
    max_retry_after: float = 600.0
    max_bytes: int = 50_000_000
    max_download_bytes: int = 2_000_000_000  # files fetched with download() (streamed to disk)
    max_redirects: int = 5
    obey_robots: bool = True
    # When set, the only host names the client may contact (the demo and tests: 127.0.0.1).
    allowed_hosts: tuple[str, ...] = ()
    # URLs taken from scraped data (practice websites) may only reach public addresses; these
    # hosts ("name" or "name:port") are let through although they resolve to loopback or
    # private addresses. For the tests and the demo, whose stand-in sites listen on 127.0.0.1.
    allow_private_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    db: str = DEFAULT_DB
    http: HttpConfig = field(default_factory=HttpConfig)
    # Per-source settings, keyed by source id ("nppes-api"), passed to the source as a dict.
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str | None = None

    def source(self, source_id: str) -> dict[str, Any]:
        return dict(self.sources.get(source_id, {}))


def _http_from(table: dict[str, Any], where: str) -> HttpConfig:
    known = {f.name: f.type for f in fields(HttpConfig)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting http.{key} (known: {', '.join(known)})")
        default = getattr(HttpConfig(), key)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: http.{key} must be a list of host names")
            values[key] = tuple(value)
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, str) and value.strip() != ""
        if not ok:
            raise ConfigError(f"{where}: http.{key} = {value!r} is not a valid {known[key]}")
        values[key] = type(default)(value) if not isinstance(default, bool) else value
    return HttpConfig(**values)


def load_config(path: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the configuration; a missing default file is fine, a missing named file is not."""
    env = dict(os.environ) if env is None else env
    explicit = path or env.get(CONFIG_ENV)
    data: dict[str, Any] = {}
    used: str | None = None
    if explicit:
        candidate = Path(explicit)
        if not candidate.is_file():
            raise ConfigError(f"configuration file not found: {candidate}")
    else:
        candidate = Path(DEFAULT_CONFIG_FILE)
    if candidate.is_file():
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{candidate}: not valid TOML: {exc}") from exc
        used = str(candidate)
    where = used or "defaults"
    unknown = set(data) - {"db", "http", "sources"}
    if unknown:
        raise ConfigError(f"{where}: unknown section(s): {', '.join(sorted(unknown))}")
    http = _http_from(data.get("http", {}), where)
    if env.get("PRACTITIONERS_CONTACT"):
        http = replace(http, contact=env["PRACTITIONERS_CONTACT"])
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
        raise ConfigError(f"{where}: [sources.<id>] must be tables")
    for source_id, settings in sources.items():
        guard = settings.get("volume_guard", DEFAULT_VOLUME_GUARD)
        if isinstance(guard, bool) or not isinstance(guard, int | float) or not 0 <= guard <= 1:
            raise ConfigError(f"{where}: sources.{source_id}.volume_guard = {guard!r} must be "
                              "a share between 0 and 1 (0: no guard)")
    db = env.get("PRACTITIONERS_DB") or data.get("db", DEFAULT_DB)
    return Config(db=str(db), http=http, sources=sources, path=used)
