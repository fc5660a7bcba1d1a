"""The practitioner page: one person and every record that speaks of them, with its source.

On the row page of ``practitioners`` (whatever the database is called), ``extra_template_vars``
gives the template ``practitioner`` (the row) and ``practitioner_sources``: one entry per row of
``practitioner_links`` with the linked record (a provider, a license, an exclusion...), the
rule, confidence and explanation of the link, the record's source, its source URL and the time a
run last saw it there. ``templates/row.html`` shows them; every value goes through Jinja's
autoescaping, and only http(s) source URLs become links.

It also gives ``practitioner_certifications`` (the NCCAOM listings linked to the person: their
certificates, status and profile link, as of the run that last saw them) and
``practitioner_specialties`` (one entry per row of ``specialty_tags``: the tag, the words that
claim it, where they were read, the page that says it and when it was tagged). Specialties are
self-reported: no board records them, and the page says so.

At the top of the page, ``practitioner_standing``: the practitioner's good standing as linking
computed it (``scraper/standing.py``: the label, the sentence that says why, with the board,
and the day it was checked), with the boards' own pages where anyone can check each live
license (``licenses.verify_url``, http(s) only), or, for a practitioner no board license is
linked to, the lookup page of their state's board (``coverage.verify_url``).

Each specialty has the anchor ``specialty_anchor(tag)`` (``specialty-facial-acupuncture``), so
that another page can link to the sentence that claims it.

And ``practitioner_timelines``: for each linked board license and OIG exclusion, its status
over time as our runs saw it: first seen (with the status it had then), each change of its
status, expiry or reinstatement from ``changes`` with the run that saw it, the discipline cases
listed against a license, and when the source stopped (or started again) listing it.

``render_cell`` turns a practitioner_id in a query's results (the canned queries) or in
``practitioner_links`` into a link to that practitioner's page, a run_id in a query's results
into a link to that run in ``scrape_runs``, and an http(s) evidence_url into a link that passes
no ranking and no referrer to the practice's site.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils import tilde_encode, urlsafe_components
from markupsafe import Markup, escape

from scraper.specialties import specialty_anchor
from scraper.standing import LABELS

PRACTITIONERS = "practitioners"
LINKS = "practitioner_links"
TAGS = "specialty_tags"
# Where a specialty claim was read, by specialty_tags.record_table.
READ_IN = {"certifications": "an NCCAOM profile", "websites": "the practice's website"}
# Columns of the claim's record that hold an address, when the evidence URL cannot give the host.
RECORD_URLS = ("final_url", "url", "profile_url")
EXTERNAL_REL = "nofollow noopener noreferrer"
ID_PREFIXES = ("npi:", "lic:", "exc:", "ncc:")
# What to show of each kind of linked record, as (column, label); other tables show their source.
FACTS = {
    "providers": [("npi", "NPI"), ("display_name", "Name"), ("credential", "Credential"),
                  ("primary_taxonomy", "Taxonomy"), ("license_states", "Licenses reported in"),
                  ("city", "City"), ("state", "State"), ("status", "NPI status"),
                  ("updated_on", "Updated in NPPES on")],
    "licenses": [("jurisdiction", "State"), ("license_type", "License type"),
                 ("license_number", "License number"), ("display_name", "Name"),
                 ("status", "Status (board's words)"), ("status_normalized", "Status"),
                 ("issued_on", "Issued on"), ("expires_on", "Expires on"),
                 ("disciplined", "Discipline reported")],
    "certifications": [("name", "Name"), ("certificates", "NCCAOM certificates"),
                       ("status", "Status"), ("phone", "Phone"), ("website", "Website"),
                       ("city", "City"), ("state", "State"),
                       ("conditions", "Conditions treated (self-reported)")],
    "exclusions": [("display_name", "Name"), ("npi", "NPI"), ("exclusion_type", "Exclusion type"),
                   ("excluded_on", "Excluded on"), ("status", "Status"),
                   ("reinstated_on", "Reinstated on"), ("city", "City"), ("state", "State")],
}
RECORD_ORDER = {"providers": 0, "licenses": 1, "certifications": 2, "exclusions": 3}
# The columns whose changes make a record's status history, with the words the page uses; a
# change of gone_at is the source no longer listing the record (or listing it again).
HISTORY = {
    "licenses": {"status_normalized": "status", "status": "status in the board's words",
                 "expires_on": "expiry date", "disciplined": "discipline reported"},
    "exclusions": {"status": "exclusion status", "reinstated_on": "reinstatement date",
                   "waiver_on": "waiver date"},
    "disciplinary_actions": {"action": "action", "effective_on": "effective date",
                             "case_number": "case number"},
}
GONE = {"licenses": ("no longer listed by the board", "listed by the board again"),
        "exclusions": ("no longer on the exclusion list", "on the exclusion list again"),
        "disciplinary_actions": ("discipline case no longer listed",
                                 "discipline case listed again")}
# The practitioner's own fields, in the order a person reads them.
FIELDS = [("credentials", "Credentials"), ("practice_name", "Practice"), ("address", "Address"),
          ("city", "City"), ("state", "State"), ("zip", "ZIP"), ("phone", "Phone"),
          ("npi", "NPI"), ("license_status", "License status"),
          ("license_expires_on", "License expires on"), ("licensed_states", "Licensed in"),
          ("reported_license_states", "Licenses reported to NPPES in"),
          ("certified", "NCCAOM (now NCBAHM) certified"), ("disciplined", "Discipline reported"),
          ("excluded", "Excluded from federal programs"), ("specialties", "Specialties"),
          ("sources", "Sources"), ("as_of", "As of")]


def safe_url(value) -> str | None:
    """A scraped URL fit for an href: http(s) only (never javascript: or data:)."""
    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        return value
    return None


def host_of(value, *, with_port: bool = False) -> str | None:
    """The host of an http(s) URL, for "read at www.example.com" (never a user name before an
    @, which could pass for the host); None when there is none or the URL cannot be read."""
    href = safe_url(value)
    if href is None:
        return None
    try:
        parts = urlsplit(href)
        host = parts.netloc.rpartition("@")[2] if with_port else parts.hostname
    except ValueError:  # "http://[::1" and other addresses no parser can read
        return None
    return host or None


FLAGS = {"certified", "disciplined", "excluded"}
JSON_LISTS = {"specialties"}


def _readable(column: str, value):
    if column in FLAGS:
        return {1: "yes", 0: "no"}.get(value, value)
    if column in JSON_LISTS:
        try:
            items = json.loads(value)
        except (TypeError, ValueError):
            return value
        return ", ".join(map(str, items)) if isinstance(items, list) else value
    return value


def _facts(row: dict, columns: list[tuple[str, str]]) -> list[tuple[str, object]]:
    """(label, value) for the columns that hold something; 0/1 flags read as no/yes and JSON
    lists as a comma-separated list."""
    return [(label, _readable(column, row[column])) for column, label in columns
            if row.get(column) not in (None, "")]


async def _records(db, table: str, ids: list[str]) -> dict[str, dict]:
    """The rows of `table` whose single-column primary key is in `ids`, by key."""
    if not ids or not await db.table_exists(table):
        return {}
    pks = await db.primary_keys(table)
    if len(pks) != 1:
        return {}
    rows = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        result = await db.execute(
            f"select * from [{table}] where [{pks[0]}] in ({marks})", chunk)
        rows.update({str(row[pks[0]]): dict(row) for row in result.rows})
    return rows


async def _discipline(db, license_ids: list[str]) -> dict[str, list[dict]]:
    if not license_ids or not await db.table_exists("disciplinary_actions"):
        return {}
    marks = ", ".join("?" for _ in license_ids)
    result = await db.execute(
        "select license_id, case_number, action, effective_on from disciplinary_actions "
        f"where license_id in ({marks}) and gone_at is null order by effective_on desc",
        license_ids)
    actions: dict[str, list[dict]] = {}
    for row in result.rows:
        actions.setdefault(row["license_id"], []).append(dict(row))
    return actions


def _certifications(datasette, database: str, links: list[dict],
                    records: dict[str, dict]) -> list[dict]:
    """The NCCAOM listings linked to the practitioner, with the link that joined them."""
    certifications = []
    for link in links:
        record = records.get(link["record_id"]) if link["record_table"] == "certifications" \
            else None
        if record is None:
            continue
        href = safe_url(record.get("profile_url"))
        certifications.append({
            **record,
            "rule": link["rule"],
            "confidence": link["confidence"],
            "profile_href": href,
            "profile_host": host_of(href),
            "record_url": datasette.urls.row(database, "certifications",
                                             tilde_encode(link["record_id"])),
        })
    return certifications


async def _specialties(datasette, db, database: str, practitioner_id: str) -> list[dict]:
    """The practitioner's specialty_tags, each with where it was read and the page saying it."""
    if not await db.table_exists(TAGS):
        return []
    tags = [dict(r) for r in (await db.execute(
        f"select * from {TAGS} where practitioner_id = ? order by tag, record_table, record_id",
        [practitioner_id])).rows]
    records: dict[str, dict[str, dict]] = {}
    for table in {tag["record_table"] for tag in tags if tag["record_table"]}:
        records[table] = await _records(
            db, table, [tag["record_id"] for tag in tags if tag["record_table"] == table])
    specialties = []
    anchors: set[str] = set()
    for tag in tags:
        table = tag["record_table"]
        name = specialty_anchor(tag["tag"] or "")
        anchor = None if name in anchors else name  # one id a tag, on its first claim
        anchors.add(name)
        record = records.get(table, {}).get(tag["record_id"])
        href = safe_url(tag["evidence_url"])
        host = host_of(href) or next(
            (h for h in (host_of((record or {}).get(c)) for c in RECORD_URLS) if h), None)
        specialties.append({
            **tag,
            "anchor": anchor,
            "read_in": READ_IN.get(table) or f"a record in {table or 'an unknown table'}",
            "host": host,
            "evidence_href": href,
            "record_url": datasette.urls.row(database, table, tilde_encode(tag["record_id"]))
            if record else None,
        })
    return specialties


