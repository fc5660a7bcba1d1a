"""Joins the records of every source into practitioners: one row per person.

Rules, strongest first (each link is stored with its rule, confidence and a one-line why):
- ``npi`` (1.0): an exclusion that names the provider's NPI.
- ``license-number`` (0.99): the provider reported to NPPES a license in the board's state
  whose normalized number equals the board's, and the last names agree. Never a number alone.
- ``name-city`` (0.7): no number to go by; first and last name agree and so does the city or
  ZIP, and exactly one provider fits. A weaker claim, said so in its explanation.
- ``self`` (1.0): the record a practitioner is built around (an NPI, or a license no provider
  matches, or an exclusion or NCCAOM listing of nobody we know).
NCCAOM diplomates carry no number: they link by name plus phone or city (``name-city``).

A practitioner's practice name is that of the one organization (NPI-2) registered at the same
practice address, if exactly one is.

Practitioner ids are stable: ``npi:<NPI>`` for anyone with an NPI, else ``lic:<license_id>``
or ``exc:<exclusion_id>``. A rebuild rewrites only the practitioners whose data changed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from db import store

from .geo import zip_points
from .normalize import credentials, site_id, title_name, website_url
from .search_index import build_search_index
from .specialties import tag_text
from .standing import standing

STATUS_RANK = {s: i for i, s in enumerate(
    ("active", "probation", "inactive", "expired", "suspended", "surrendered", "revoked",
     "deceased", "unknown"))}
PRACTITIONER_TRACKED = ("display_name", "credentials", "practice_name", "address", "city", "state", "zip",
                        "phone", "npi", "license_status", "license_expires_on",
                        "licensed_states", "disciplined", "excluded", "certified",
                        "specialties", "standing")


def name_key(value: str | None) -> str:
    """A name reduced for comparison: no accents, case, spaces or punctuation."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value)
    return re.sub(r"[^A-Z]", "", text.encode("ascii", "ignore").decode().upper())


def last_names_agree(a: str | None, b: str | None) -> bool:
    """Same last name, allowing for a hyphenated or double name on one side only."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    parts_a = {name_key(p) for p in re.split(r"[-\s]+", a or "") if len(name_key(p)) > 1}
    parts_b = {name_key(p) for p in re.split(r"[-\s]+", b or "") if len(name_key(p)) > 1}
    return bool(parts_a & parts_b)


@dataclass
class Link:
    record_table: str
    record_id: str
    rule: str
    confidence: float
    explanation: str


@dataclass
class Person:
    practitioner_id: str
    provider: dict[str, Any] | None = None
    licenses: list[dict[str, Any]] = field(default_factory=list)
    exclusions: list[dict[str, Any]] = field(default_factory=list)
    certifications: list[dict[str, Any]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    website_claims: list[dict[str, Any]] = field(default_factory=list)  # website_tags rows

    def websites(self) -> list[str]:
        """The site ids of the websites this person's records list."""
        listed = [(self.provider or {}).get("website")]
        listed += [c.get("website") for c in self.certifications]
        return sorted({site_id(url) for value in listed if (url := website_url(value))})


def _providers(db: Database) -> dict[str, dict[str, Any]]:
    providers = {r["npi"]: dict(r) for r in db.query(
        "select * from providers where enumeration_type = 'NPI-1' and gone_at is null")}
    for row in db.query("select npi, address_1, address_2 from provider_addresses "
                        "where purpose = 'location'"):
        if row["npi"] in providers:
            providers[row["npi"]]["address"] = ", ".join(
                p for p in (row["address_1"], row["address_2"]) if p)
    return providers


def _address_key(address: str | None, zip5: str | None) -> tuple[str, str] | None:
    if not address or not zip5:
        return None
    first_line = address.split(",")[0]
    return (" ".join(re.sub(r"[^A-Z0-9 ]", " ", first_line.upper()).split()), zip5)


