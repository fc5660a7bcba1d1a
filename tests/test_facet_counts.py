"""The practitioners' facets counted ahead (issue 16): migrations m020 and m024's triggers keep
``practitioner_facet_counts`` equal to a live group-by through every write, and the published
facets read from it are Datasette's own facets, value for value and link for link."""

from __future__ import annotations

import asyncio
import copy
import random

import pytest
from sqlite_utils import Database

from db.migrations import (
    FACET_COUNT_DIMENSIONS,
    PRACTITIONER_ARRAY_FACETS,
    PRACTITIONER_FACETS,
    m028_facet_counts_by_flags,
    migrate,
    open_db,
)
from publish.app import make_datasette, metadata_for
from publish.plugins.facet_counts import summary_cell

DB = "practitioners"
SEEN = "2026-12-01T00:00:00Z"
SPECIALTIES = (None, '["facial acupuncture", "fertility"]', '["fertility"]',
               '["pain", "pain"]')  # a tag twice in one list counts once
# What no linking writes: Datasette's own array facet fails the whole page on the first.
HOSTILE_SPECIALTIES = ("not json", '[null, "pain"]', "")


def _row(rng: random.Random, i: int, *, hostile: bool = False) -> dict:
    return {
        "practitioner_id": f"npi:{1000000000 + i}", "display_name": f"Person {i:03d}",
        "state": rng.choice(["CA", "WA", "TX", None, ""]),
        "standing": rng.choice(["good", "expired", "unverified", None]),
        "license_status": rng.choice(["active", "expired", None]),
        "credentials": rng.choice(["L.Ac.", "Dipl. Ac.", None]),
        "certified": rng.choice([0, 1, None]), "disciplined": rng.choice([0, 1]),
        "excluded": rng.choice([0, 0, 1]),
        "specialties": rng.choice(SPECIALTIES + (HOSTILE_SPECIALTIES if hostile else ())),
        "source": "link", "first_seen_at": SEEN, "last_seen_at": SEEN,
    }


DIMS = FACET_COUNT_DIMENSIONS  # state, standing, license status and the three flags


def _summary(db: Database) -> dict[tuple, int]:
    """(facet, *cell, value) -> n, as the counts hold them."""
    return {tuple(r[:-1]): r[-1] for r in db.execute(
        f"select facet, {', '.join(DIMS)}, value, n from practitioner_facet_counts")}


def _grouped(db: Database) -> dict[tuple, int]:
    """What the summary should hold, grouped live from practitioners (a cell's values as
    text, '' for none, as the counts keep them)."""
    cell = ", ".join(f"ifnull(cast({d} as text), '')" for d in DIMS)
    by = ", ".join(str(i) for i in range(1, len(DIMS) + 1))
    want = {("", *r[:-1], ""): r[-1] for r in db.execute(
        f"select {cell}, count(*) from practitioners group by {by}")}
    for column in PRACTITIONER_FACETS:
        want.update({(column, *r[:-1]): r[-1] for r in db.execute(
            f"select {cell}, {column}, count(*) from practitioners where {column} is not null "
            f"group by {by}, {len(DIMS) + 1}")})
    for column in PRACTITIONER_ARRAY_FACETS:
        want.update({(column, *r[:-1]): r[-1] for r in db.execute(
            f"select {', '.join(f'c{i}' for i in range(len(DIMS)))}, value, count(*) from "
            f"(select distinct p.rowid, "
            + ", ".join(f"ifnull(cast(p.{d} as text), '') as c{i}" for i, d in enumerate(DIMS))
            + f", j.value from practitioners p, json_each(case when json_valid(p.{column}) "
            f"then p.{column} end) j where j.value is not null) group by {by}, "
            f"{len(DIMS) + 1}")})
    return want