async def _changes(db, table: str, ids: list[str]) -> dict[str, list[dict]]:
    """The history columns' changes of these records of ``table``, oldest first, by record."""
    if not ids or not await db.table_exists("changes"):
        return {}
    columns = [*HISTORY[table], "gone_at"]
    result = await db.execute(
        "select id, record_id, column_name, old_value, new_value, run_id, changed_at "
        "from changes where table_name = ? "
        f"and column_name in ({', '.join('?' for _ in columns)}) "
        f"and record_id in ({', '.join('?' for _ in ids)}) order by changed_at, id",
        [table, *columns, *ids])
    changes: dict[str, list[dict]] = {}
    for row in result.rows:
        changes.setdefault(row["record_id"], []).append(dict(row))
    return changes


def _shown(column: str, value):
    if value is None or value == "":
        return "none"
    return {"0": "no", "1": "yes"}.get(value, value) if column == "disciplined" else value


def _change_events(datasette, database: str, table: str, record: dict,
                   changes: list[dict]) -> list[dict]:
    """One event per change; the record's gone_at too when no change says when it went."""
    events = []
    for change in changes:
        run_id = change["run_id"]
        event = {"at": change["changed_at"], "order": 2, "seq": change["id"],
                 "field": change["column_name"], "run_id": run_id,
                 "run_url": None if run_id is None
                 else datasette.urls.row(database, "scrape_runs", str(run_id))}
        if change["column_name"] == "gone_at":
            gone = change["new_value"] is not None
            event.update(what="gone" if gone else "back", text=GONE[table][0 if gone else 1])
        else:
            event.update(what="change", label=HISTORY[table][change["column_name"]],
                         old=_shown(change["column_name"], change["old_value"]),
                         new=_shown(change["column_name"], change["new_value"]))
        events.append(event)
    if record.get("gone_at") and not any(
            c["column_name"] == "gone_at" and c["new_value"] == record["gone_at"]
            for c in changes):
        events.append({"at": record["gone_at"], "order": 3, "seq": 0, "what": "gone",
                       "field": "gone_at", "text": GONE[table][0], "run_id": None,
                       "run_url": None})
    return events