def _practices(db: Database) -> dict[tuple[str, str], list[str]]:
    """Organizations (NPI-2) by practice address: a practitioner registered at the address of
    exactly one organization practises there, and its name is the practice name."""
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in db.query(
            "select p.display_name, a.address_1, a.zip5 from providers p join provider_addresses "
            "a on a.npi = p.npi and a.purpose = 'location' where p.enumeration_type = 'NPI-2' "
            "and p.gone_at is null"):
        key = _address_key(row["address_1"], row["zip5"])
        if key:
            index[key].append(row["display_name"])
    return index


def _reported_licenses(db: Database, providers: dict[str, dict]) -> dict[tuple[str, str], set[str]]:
    """(state, normalized number) -> NPIs that reported it to NPPES."""
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in db.query("select npi, state, license_number_normalized from provider_taxonomies "
                        "where license_number_normalized is not null and state is not null"):
        if row["npi"] in providers:
            index[(row["state"], row["license_number_normalized"])].add(row["npi"])
    return index


def _by_name(providers: dict[str, dict]) -> dict[tuple[str, str], list[str]]:
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for npi, p in providers.items():
        index[(name_key(p["first_name"]), name_key(p["last_name"]))].append(npi)
    return index


def _place_fits(provider: dict, city: str | None, zip5: str | None) -> bool:
    return bool((zip5 and provider.get("zip") == zip5) or
                (city and name_key(provider.get("city")) == name_key(city)))


def match_license(lic: dict, providers: dict[str, dict], reported: dict, by_name: dict,
                  ) -> tuple[str, Link] | None:
    """The provider a board license belongs to, with the rule that says so, or None."""
    number, state = lic["license_number_normalized"], lic["jurisdiction"]
    candidates = [npi for npi in reported.get((state, number), ())
                  if last_names_agree(providers[npi]["last_name"], lic["last_name"])]
    if len(candidates) == 1:
        npi = candidates[0]
        return npi, Link("licenses", lic["license_id"], "license-number", 0.99,
                         f"NPPES lists {state} license {number} for NPI {npi}, and the {state} "
                         f"board lists {lic['license_number']} for {lic['last_name']}")
    if candidates:
        return None  # two providers claim the number: leave it to a person to decide
    if not (lic.get("city") or lic.get("zip")):
        return None
    fits = [npi for npi in by_name.get((name_key(lic["first_name"]), name_key(lic["last_name"])),
                                       ())
            if _place_fits(providers[npi], lic.get("city"), lic.get("zip"))]
    if len(fits) == 1:
        npi = fits[0]
        place = lic.get("zip") or lic.get("city")
        return npi, Link("licenses", lic["license_id"], "name-city", 0.7,
                         f"no license number in common; same first and last name and the same "
                         f"{'ZIP' if lic.get('zip') else 'city'} ({place}) as NPI {npi}")
    return None


def match_exclusion(exc: dict, providers: dict[str, dict], by_name: dict,
                    ) -> tuple[str, Link] | None:
    if exc["npi"]:
        if exc["npi"] in providers:
            return exc["npi"], Link("exclusions", exc["exclusion_id"], "npi", 1.0,
                                    f"OIG lists NPI {exc['npi']}")
        return None
    fits = [npi for npi in by_name.get((name_key(exc["first_name"]), name_key(exc["last_name"])),
                                       ())
            if _place_fits(providers[npi], exc.get("city"), exc.get("zip"))]
    if len(fits) == 1:
        return fits[0], Link("exclusions", exc["exclusion_id"], "name-city", 0.7,
                             f"OIG gives no NPI; same first and last name and the same city or "
                             f"ZIP as NPI {fits[0]}")
    return None