def test_the_triggers_keep_the_counts_through_inserts_updates_and_deletes():
    rng = random.Random(16)
    db = Database(memory=True)
    migrate(db)
    db["practitioners"].insert_all([_row(rng, i, hostile=True) for i in range(300)])
    assert _summary(db) == _grouped(db)
    assert any(k[:3] == ("specialties", "CA", "good") and k[-1] == "pain"  # the hostile lists
               for k in _summary(db))  # are in
    for i in range(0, 300, 3):  # as linking rewrites a changed practitioner
        row = _row(rng, i, hostile=True)
        db["practitioners"].update(row.pop("practitioner_id"), row)
    assert _summary(db) == _grouped(db)
    db.execute("update practitioners set last_seen_at = 'x', as_of = 'y'")  # no facet column
    db.execute("update practitioners set state = 'TX' where state = 'CA'")
    db.execute("delete from practitioners where rowid % 4 = 0")
    assert _summary(db) == _grouped(db)
    assert 0 not in _summary(db).values()  # a value nobody has any more is gone
    db.execute("delete from practitioners")
    assert _summary(db) == {}


def test_the_migration_counts_the_practitioners_already_there():
    rng = random.Random(20)
    db = Database(memory=True)
    migrate(db)
    db["practitioners"].insert_all([_row(rng, i, hostile=True) for i in range(200)])
    for name in ("insert", "update", "delete"):
        db.execute(f"drop trigger practitioner_facet_counts_{name}")
    db.execute("delete from practitioner_facet_counts")
    db.execute("update practitioners set license_status = 'expired' where rowid % 5 = 0")
    db.execute("update practitioners set certified = 1 - certified where rowid % 7 = 0")
    m028_facet_counts_by_flags(db)  # recounts by state, standing, license status and the flags
    assert _summary(db) == _grouped(db) != {}


# --- published -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("facets") / f"{DB}.db"
    db = open_db(path)
    db["practitioners"].insert_all([_row(rng, i) for i in range(400)])
    db.conn.close()
    return path


def _live_metadata(path) -> dict:
    """The metadata with Datasette's own facets, grouped live: what the pages showed before."""
    metadata = copy.deepcopy(metadata_for(path))
    table = metadata["databases"][DB]["tables"]["practitioners"]
    table["facets"] = [f["counted"] if "counted" in f else {"array": f["counted_array"]}
                       for f in table["facets"]]
    return metadata


def _facets(path, query: str, *, live: bool = False) -> dict:
    async def go():
        ds = make_datasette(path)
        if live:
            ds._metadata_local = _live_metadata(path)
        await ds.invoke_startup()
        response = await ds.client.get(f"/{DB}/practitioners.json?_size=1&{query}")
        assert response.status_code == 200, response.text
        return response.json()

    data = asyncio.run(go())
    assert not data.get("facets_timed_out")
    return data["facet_results"]


@pytest.mark.parametrize("query", [
    "", "state=CA", "standing=good", "state=WA&standing=expired", "standing=good&state=TX",
    "state=CA&standing=nobody",  # a page with no rows: empty facets, as Datasette's
    "state=CA&license_status=active", "license_status=expired&standing=good",
    "license_status=active&certified=1", "certified=0&disciplined=1&excluded=0",
    "state=TX&excluded=1",
    "state=CA&credentials=L.Ac.", "certified=1.0", "excluded=true",  # grouped live
    "_search=person", "state=CA&_sort=state&_facet_size=2",
])
def test_counted_facets_are_datasettes_own(site, query):
    import json

    counted = _facets(site, query)
    assert set(counted) == {*PRACTITIONER_FACETS, *PRACTITIONER_ARRAY_FACETS}
    # the same but for where a specialty's link leads: the specialty filter (same rows)
    links = [v["toggle_url"] for v in counted["specialties"]["results"]]
    assert all("_specialty=" in link for link in links)
    assert json.loads(json.dumps(counted).replace("_specialty=", "specialties__arraycontains=")
                      ) == _facets(site, query, live=True)