def _first(record: dict, changes: list[dict], column: str):
    """What ``column`` held when the record was first seen: the value its oldest change
    replaced, or the current value when it never changed."""
    olds = [c["old_value"] for c in changes if c["column_name"] == column]
    return olds[0] if olds else record.get(column)


def _first_seen(record: dict, text: str, *, what: str = "first-seen") -> list[dict]:
    """The event of a record's first sighting (no run: the record does not keep which)."""
    if not record.get("first_seen_at"):
        return []
    return [{"at": record["first_seen_at"], "order": 0 if what == "first-seen" else 1,
             "seq": 0, "what": what, "field": None, "text": text, "run_id": None,
             "run_url": None}]


def _in_time(event: dict) -> tuple:
    return event["at"] or "", event["order"], event["seq"]


async def _timelines(datasette, db, database: str, links: list[dict],
                     records: dict[str, dict[str, dict]]) -> list[dict]:
    """The status history of each linked license (with its discipline cases) and exclusion."""
    licenses = [r for link in links if link["record_table"] == "licenses"
                if (r := records.get("licenses", {}).get(link["record_id"]))]
    exclusions = [r for link in links if link["record_table"] == "exclusions"
                  if (r := records.get("exclusions", {}).get(link["record_id"]))]
    cases: dict[str, list[dict]] = {}
    if licenses and await db.table_exists("disciplinary_actions"):
        ids = [r["license_id"] for r in licenses]
        result = await db.execute(
            "select * from disciplinary_actions "
            f"where license_id in ({', '.join('?' for _ in ids)}) order by first_seen_at",
            ids)
        for row in result.rows:
            cases.setdefault(row["license_id"], []).append(dict(row))
    license_changes = await _changes(db, "licenses", [r["license_id"] for r in licenses])
    case_changes = await _changes(db, "disciplinary_actions",
                                  [a["action_id"] for c in cases.values() for a in c])
    exclusion_changes = await _changes(db, "exclusions", [r["exclusion_id"] for r in exclusions])

    timelines = []
    for license in licenses:
        key = license["license_id"]
        changes = license_changes.get(key, [])
        status = _first(license, changes, "status_normalized")
        words = _first(license, changes, "status")
        events = _first_seen(license, f"first seen, status {_shown('status', status)}"
                             + (f" (the board's words: {words})" if words else ""))
        events += _change_events(datasette, database, "licenses", license, changes)
        for case in cases.get(key, []):
            detail = case["action"] or "action not given"
            if case["case_number"]:
                detail += f" (case {case['case_number']})"
            if case["effective_on"]:
                detail += f", effective {case['effective_on']}"
            events += _first_seen(case, f"discipline case listed: {detail}", what="case")
            events += _change_events(datasette, database, "disciplinary_actions", case,
                                     case_changes.get(case["action_id"], []))
        timelines.append({
            "record_table": "licenses", "record_id": key,
            "title": f"{license['jurisdiction']} license {license['license_number']}"
            + (f" ({license['license_type']})" if license.get("license_type") else ""),
            "record_url": datasette.urls.row(database, "licenses", tilde_encode(key)),
            "events": sorted(events, key=_in_time),
        })
    for exclusion in exclusions:
        key = exclusion["exclusion_id"]
        changes = exclusion_changes.get(key, [])
        events = _first_seen(exclusion, "first seen on the exclusion list, status "
                             + _shown("status", _first(exclusion, changes, "status")))
        events += _change_events(datasette, database, "exclusions", exclusion, changes)
        title = "OIG exclusion"
        if exclusion.get("exclusion_type"):
            title += f" under section {exclusion['exclusion_type']}"
        if exclusion.get("excluded_on"):
            title += f" from {exclusion['excluded_on']}"
        timelines.append({
            "record_table": "exclusions", "record_id": key, "title": title,
            "record_url": datasette.urls.row(database, "exclusions", tilde_encode(key)),
            "events": sorted(events, key=_in_time),
        })
    return timelines