def match_certification(cert: dict, providers: dict[str, dict], by_name: dict,
                        ) -> tuple[str, Link] | None:
    """NCCAOM lists no NPI or license number: first and last name, and the same phone or
    city in the same state, fitting exactly one provider."""
    words = (cert["name"] or "").split()
    if len(words) < 2:
        return None
    first, last = name_key(words[0]), name_key(words[-1])
    fits = []
    for npi in by_name.get((first, last), ()):
        p = providers[npi]
        if p.get("state") != cert.get("state"):
            continue
        if (cert.get("phone") and p.get("phone") == cert["phone"]) or \
                (cert.get("city") and name_key(p.get("city")) == name_key(cert["city"])):
            fits.append(npi)
    if len(fits) != 1:
        return None
    npi = fits[0]
    how = "phone" if cert.get("phone") and providers[npi].get("phone") == cert["phone"] else "city"
    return npi, Link("certifications", cert["profile_id"], "name-city", 0.7,
                     f"NCCAOM gives no NPI; same first and last name and the same {how} "
                     f"in {cert['state']} as NPI {npi}")


def build_people(db: Database) -> dict[str, Person]:
    """Every practitioner with the records linked to them (reads only)."""
    providers = _providers(db)
    reported = _reported_licenses(db, providers)
    by_name = _by_name(providers)
    people: dict[str, Person] = {}
    for npi, provider in providers.items():
        person = people[f"npi:{npi}"] = Person(f"npi:{npi}", provider)
        person.links.append(Link("providers", npi, "self", 1.0, "the NPPES record of this NPI"))
    # Each kind of record: its table, key, id prefix when it stands alone, how it is matched.
    kinds = (
        ("licenses", "license_id", "lic", "a board license that matches no NPPES provider",
         lambda r: match_license(r, providers, reported, by_name)),
        ("exclusions", "exclusion_id", "exc", "an OIG exclusion that matches no NPPES provider",
         lambda r: match_exclusion(r, providers, by_name)),
        ("certifications", "profile_id", "ncc",
         "an NCCAOM diplomate that matches no NPPES provider",
         lambda r: match_certification(r, providers, by_name)),
    )
    for table, key, prefix, alone, match in kinds:
        for row in db.query(f"select * from [{table}] where gone_at is null order by [{key}]"):
            record = dict(row)
            found = match(record)
            if found:
                npi, link = found
                person = people[f"npi:{npi}"]
            else:
                pid = f"{prefix}:{record[key]}"
                person = people.setdefault(pid, Person(pid))
                link = Link(table, record[key], "self", 1.0, alone)
            getattr(person, table).append(record)
            person.links.append(link)
    claims: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in db.query("select t.* from website_tags t join websites w using (site_id) "
                        "where t.gone_at is null and w.gone_at is null order by t.claim_id"):
        claims[row["site_id"]].append(dict(row))
    for person in people.values():
        person.website_claims = [c for site in person.websites() for c in claims.get(site, [])]
    return people