def test_pages_filtered_by_the_cells_read_the_counts_and_their_count_of_rows(site):
    # Counts made wrong on purpose show where each page takes its facets and its count from.
    db = Database(site)
    cell = "state = 'CA' and certified = '1'"
    true = {q: _page(site, q) for q in ("state=CA&certified=1", "certified=1&state=CA")}
    wrong = db.execute("update practitioner_facet_counts set n = n + 1000 where facet = "
                       f"'credentials' and value = 'L.Ac.' and {cell}").rowcount
    rows = db.execute(f"update practitioner_facet_counts set n = n + 1000 where facet = '' "
                      f"and {cell}").rowcount
    db.conn.commit()
    assert wrong and rows
    try:
        def credentials(query):
            return {v["value"]: v["count"] for v in _facets(site, query)["credentials"]["results"]}

        def shown(page):
            return {v["value"]: v["count"] for v in page["facet_results"]["credentials"]["results"]}

        for query, page in true.items():
            assert credentials(query)["L.Ac."] == shown(page)["L.Ac."] + 1000 * wrong
            assert _page(site, query)["filtered_table_rows_count"] == (
                page["filtered_table_rows_count"] + 1000 * rows)
        assert credentials("state=CA&certified=1.0")["L.Ac."] < 1000  # grouped live
        assert credentials("certified=1")["L.Ac."] > 1000 * wrong  # CA's among the rest
        for live in ("state=CA&certified=1&credentials=L.Ac.", "state=CA&certified=1&_where=1",
                     "state=CA&certified=1&certified=1"):
            assert _page(site, live)["filtered_table_rows_count"] < 1000  # counted by SQLite
    finally:
        db.execute("delete from practitioner_facet_counts")
        dims = ", ".join(DIMS)
        db.conn.executemany(f"insert into practitioner_facet_counts (facet, {dims}, value, n) "
                            f"values ({', '.join('?' * (len(DIMS) + 3))})",
                            [(*k, n) for k, n in _grouped(db).items()])
        db.conn.commit()


@pytest.mark.parametrize(("query", "cell"), [
    ([], {}),
    ([("state", "CA"), ("_sort", "city"), ("_next", "x")], {"state": "CA"}),
    ([("standing", "good"), ("state", "WA")], {"standing": "good", "state": "WA"}),
    ([("state", "CA"), ("state", "WA")], None),  # two states: Datasette keeps both filters
    ([("state", "")], None),
    ([("state__exact", "CA")], None),
    ([("_search", "lee")], None),
    ([("_where", "1")], None),
    ([("certified", "1")], {"certified": "1"}),
    ([("excluded", "0"), ("state", "WA")], {"excluded": "0", "state": "WA"}),
    ([("certified", "1.0")], None), ([("disciplined", "")], None),
    ([("credentials", "L.Ac.")], None),
    ([("license_status", "active"), ("_facet", "zip")], {"license_status": "active"}),
    ([("license_status", "active"), ("license_status", "expired")], None),
])
def test_which_pages_the_counts_answer(query, cell):
    assert summary_cell(query) == cell


def test_a_list_that_is_not_json_costs_nothing_but_itself(tmp_path):
    path = tmp_path / f"{DB}.db"
    db = open_db(path)
    rng = random.Random(3)
    db["practitioners"].insert_all([_row(rng, i) for i in range(50)])
    db["practitioners"].insert_all([
        {**_row(rng, 100 + i), "state": "CA", "standing": "good", "specialties": value}
        for i, value in enumerate(HOSTILE_SPECIALTIES)])
    db.conn.close()
    for query in ("", "state=CA", "state=CA&certified=1"):  # counted, then live
        specialties = _facets(path, query)["specialties"]["results"]
        assert {v["value"] for v in specialties} <= {"facial acupuncture", "fertility", "pain"}


# --- one specialty's pages (?_specialty=, migration m025) -------------------------------------

def _specialty_rows(db: Database) -> set[tuple]:
    return {tuple(r) for r in db.execute(
        "select specialty, practitioner_id from practitioner_specialties")}