async def _standing(db, practitioner: dict, sources: list[dict]) -> dict:
    """The practitioner's standing, said in words, with where to check it on the board's site:
    each live linked license's own page (one link a page), else the lookup of the state's
    board."""
    level = practitioner.get("standing")
    verify: list[dict] = []
    for source in sources:
        record = source.get("record") or {}
        href = source.get("verify_href")
        if source["record_table"] != "licenses" or not href or record.get("gone_at") \
                or href in [v["href"] for v in verify]:
            continue
        verify.append({"href": href, "host": source.get("verify_host") or href,
                       "what": f"{record.get('jurisdiction')} license "
                               f"{record.get('license_number')}"})
    state = practitioner.get("state")
    if not verify and state and await db.table_exists("coverage"):
        row = (await db.execute("select verify_url from coverage where state = ?",
                                [state])).first()
        for url in ((row["verify_url"] or "").split() if row else []):
            if (href := safe_url(url)) and href not in [v["href"] for v in verify]:
                verify.append({"href": href, "host": host_of(href) or href,
                               "what": f"a {state} license"})
    return {
        "level": level,
        "label": LABELS.get(level or "", "Standing not known yet"),
        "reason": practitioner.get("standing_reason") or (
            None if level else "The directory has not yet worked out this practitioner's "
            "standing (it does at each linking): check with the state board."),
        "as_of": practitioner.get("standing_as_of"),
        "verify": verify,
    }