def practitioner_row(person: Person, disciplined_licenses: set[str],
                     practices: dict[tuple[str, str], list[str]] | None = None,
                     board_states: set[str] | frozenset[str] = frozenset(),
                     today: str | None = None) -> dict[str, Any]:
    p, lics, excs, certs = person.provider, person.licenses, person.exclusions, \
        person.certifications
    best = min(lics, key=lambda lic: (STATUS_RANK.get(lic["status_normalized"], 99),
                                      -int((lic["expires_on"] or "0").replace("-", "") or 0)),
               default=None)
    cert_words = (certs[0]["name"] or "").split() if certs else []
    first = (p or {}).get("first_name") or (lics[0]["first_name"] if lics else None) or (
        excs[0]["first_name"] if excs else None) or (cert_words[0] if cert_words else None)
    last = (p or {}).get("last_name") or (lics[0]["last_name"] if lics else None) or (
        excs[0]["last_name"] if excs else None) or (cert_words[-1] if cert_words else None)
    if p:
        display, place = p["display_name"], p
    elif lics:
        display, place = lics[0]["display_name"], lics[0]
    elif certs:
        display, place = certs[0]["name"], {"city": certs[0]["city"], "state": certs[0]["state"],
                                            "zip": None}
    else:
        display, place = excs[0]["display_name"], excs[0]
    zip5 = place.get("zip")
    point = zip_points().get(zip5) if zip5 else None
    reported = sorted({s.strip() for s in ((p or {}).get("license_states") or "").split(",")
                       if s.strip()})
    records = [*(p and [p] or []), *lics, *excs, *certs]
    as_of = max((r["last_seen_at"] for r in records if r.get("last_seen_at")), default=None)
    sources = sorted({r["source"] for r in records})
    row = {
        "practitioner_id": person.practitioner_id,
        "display_name": display or person.practitioner_id,
        "first_name": title_name(first),
        "last_name": title_name(last),
        "credentials": ", ".join(credentials((p or {}).get("credential"))) or None,
        "practice_name": _practice_name(p, practices or {}),
        "address": (p or {}).get("address"),
        "city": place.get("city"),
        "state": place.get("state") or (lics[0]["jurisdiction"] if lics else None),
        "zip": zip5,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "phone": (p or {}).get("phone"),
        "npi": (p or {}).get("npi") or next((e["npi"] for e in excs if e["npi"]), None),
        "license_status": best["status_normalized"] if best else None,
        "license_expires_on": best["expires_on"] if best else None,
        "licensed_states": ", ".join(sorted({lic["jurisdiction"] for lic in lics})) or None,
        "reported_license_states": ", ".join(reported) or None,
        "disciplined": int(any(lic["disciplined"] or lic["license_id"] in disciplined_licenses
                               for lic in lics)),
        "excluded": int(any(e["status"] == "excluded" for e in excs)),
        "certified": int(bool(certs)),
        "specialties": json.dumps(tags) if (tags := sorted({t["tag"] for t in
                                                            specialty_tags(person)})) else None,
        "sources": ", ".join(sources),
        "as_of": as_of,
    }
    verdict = standing(lics, excs, str(row["state"] or "") or None, board_states,
                       today or datetime.now(UTC).date().isoformat(), disciplined_licenses)
    row.update(standing=verdict.level, standing_reason=verdict.reason,
               standing_as_of=verdict.as_of)
    row["record_hash"] = store.record_hash(_undated(row))
    return row


# The days a practitioner is "as of" move with every run that sees their records again; that
# is no change of the practitioner (counted as one, every linking rewrote everyone, and the
# run log said all had changed): the hash leaves them out, and ``_refresh_dates`` writes them.
_DATES = ("as_of", "standing_as_of", "standing_reason")


def _undated(row: dict[str, Any]) -> dict[str, Any]:
    undated = {k: v for k, v in row.items() if k not in _DATES}
    reason, day = row.get("standing_reason"), row.get("standing_as_of")
    undated["standing_reason"] = reason.replace(day, "<day>") if reason and day else reason
    return undated


def _refresh_dates(db: Database, rows: list[dict[str, Any]]) -> int:
    """Write the moved days of practitioners whose hash did not change; returns how many."""
    cursor = db.conn.executemany(
        "update practitioners set as_of = ?, standing_as_of = ?, standing_reason = ? "
        "where practitioner_id = ? and (as_of is not ? or standing_as_of is not ? "
        "or standing_reason is not ?)",
        ([r["as_of"], r["standing_as_of"], r["standing_reason"], r["practitioner_id"],
          r["as_of"], r["standing_as_of"], r["standing_reason"]] for r in rows))
    return cursor.rowcount  # the rows updated (triggers' writes are not counted)


def _practice_name(provider: dict | None, practices: dict) -> str | None:
    key = _address_key((provider or {}).get("address"), (provider or {}).get("zip"))
    names = sorted(set(practices.get(key, []))) if key else []
    return names[0] if len(names) == 1 else None