def _specialty_summary(db: Database, dims: tuple[str, ...] = DIMS) -> dict[tuple, int]:
    return {tuple(r[:-1]): r[-1] for r in db.execute(
        f"select specialty, {', '.join(dims)}, facet, value, n "
        "from practitioner_specialty_facet_counts")}


def _specialties_grouped(db: Database, dims: tuple[str, ...] = DIMS
                         ) -> tuple[set[tuple], dict[tuple, int]]:
    """What m025's tables should hold (with the cells of m029, or ``dims``), from the
    practitioners' lists as Python reads them."""
    import json

    rows, counts = set(), {}
    for p in db.execute("select * from practitioners").fetchall():
        record = dict(zip([d[0] for d in db.execute("select * from practitioners limit 0")
                           .description], p, strict=True))
        try:
            listed = json.loads(record["specialties"]) if record["specialties"] else None
        except ValueError:
            listed = None
        tags = {t for t in listed if isinstance(t, str)} if isinstance(listed, list) else set()
        values = [("", "")] + [(c, record[c]) for c in PRACTITIONER_FACETS
                               if record[c] is not None]
        values += [("specialties", t) for t in {t for t in (listed if isinstance(listed, list)
                                                             else []) if t is not None}]
        cell = tuple("" if record[d] is None else str(record[d]) for d in dims)
        for tag in tags:
            rows.add((tag, record["practitioner_id"]))
            for facet, value in values:
                key = (tag, *cell, facet, value)
                counts[key] = counts.get(key, 0) + 1
    return rows, counts


def test_the_specialties_and_their_counts_follow_every_write():
    rng = random.Random(25)
    db = Database(memory=True)
    migrate(db)
    db["practitioners"].insert_all([_row(rng, i, hostile=True) for i in range(300)])
    rows, counts = _specialties_grouped(db)
    assert rows and (_specialty_rows(db), _specialty_summary(db)) == (rows, counts)
    for i in range(0, 300, 3):
        row = _row(rng, i, hostile=True)
        db["practitioners"].update(row.pop("practitioner_id"), row)
    db.execute("update practitioners set state = 'TX' where state = 'CA'")
    db.execute("update practitioners set standing = 'good' where rowid % 5 = 0")
    db.execute("update practitioners set practitioner_id = practitioner_id || 'x' "
               "where rowid % 7 = 0")  # a practitioner's id changed by linking
    db.execute("delete from practitioners where rowid % 4 = 0")
    assert (_specialty_rows(db), _specialty_summary(db)) == _specialties_grouped(db)
    assert 0 not in _specialty_summary(db).values()
    db.execute("delete from practitioners")
    assert _specialty_rows(db) == set() and _specialty_summary(db) == {}


def test_m025_lists_the_practitioners_already_there():
    from db.migrations import m025_practitioner_specialties

    rng = random.Random(26)
    db = Database(memory=True)
    migrate(db)
    db["practitioners"].insert_all([_row(rng, i, hostile=True) for i in range(200)])
    for name in ("insert", "update", "delete"):
        db.execute(f"drop trigger practitioner_specialties_{name}")
    db.execute("drop table practitioner_specialties")
    db.execute("drop table practitioner_specialty_facet_counts")
    m025_practitioner_specialties(db)
    two = ("state", "standing")
    assert (_specialty_rows(db), _specialty_summary(db, two)) == _specialties_grouped(db, two)


def test_m029_counts_them_by_every_cell():
    from db.migrations import m029_specialty_counts_by_every_cell

    rng = random.Random(29)
    db = Database(memory=True)
    migrate(db)
    db["practitioners"].insert_all([_row(rng, i, hostile=True) for i in range(200)])
    db.execute("drop trigger practitioner_specialties_update")
    db.execute("update practitioners set certified = 1, license_status = 'expired' "
               "where rowid % 3 = 0")  # not counted: m029 counts again
    m029_specialty_counts_by_every_cell(db)
    assert (_specialty_rows(db), _specialty_summary(db)) == _specialties_grouped(db)
    assert any(k[4] == "1" for k in _specialty_summary(db))  # certified, as the text "1"
    db.execute("update practitioners set disciplined = 1 - disciplined where rowid % 2 = 0")
    assert (_specialty_rows(db), _specialty_summary(db)) == _specialties_grouped(db)