async def _unknown_to_board(db, npi: str | None) -> list[dict]:
    """The license numbers this practitioner reported to NPPES that their board, asked one
    license at a time (scraper/sources/lookup.py), said it has no such license of: its last
    definite answer, with when, and its lookup page from the coverage table."""
    if not npi or not await db.table_exists("license_lookups"):
        return []
    rows = (await db.execute(
        """select distinct t.state, t.license_number, l.source, l.answered_at,
             (select verify_url from coverage c where c.state = t.state) as verify_url
           from provider_taxonomies t
           join license_lookups l on l.jurisdiction = t.state and l.answer = 'not_found'
           join json_each(l.reported_keys) k on k.value = t.license_number_normalized
           where t.npi = ? and t.code = '171100000X'
           order by t.state, t.license_number""", [npi])).rows \
        if await db.table_exists("coverage") else []
    found = []
    for row in rows:
        href = next((h for url in (row["verify_url"] or "").split() if (h := safe_url(url))),
                    None)
        found.append({"state": row["state"], "number": row["license_number"],
                      "source": row["source"], "answered_at": row["answered_at"],
                      "href": href, "host": host_of(href) if href else None})
    return found


async def practitioner_context(datasette, database: str, practitioner_id: str) -> dict:
    db = datasette.get_database(database)
    result = await db.execute(f"select * from {PRACTITIONERS} where practitioner_id = ?",
                              [practitioner_id])
    row = result.first()
    if row is None:
        return {}
    practitioner = dict(row)
    links = []
    if await db.table_exists(LINKS):
        links = [dict(r) for r in (await db.execute(
            f"select * from {LINKS} where practitioner_id = ?", [practitioner_id])).rows]
    links.sort(key=lambda link: (RECORD_ORDER.get(link["record_table"], 9), -link["confidence"],
                                 link["record_id"]))
    records: dict[str, dict[str, dict]] = {}
    for table in {link["record_table"] for link in links}:
        records[table] = await _records(
            db, table, [link["record_id"] for link in links if link["record_table"] == table])
    actions = await _discipline(db, list(records.get("licenses", {})))
    sources = []
    for link in links:
        table, record_id = link["record_table"], link["record_id"]
        record = records.get(table, {}).get(record_id)
        rec = record or {}
        href = safe_url(rec.get("source_url"))
        sources.append({
            **link,
            "kind": datasette.table_metadata(database, table).get("title") or table,
            "record": record,
            "facts": _facts(rec, FACTS.get(table, [])),
            "actions": actions.get(record_id, []),
            "record_url": datasette.urls.row(database, table, tilde_encode(record_id))
            if record else None,
            "source": rec.get("source"),
            "source_url": rec.get("source_url"),
            "source_href": href,
            "source_host": host_of(href, with_port=True),
            "verify_href": safe_url(rec.get("verify_url")),
            "verify_host": host_of(rec.get("verify_url")),
            "last_seen_at": rec.get("last_seen_at"),
            "gone_at": rec.get("gone_at"),
        })
    return {
        "practitioner": practitioner,
        "practitioner_standing": await _standing(db, practitioner, sources),
        "practitioner_unknown_to_board": await _unknown_to_board(db, practitioner.get("npi")),
        "practitioner_fields": _facts(practitioner, FIELDS),
        "practitioner_sources": sources,
        "practitioner_certifications": _certifications(
            datasette, database, links, records.get("certifications", {})),
        "practitioner_specialties": await _specialties(datasette, db, database, practitioner_id),
        "practitioner_timelines": await _timelines(datasette, db, database, links, records),
        "practitioner_links_url": datasette.urls.table(database, LINKS) + "?"
        + urlencode({"practitioner_id": practitioner_id}),
    }


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "row" or table != PRACTITIONERS or request is None:
        return {}

    async def inner():
        pks = urlsafe_components(request.url_vars.get("pks", ""))
        if len(pks) != 1:
            return {}
        return await practitioner_context(datasette, database, pks[0])

    return inner


@hookimpl
def render_cell(value, column, table, database, datasette):
    """In query results and in practitioner_links, a practitioner_id links to its page; in
    query results, a run_id links to its run; an evidence_url (a practice's page, anywhere)
    links without ranking or referrer."""
    if column == "evidence_url":
        href = safe_url(value)
        if href is None:
            return None  # Datasette shows it as text
        return Markup('<a href="{}" rel="{}">{}</a>').format(href, EXTERNAL_REL, href)
    if column == "run_id" and table is None:
        if isinstance(value, int) and not isinstance(value, bool):
            url = datasette.urls.row(database, "scrape_runs", str(value))
            return Markup('<a href="{}">{}</a>').format(url, value)
        return None
    if column != "practitioner_id" or table not in (None, LINKS):
        return None
    if not isinstance(value, str) or not value.startswith(ID_PREFIXES):
        return None
    url = datasette.urls.row(database, PRACTITIONERS, tilde_encode(value))
    return Markup('<a href="{}">{}</a>').format(url, escape(value))