def specialty_tags(person: Person) -> list[dict[str, Any]]:
    """Self-reported specialties, each with the page and the words that claim it: the
    conditions and "about" text of NCCAOM profiles, then the practice websites the person's
    records list (a group practice's site speaks for everyone who lists it)."""
    tags: dict[str, dict[str, Any]] = {}
    for cert in person.certifications:
        text = "\n".join(t for t in ((cert.get("conditions") or "").replace(", ", "\n"),
                                     cert.get("about") or "") if t)
        for tag, snippet in tag_text(text):
            tags.setdefault(tag, {"tag_id": f"{person.practitioner_id}:{tag}",
                                  "practitioner_id": person.practitioner_id, "tag": tag,
                                  "record_table": "certifications",
                                  "record_id": cert["profile_id"],
                                  "evidence_url": cert.get("profile_url"), "snippet": snippet})
    for claim in person.website_claims:
        tags.setdefault(claim["tag"], {"tag_id": f"{person.practitioner_id}:{claim['tag']}",
                                       "practitioner_id": person.practitioner_id,
                                       "tag": claim["tag"], "record_table": "websites",
                                       "record_id": claim["site_id"],
                                       "evidence_url": claim["evidence_url"],
                                       "snippet": claim["snippet"]})
    return list(tags.values())


def link_all(db: Database, run_id: int | None, at: str) -> Counter[str]:
    """Rebuild practitioners and their links; only changed practitioners are rewritten.
    Call inside a transaction."""
    people = build_people(db)
    disciplined = {r["license_id"] for r in db.query(
        "select distinct license_id from disciplinary_actions where gone_at is null")}
    practices = _practices(db)
    boards = board_states(db)
    today = at[:10]
    rows = [(practitioner_row(person, disciplined, practices, boards, today),
             {"source": "link", "source_url": None}) for person in people.values()]
    result = store.upsert_rows(db, "practitioners", "practitioner_id", rows,
                               tracked=PRACTITIONER_TRACKED, run_id=run_id, seen_at=at)
    counts = Counter(result.counts)
    counts["dates_moved"] = _refresh_dates(db, [row for row, _ in rows])
    stale = [r["practitioner_id"] for r in db.query(
        "select practitioner_id from practitioners where gone_at is null")
        if r["practitioner_id"] not in people]
    for pid in stale:
        db.execute("update practitioners set gone_at = ? where practitioner_id = ?", [at, pid])
    store.insert_many(db, "changes", [store.change_row("practitioners", pid, "gone_at", None, at,
                                                       run_id, at) for pid in stale])
    counts["gone"] += len(stale)
    db.execute("delete from practitioner_links")
    store.insert_many(db, "practitioner_links", [
        {"record_table": link.record_table, "record_id": link.record_id,
         "practitioner_id": person.practitioner_id, "rule": link.rule,
         "confidence": link.confidence, "explanation": link.explanation, "linked_at": at}
        for person in people.values() for link in person.links])
    db.execute("delete from specialty_tags")
    tags = [{**tag, "tagged_at": at} for person in people.values()
            for tag in specialty_tags(person)]
    store.insert_many(db, "specialty_tags", tags)
    counts["tags"] = len(tags)
    counts["links"] = sum(len(person.links) for person in people.values())
    counts.update(f"rule:{link.rule}" for person in people.values() for link in person.links)
    build_search_index(db)  # the front door's search, rebuilt from what was just written
    return counts


def board_states(db: Database) -> set[str]:
    """The states whose license status we read from a board: every registered board source's
    state, and every state with licenses (a board defined in another configuration)."""
    from .sources import SOURCES

    states = {s.JURISDICTION for s in SOURCES.values() if s.JURISDICTION and s.SINK == "licenses"}
    states |= {r["jurisdiction"] for r in db.query(
        "select distinct jurisdiction from licenses where gone_at is null")}
    return {s for s in states if s}


def summary(counts: Counter[str]) -> str:
    rules = ", ".join(f"{k[5:]} {v}" for k, v in sorted(counts.items()) if k.startswith("rule:"))
    return (f"linking: {counts['inserted'] + counts['updated'] + counts['unchanged']} "
            f"practitioners ({counts['inserted']} new, {counts['updated']} changed, "
            f"{counts['gone']} merged or gone), {counts['links']} links ({rules})")