def _page(path, query: str, *, live: bool = False) -> dict:
    async def go():
        ds = make_datasette(path)
        if live:
            ds._metadata_local = _live_metadata(path)
        await ds.invoke_startup()
        response = await ds.client.get(
            f"/{DB}/practitioners.json?_size=max&_shape=objects&{query}")
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(go())


def _counts(facets: dict) -> dict:
    return {name: [(v["value"], v["count"]) for v in facet["results"]]
            for name, facet in facets.items()}


@pytest.mark.parametrize("specialty, also", [
    ("fertility", ""), ("facial acupuncture", ""), ("pain", "&state=CA"),
    ("pain", "&standing=good"), ("facial acupuncture", "&standing=good&state=WA"),
    ("fertility", "&state="), ("pain", "&license_status=active"),  # grouped live
    ("nobody's", ""),
])
def test_a_specialtys_page_is_the_array_filters_page(site, specialty, also):
    from urllib.parse import quote_plus

    ours = _page(site, f"_specialty={quote_plus(specialty)}{also}")
    theirs = _page(site, f"specialties__arraycontains={quote_plus(specialty)}{also}", live=True)
    assert [r["practitioner_id"] for r in ours["rows"]] == [
        r["practitioner_id"] for r in theirs["rows"]]
    assert ours["filtered_table_rows_count"] == theirs["filtered_table_rows_count"]
    assert _counts(ours["facet_results"]) == _counts(theirs["facet_results"])
    # the specialties facet links to the filter it is on, and back
    chosen = [v for v in ours["facet_results"]["specialties"]["results"] if v["selected"]]
    assert [v["value"] for v in chosen] == ([specialty] if ours["rows"] else [])


def test_a_specialtys_page_walks_the_index_or_reads_the_list_whichever_reads_fewer(site):
    from publish.plugins.facet_counts import _walk_the_index

    async def walk(cell):
        ds = make_datasette(site)
        await ds.invoke_startup()
        return await _walk_the_index(ds.get_database(DB), cell)

    db = Database(site)
    listing = {s: n for s, n in db.execute(
        "select specialty, count(*) from practitioner_specialties group by 1")}
    assert listing["fertility"] > 100 and listing["pain"] > 50
    assert asyncio.run(walk({"_specialty": "fertility"}))  # a third of the rows list it
    assert asyncio.run(walk({"_specialty": "pain", "state": "CA", "standing": "good"}))
    assert not asyncio.run(walk({"_specialty": "nobody's"}))  # nobody lists it: read the list
    db.execute("insert into practitioners (practitioner_id, display_name, specialties, source, "
               "first_seen_at, last_seen_at) values ('npi:1999999999', 'Rare', "
               "'[\"rare\"]', 'link', 'x', 'x')")
    db.conn.commit()
    try:
        assert not asyncio.run(walk({"_specialty": "rare"}))  # one of 401: read the one
        assert [r["display_name"] for r in _page(site, "_specialty=rare")["rows"]] == ["Rare"]
    finally:
        db.execute("delete from practitioners where practitioner_id = 'npi:1999999999'")
        db.conn.commit()


@pytest.mark.parametrize("query", ["_specialty=fertility", "_specialty=pain&state=CA",
                                   "_specialty=pain&standing=good&_sort_desc=display_name"])
def test_a_specialtys_pages_one_after_another_are_the_array_filters(site, query):
    """Walked page by page (?_next=), as a person reads them."""
    def walk(query, live):
        async def go():
            ds = make_datasette(site)
            if live:
                ds._metadata_local = _live_metadata(site)
            await ds.invoke_startup()
            seen, path = [], f"/{DB}/practitioners.json?_size=7&_shape=objects&{query}"
            while path:
                data = (await ds.client.get(path)).json()
                seen += [r["practitioner_id"] for r in data["rows"]]
                path = data["next_url"] and data["next_url"].split("localhost", 1)[-1]
            return seen
        return asyncio.run(go())

    ours = walk(query, live=False)
    assert len(ours) > 14  # three pages at least
    assert ours == walk(query.replace("_specialty=", "specialties__arraycontains="), live=True)


