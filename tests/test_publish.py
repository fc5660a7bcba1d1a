"""The published site, in-process through datasette.client: search, facets, metadata, escaping."""

from __future__ import annotations

import asyncio
import json

import pytest

from publish.app import datasette_argv, make_datasette
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from tests.sites.nppes import NppesApi
from tests.sites.nppes_data import XSS_TEXT, generate_providers
from tests.sites.server import SiteServer


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """A database scraped from the stand-in: a few states, with the record whose name holds
    markup among them."""
    providers = generate_providers(n=3000, seed=11)
    marked = next(p for p in providers if XSS_TEXT in json.dumps(p))
    state = next(a["state"] for a in marked["addresses"] if a["address_purpose"] == "LOCATION")
    server = SiteServer().start()
    server.add_site("/api/", NppesApi(providers))
    db_path = tmp_path_factory.mktemp("pub") / "directory.db"
    http = HttpConfig(min_interval=0)
    config = Config(http=http, sources={"nppes-api": {"base_url": f"{server.url}/api/"}})
    try:
        with Fetcher(http) as fetcher:
            result = run_source(config, "nppes-api", db_path=db_path, fetcher=fetcher,
                                states=sorted({state, "WA", "NY"}))
    finally:
        server.stop()
    assert result.status == "ok"
    return db_path, str(marked["number"])


def _get(db_path, path: str):
    async def go():
        ds = make_datasette(db_path)
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(go())


def test_full_text_search_finds_a_provider_by_name(scraped):
    db_path, _ = scraped
    from db.migrations import connect

    row = next(connect(db_path, readonly=True).query(
        "select npi, last_name from providers where enumeration_type = 'NPI-1' "
        "and last_name not like '%<%' limit 1"))
    response = _get(db_path, f"/directory/providers.json?_search={row['last_name']}&_shape=array")
    assert response.status_code == 200
    assert row["npi"] in [r["npi"] for r in response.json()]
    assert all(row["last_name"].lower() in json.dumps(r).lower() for r in response.json())


def test_facets_and_metadata_follow_the_served_file_name(scraped):
    db_path, _ = scraped
    data = _get(db_path, "/directory/providers.json?_size=1").json()
    assert set(data["facet_results"]) >= {"state", "credential", "gender", "enumeration_type"}
    assert data["human_description_en"] == "sorted by display_name"
    assert data["suggested_facets"] == []
    page = _get(db_path, "/directory/providers").text
    assert "Providers (NPPES)" in page
    assert "listed under the state of the primary practice location" in page


def test_markup_in_a_scraped_name_is_shown_as_text(scraped):
    db_path, npi = scraped
    page = _get(db_path, f"/directory/providers/{npi}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_run_log_is_published(scraped):
    db_path, _ = scraped
    runs = _get(db_path, "/directory/scrape_runs.json?_shape=array").json()
    assert [r["status"] for r in runs] == ["ok"]


def test_serve_arguments(scraped, tmp_path):
    db_path, _ = scraped
    argv = datasette_argv(db_path, host="127.0.0.1", port=8123)
    assert argv[:2] == ["serve", str(db_path)]
    assert argv[argv.index("--port") + 1] == "8123"
    metadata = json.loads(open(argv[argv.index("--metadata") + 1]).read())
    assert "directory" in metadata["databases"]
    assert "suggest_facets" in argv
