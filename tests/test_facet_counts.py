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
    PRACTITIONER_ARRAY_FACETS,
    PRACTITIONER_FACETS,
    m024_facet_counts_by_license_status,
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


def _summary(db: Database) -> dict[tuple, int]:
    return {tuple(r[:5]): r[5] for r in db.execute(
        "select facet, state, standing, license_status, value, n from practitioner_facet_counts")}


def _grouped(db: Database) -> dict[tuple, int]:
    """What the summary should hold, grouped live from practitioners."""
    cell = "ifnull(state, '') as st, ifnull(standing, '') as sd, ifnull(license_status, '') as ls"
    want = {("", st, sd, ls, ""): n for st, sd, ls, n in db.execute(
        f"select {cell}, count(*) from practitioners group by 1, 2, 3")}
    for column in PRACTITIONER_FACETS:
        want.update({(column, st, sd, ls, v): n for st, sd, ls, v, n in db.execute(
            f"select {cell}, {column}, count(*) from practitioners where {column} is not null "
            "group by 1, 2, 3, 4")})
    for column in PRACTITIONER_ARRAY_FACETS:
        want.update({(column, st, sd, ls, v): n for st, sd, ls, v, n in db.execute(
            f"select st, sd, ls, value, count(*) from (select distinct p.rowid, {cell}, j.value "
            f"from practitioners p, json_each(case when json_valid(p.{column}) then p.{column} "
            "end) j where j.value is not null) group by 1, 2, 3, 4")})
    return want


def test_the_triggers_keep_the_counts_through_inserts_updates_and_deletes():
    rng = random.Random(16)
    db = Database(memory=True)
    migrate(db)
    db["practitioners"].insert_all([_row(rng, i, hostile=True) for i in range(300)])
    assert _summary(db) == _grouped(db)
    assert any(k[:3] == ("specialties", "CA", "good") and k[4] == "pain"  # the hostile lists
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
    m024_facet_counts_by_license_status(db)  # recounts by state, standing and license status
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
    "state=CA&credentials=L.Ac.", "license_status=active&certified=1",  # grouped live
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


def test_pages_filtered_by_state_standing_and_license_status_read_the_counts(site):
    # A count made wrong on purpose shows where each page takes its facets from.
    db = Database(site)
    db.execute("update practitioner_facet_counts set n = 999 where facet = 'credentials' "
               "and state = 'CA' and standing = 'good' and license_status = 'active' "
               "and value = 'L.Ac.'")
    db.conn.commit()
    try:
        def credentials(query):
            return {v["value"]: v["count"] for v in _facets(site, query)["credentials"]["results"]}

        assert credentials("state=CA&standing=good&license_status=active")["L.Ac."] == 999
        assert credentials("license_status=active&state=CA&standing=good")["L.Ac."] == 999
        assert credentials("state=CA&standing=good")["L.Ac."] > 999
        assert credentials("license_status=active")["L.Ac."] > 999
        assert credentials("state=CA&standing=good&license_status=active&disciplined=0")[
            "L.Ac."] < 999  # grouped live
    finally:
        db.execute("delete from practitioner_facet_counts")
        db.conn.executemany("insert into practitioner_facet_counts (facet, state, standing, "
                            "license_status, value, n) values (?, ?, ?, ?, ?, ?)",
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
    ([("certified", "1")], None),
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


def _specialty_summary(db: Database) -> dict[tuple, int]:
    return {tuple(r[:5]): r[5] for r in db.execute(
        "select specialty, state, standing, facet, value, n "
        "from practitioner_specialty_facet_counts")}


def _specialties_grouped(db: Database) -> tuple[set[tuple], dict[tuple, int]]:
    """What m025's tables should hold, from the practitioners' lists as Python reads them."""
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
        for tag in tags:
            rows.add((tag, record["practitioner_id"]))
            for facet, value in values:
                key = (tag, record["state"] or "", record["standing"] or "", facet, value)
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


def test_a_specialtys_page_reads_the_counts_by_specialty_state_and_standing(site):
    db = Database(site)
    db.execute("update practitioner_specialty_facet_counts set n = 999 where specialty = "
               "'fertility' and state = 'CA' and standing = 'good' and facet = 'credentials' "
               "and value = 'L.Ac.'")
    db.conn.commit()
    try:
        def credentials(query):
            return {v["value"]: v["count"] for v in
                    _page(site, query)["facet_results"]["credentials"]["results"]}

        assert credentials("_specialty=fertility&state=CA&standing=good")["L.Ac."] == 999
        assert credentials("_specialty=fertility&state=CA")["L.Ac."] > 999
        assert credentials("_specialty=fertility&standing=good")["L.Ac."] > 999
        assert credentials("_specialty=fertility&state=CA&standing=good&license_status=active"
                           ).get("L.Ac.", 0) < 999  # grouped live
    finally:
        db.execute("delete from practitioner_specialty_facet_counts")
        _, counts = _specialties_grouped(db)
        db.conn.executemany("insert into practitioner_specialty_facet_counts values "
                            "(?, ?, ?, ?, ?, ?)", [(*k, n) for k, n in counts.items()])
        db.conn.commit()


@pytest.mark.parametrize(("query", "cell"), [
    ([("_specialty", "pain")], {"_specialty": "pain"}),
    ([("_specialty", "pain"), ("state", "CA")], {"_specialty": "pain", "state": "CA"}),
    ([("_specialty", "pain"), ("standing", "good")], {"_specialty": "pain", "standing": "good"}),
    ([("_specialty", "pain"), ("license_status", "active")], None),
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