def test_a_specialtys_page_reads_the_counts_by_specialty_and_cell(site):
    # Counts made wrong on purpose show where each page takes its facets and count from.
    true = {q: _page(site, q) for q in ("_specialty=fertility&state=CA&standing=good",
                                        "_specialty=fertility&state=CA&certified=1")}
    db = Database(site)
    cell = "specialty = 'fertility' and state = 'CA'"
    wrong = db.execute("update practitioner_specialty_facet_counts set n = n + 1000 where "
                       f"{cell} and standing = 'good' and facet = 'credentials' and value = "
                       "'L.Ac.'").rowcount
    rows = db.execute("update practitioner_specialty_facet_counts set n = n + 1000 where "
                      f"{cell} and certified = '1' and facet = ''").rowcount
    db.conn.commit()
    assert wrong and rows
    try:
        def credentials(query):
            return {v["value"]: v["count"] for v in
                    _page(site, query)["facet_results"]["credentials"]["results"]}

        good, certified = true.values()
        assert credentials("_specialty=fertility&state=CA&standing=good")["L.Ac."] == {
            v["value"]: v["count"] for v in good["facet_results"]["credentials"]["results"]
        }["L.Ac."] + 1000 * wrong
        assert credentials("_specialty=fertility&state=CA")["L.Ac."] > 1000 * wrong
        assert _page(site, "_specialty=fertility&state=CA&certified=1")[
            "filtered_table_rows_count"] == certified["filtered_table_rows_count"] + 1000 * rows
        assert credentials("_specialty=fertility&state=CA&standing=good&credentials=L.Ac."
                           ).get("L.Ac.", 0) < 1000  # grouped live
    finally:
        db.execute("delete from practitioner_specialty_facet_counts")
        _, counts = _specialties_grouped(db)
        db.conn.executemany("insert into practitioner_specialty_facet_counts values "
                            f"({', '.join('?' * (len(DIMS) + 4))})",
                            [(*k, n) for k, n in counts.items()])
        db.conn.commit()


@pytest.mark.parametrize(("query", "cell"), [
    ([("_specialty", "pain")], {"_specialty": "pain"}),
    ([("_specialty", "pain"), ("state", "CA")], {"_specialty": "pain", "state": "CA"}),
    ([("_specialty", "pain"), ("standing", "good")], {"_specialty": "pain", "standing": "good"}),
    ([("_specialty", "pain"), ("license_status", "active")],
     {"_specialty": "pain", "license_status": "active"}),
    ([("_specialty", "pain"), ("credentials", "L.Ac.")], None),
    ([("_specialty", "pain"), ("_specialty", "fertility")], None),
    ([("_specialty", "")], {"_specialty": ""}),  # "" may be listed, as Datasette filters it
])
def test_which_specialty_pages_the_counts_answer(query, cell):
    assert summary_cell(query) == cell


def test_a_database_from_before_m025_reads_the_lists_instead(site, tmp_path):
    import shutil

    old = tmp_path / f"{DB}.db"
    shutil.copy(site, old)
    db = Database(old)
    for name in ("insert", "update", "delete"):
        db.execute(f"drop trigger practitioner_specialties_{name}")
    db.execute("drop table practitioner_specialties")
    db.execute("drop table practitioner_specialty_facet_counts")
    db.conn.commit()
    db.conn.close()
    for query in ("_specialty=fertility", "_specialty=pain&state=CA"):
        before, now = _page(old, query), _page(site, query)
        assert [r["practitioner_id"] for r in before["rows"]] == [
            r["practitioner_id"] for r in now["rows"]] != []
        assert _counts(before["facet_results"]) == _counts(now["facet_results"])


