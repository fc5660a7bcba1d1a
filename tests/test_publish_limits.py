"""What a visitor's own SQL (``?sql=``) can make the server hold, and how an operator turns it off.

Issue 14, item 5: "One anonymous `?sql=` request (`select randomblob(50000000)` a few times) took
the Datasette process from 211 MB to 1.3 GB; the time limit does not bound memory."
In-process through datasette.client (every limit but the heap limit, which is per process), and in
a real ``datasette`` on 127.0.0.1 whose memory is measured around the hostile queries.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from db.migrations import open_db
from publish.app import HEAP_LIMIT_BYTES, SQL_LIMITS, datasette_argv, make_datasette
from scraper.cli import cli

DB = "practitioners"  # the served file's name: the canned queries of metadata.yml apply
SEEN = "2026-11-19T08:30:00Z"
HUGE_VALUE = "select randomblob(50000000)"  # the query: 50 MB, fifty times the value limit
# 300 rows of just under 1 MB each: every value within the length limit, 300 MB in all.
MANY_ROWS = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 300) "
             "select randomblob(999999) from n")
# One row of 300 columns of just under 1 MB: 300 MB in SQLite at once, before any row reaches Python.
# Review of issue 14: 10 M characters counted as 10 MB, but each emoji is 12 bytes in JSON
# ("\ud83d\ude00"): a 117 MB answer took the process from 56 MB to 658 MB.
EMOJI_ROWS = ("with recursive c(x) as (select 1 union all select x + 1 from c where x < 39) "
              "select replace(printf('%.*c', 249999, 'x'), 'x', char(128512)) as v from c")
WIDE_ROW = ("with b(x) as (select randomblob(999999)) select "
            + ", ".join(f"x as c{i}" for i in range(300)) + " from b")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("limits") / f"{DB}.db"
    db = open_db(db_path)
    for i, (name, city) in enumerate([("Ada Lark", "Seattle"), ("Bo Finch", "Tacoma")], 1):
        first, last = name.split()
        db["practitioners"].insert({
            "practitioner_id": f"npi:100000000{i}", "display_name": name, "first_name": first,
            "last_name": last, "city": city, "state": "WA", "zip": "98101",
            "license_status": "active", "excluded": 0, "disciplined": 0, "certified": 0,
            "sources": "nppes-api", "as_of": SEEN, "source": "link", "first_seen_at": SEEN,
            "last_seen_at": SEEN, "last_seen_run_id": 1})
    db.conn.close()
    return db_path


def _get(db_path, *paths: str, allow_sql: bool = True):
    async def go():
        ds = make_datasette(db_path, allow_sql=allow_sql)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    return asyncio.run(go())


def _sql(sql: str, fmt: str = "") -> str:
    return f"/{DB}{fmt}?" + urlencode({"sql": sql})


NORMAL_PAGES = [
    "/", f"/{DB}", f"/{DB}/practitioners", f"/{DB}/practitioners.json?_facet=state",
    f"/{DB}/practitioners/npi:1000000001", f"/{DB}/practitioners?_search=lark",
    f"/{DB}/search?q=lark", f"/{DB}/source_health", f"/{DB}/status_changes.atom",
]


def test_every_query_connection_has_the_limits(site):
    async def go():
        ds = make_datasette(site)
        await ds.invoke_startup()
        return await ds.databases[DB].execute_fn(lambda conn: (
            conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH), conn.getlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH),
            conn.execute("pragma hard_heap_limit").fetchone()[0]))

    assert asyncio.run(go()) == (SQL_LIMITS["max_value_bytes"], SQL_LIMITS["max_sql_bytes"],
                                 0)  # no heap limit in a test process: it is the process's


def test_a_statement_over_the_sql_length_limit_is_refused(site):
    # No URL carries 100 KB (httpx and uvicorn refuse it first): the limit is a second line.
    async def go():
        ds = make_datasette(site)
        await ds.invoke_startup()
        with pytest.raises(sqlite3.DataError, match="too large"):
            await ds.execute(DB, "select 1 -- " + "x" * SQL_LIMITS["max_sql_bytes"])

    asyncio.run(go())


@pytest.mark.parametrize("sql, error", [
    (HUGE_VALUE, "string or blob too big"),
    ("select length(group_concat(display_name || zeroblob(600000))) from practitioners",
     "string or blob too big"),
    (MANY_ROWS, "result too large"),
    (EMOJI_ROWS, "result too large"),
])
def test_a_query_over_a_limit_is_an_error_page_not_a_crash(site, sql, error):
    page, data = _get(site, _sql(sql), _sql(sql, ".json"))
    assert (page.status_code, data.status_code) == (400, 400)
    assert error in page.text
    assert data.json()["ok"] is False and error in data.json()["error"]


def test_the_pages_and_queries_of_the_site_stay_under_the_limits(site):
    responses = _get(site, *NORMAL_PAGES, _sql("select * from practitioners"))
    assert [r.status_code for r in responses] == [200] * (len(NORMAL_PAGES) + 1)
    assert "Ada Lark" in responses[-1].text


def test_a_value_just_under_the_length_limit_is_answered(site):
    sql = f"select length(randomblob({SQL_LIMITS['max_value_bytes']})) as n"
    (response,) = _get(site, _sql(sql, ".json") + "&_shape=array")
    assert response.json() == [{"n": SQL_LIMITS["max_value_bytes"]}]


def test_with_sql_off_visitors_cannot_run_their_own_but_every_page_and_canned_query_works(site):
    own_sql = [_sql("select 1"), _sql("select 1", ".json"), f"/{DB}/practitioners?_where=1"]
    responses = _get(site, *own_sql, *NORMAL_PAGES, allow_sql=False)
    assert [r.status_code for r in responses] == [403] * len(own_sql) + [200] * len(NORMAL_PAGES)
    assert "Ada Lark" in responses[len(own_sql) + NORMAL_PAGES.index(f"/{DB}/search?q=lark")].text


def test_serve_no_sql_serves_with_default_allow_sql_off(site, monkeypatch):
    calls = []
    monkeypatch.setattr("os.execv", lambda path, argv: calls.append(argv))
    for flags in ([], ["--no-sql"]):
        result = CliRunner().invoke(cli, ["serve", "--db", str(site), *flags])
        assert result.exit_code == 0, result.output
    with_sql, without_sql = calls
    assert "default_allow_sql" not in with_sql
    at = without_sql.index("default_allow_sql")
    assert without_sql[at - 1:at + 2] == ["--setting", "default_allow_sql", "false"]
    for argv in calls:  # the served process has the heap limit
        metadata = json.loads(open(argv[argv.index("--metadata") + 1]).read())
        assert metadata["plugins"]["sql_limits"] == dict(
            SQL_LIMITS, hard_heap_limit_bytes=HEAP_LIMIT_BYTES)


# --- a real datasette process, its memory measured ---------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def _fetch(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def served(site):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", *datasette_argv(site, host="127.0.0.1", port=port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"datasette exited with {process.returncode}"
            assert time.monotonic() < deadline, "datasette did not start within 30 s"
            try:
                if _fetch(url + "/-/versions.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_hostile_queries_leave_the_served_process_memory_bounded(served):
    url, pid = served
    for path in NORMAL_PAGES:  # warm up: what the process holds serving the site
        assert _fetch(url + path)[0] == 200, path
    before = _rss_mb(pid)
    started = time.monotonic()
    answers = [_fetch(url + _sql(sql)) for sql in
               [HUGE_VALUE] * 4 + [MANY_ROWS, WIDE_ROW] * 2 + [EMOJI_ROWS] * 4]
    assert [status for status, _ in answers] == [400] * 12
    assert "string or blob too big" in answers[0][1]
    assert "result too large" in answers[4][1]
    assert "needs more memory than the site lets queries use" in answers[5][1]
    grown = _rss_mb(pid) - before
    assert grown < 100, f"the process grew by {grown:.0f} MB"  # it grew by 1.1 GB before
    assert time.monotonic() - started < 60
    assert [_fetch(url + path)[0] for path in NORMAL_PAGES] == [200] * len(NORMAL_PAGES)