def test_empty_and_nested_items_filter_as_datasettes_array_filter(tmp_path):
    """A list may hold "" or an object: the facet shows them, so their links must filter as
    Datasette's array filter does (issue 16 review)."""
    from urllib.parse import quote_plus

    path = tmp_path / f"{DB}.db"
    db = open_db(path)
    rng = random.Random(9)
    lists = ['["pain", ""]', '[{"a": "pain"}, ["pain"]]', '["pain"]', '[5, "5"]', None]
    db["practitioners"].insert_all([{**_row(rng, i), "specialties": lists[i % len(lists)]}
                                    for i in range(40)])
    db.conn.close()
    for value in ("", '{"a":"pain"}', '["pain"]', "pain", "5"):
        ours = _page(path, f"_specialty={quote_plus(value)}")
        theirs = _page(path, f"specialties__arraycontains={quote_plus(value)}", live=True)
        assert [r["practitioner_id"] for r in ours["rows"]] == [
            r["practitioner_id"] for r in theirs["rows"]], value
        assert _counts(ours["facet_results"]) == _counts(theirs["facet_results"]), value
    facet = _page(path, "")["facet_results"]["specialties"]["results"]
    assert {v["value"] for v in facet} >= {"", '{"a":"pain"}', '["pain"]'}


def test_a_link_to_datasettes_array_filter_shows_its_value_chosen(site):
    specialties = _page(site, "specialties__arraycontains=fertility")["facet_results"][
        "specialties"]["results"]
    (chosen,) = [v for v in specialties if v["selected"]]
    assert chosen["value"] == "fertility"
    assert "arraycontains" not in chosen["toggle_url"] and "_specialty" not in chosen[
        "toggle_url"]  # the link takes the filter off


def test_every_practitioner_is_on_one_page_however_many_share_a_name(tmp_path):
    """Datasette 0.65 sorts the first page by the column alone and the next by the column and
    the key: without the key on the first page too, ties were on two pages or on none."""
    rng = random.Random(31)
    path = tmp_path / f"{DB}.db"
    db = open_db(path)
    rows = [_row(rng, i) for i in range(300)]
    rng.shuffle(rows)  # the rowid order is not the key's
    for row in rows:
        row["display_name"] = f"Person {rng.randrange(40):02d}"  # about 8 a name
        row["standing"] = "good"
    db["practitioners"].insert_all(rows)
    db.execute("analyze")
    db.conn.commit()
    db.conn.close()

    async def walk(query):
        ds = make_datasette(path)
        await ds.invoke_startup()
        seen, url = [], f"/{DB}/practitioners.json?_shape=objects&{query}"
        while url:
            data = (await ds.client.get(url)).json()
            seen += [(r["display_name"], r["practitioner_id"]) for r in data["rows"]]
            url = data["next_url"] and data["next_url"].split("localhost", 1)[-1]
        return seen

    for query in ("", "standing=good", "_sort_desc=display_name", "_specialty=fertility"):
        seen = asyncio.run(walk(query))
        assert len(seen) == len(set(seen)) > 25, query  # each once, over pages
        expected = len(rows) if "specialty" not in query else len(
            [r for r in rows if "fertility" in (r["specialties"] or "")])
        assert len(seen) == expected, query
        ordered = sorted(seen, key=lambda r: r[1])
        ordered.sort(key=lambda r: r[0], reverse="desc" in query)
        assert seen == ordered, query  # by name, ties by id, as the next pages sort them


def test_a_practitioner_without_an_id_lists_no_specialty_in_the_counts():
    db = Database(memory=True)
    migrate(db)
    db.execute("insert into practitioners (practitioner_id, display_name, specialties, source, "
               "first_seen_at, last_seen_at) values (null, 'No id', '[\"pain\"]', 'link', 'x', "
               "'x')")
    assert _specialty_rows(db) == set() and _specialty_summary(db) == {}

