"""Generated NPPES data dissemination zips, from the NPPES stand-in's providers.

``write_zip(path, providers)`` writes what CMS ships, in miniature: ``npidata_pfile_<from>-<to>.csv``
(every field quoted, CRLF line ends, the real header line of tests/fixtures/nppes), its
``_fileheader.csv``, ``pl_pfile`` (secondary practice locations) and ``endpoint_pfile``
(endpoints such as websites). Each provider dict (API shape, from ``nppes_data``) becomes the
row the file would hold for it, so the importer can be checked against the API source on the
same people. ``others`` adds rows of providers with other taxonomies (the 99.5% an importer
must skip), some of which mention the acupuncture code outside a taxonomy slot.

``header`` chooses the layout: ``HEADER`` (2015, 329 columns), ``current_header()`` (a column
added at the end and the taxonomy group columns moved before it, as later files differ), or
``older_header()`` (without the 22 columns the 2015 layout added at the end).

``BulkSite`` serves files by name under its mount point, with ETag / Last-Modified from the
server, so a download can be conditional.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
import threading
import zipfile
from datetime import date
from pathlib import Path

from .server import Request, Response, text_response

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "nppes" / \
    "nppes_npidata_20050523-20150308_FileHeader.csv"
HEADER: list[str] = next(csv.reader(io.StringIO(FIXTURE.read_text(encoding="utf-8"))))
PL_HEADER = ["NPI", "Provider Secondary Practice Location Address- Address Line 1",
             "Provider Secondary Practice Location Address-  Address Line 2",
             "Provider Secondary Practice Location Address - City Name",
             "Provider Secondary Practice Location Address - State Name",
             "Provider Secondary Practice Location Address - Postal Code",
             "Provider Secondary Practice Location Address - Country Code (If outside U.S.)",
             "Provider Secondary Practice Location Address - Telephone Number",
             "Provider Secondary Practice Location Address - Telephone Extension",
             "Provider Practice Location Address - Fax Number"]
ENDPOINT_HEADER = ["NPI", "Endpoint Type", "Endpoint Type Description", "Endpoint",
                   "Affiliation", "Endpoint Description"]


def current_header() -> list[str]:
    groups = [h for h in HEADER if h.startswith("Healthcare Provider Taxonomy Group_")]
    rest = [h for h in HEADER if h not in groups]
    return rest[:47] + groups + rest[47:] + ["Certification Date"]


def older_header() -> list[str]:
    return HEADER[:HEADER.index("Is Sole Proprietor")]


def _us_date(iso: str | None) -> str:
    if not iso:
        return ""
    year, month, day = iso[:10].split("-")
    return f"{month}/{day}/{year}"


def _digits(value: str | None) -> str:
    return "".join(c for c in (value or "") if c.isdigit())


def _no_dashes(value: str) -> str:
    return "" if value == "--" else value


def bulk_row(provider: dict, header: list[str] = HEADER) -> list[str]:
    """The npidata_pfile row of an API-shaped provider, in ``header``'s column order."""
    basic = provider["basic"]
    values: dict[str, str] = {
        "NPI": str(provider["number"]),
        "Entity Type Code": "1" if provider["enumeration_type"] == "NPI-1" else "2",
        "Provider Organization Name (Legal Business Name)": basic.get("organization_name", ""),
        "Provider Last Name (Legal Name)": basic.get("last_name", ""),
        "Provider First Name": basic.get("first_name", ""),
        "Provider Middle Name": basic.get("middle_name", ""),
        # The API's "--" for no prefix or suffix is taken for its way of showing an empty field
        # (an assumption: no saved row of the file shows either); a license "NA" was typed in.
        "Provider Name Prefix Text": _no_dashes(basic.get("name_prefix", "")),
        "Provider Name Suffix Text": _no_dashes(basic.get("name_suffix", "")),
        "Provider Credential Text": basic.get("credential", ""),
        "Provider Enumeration Date": _us_date(basic.get("enumeration_date")),
        "Last Update Date": _us_date(basic.get("last_updated")),
        "NPI Deactivation Date": _us_date(basic.get("deactivation_date")),
        "NPI Reactivation Date": _us_date(basic.get("reactivation_date")),
        "Provider Gender Code": basic.get("gender", ""),
        "Authorized Official Last Name": basic.get("authorized_official_last_name", ""),
        "Authorized Official First Name": basic.get("authorized_official_first_name", ""),
        "Authorized Official Middle Name": basic.get("authorized_official_middle_name", ""),
        "Authorized Official Title or Position":
            basic.get("authorized_official_title_or_position", ""),
        "Authorized Official Telephone Number":
            _digits(basic.get("authorized_official_telephone_number")),
        "Authorized Official Credential Text": basic.get("authorized_official_credential", ""),
        "Is Sole Proprietor": {"YES": "Y", "NO": "N"}.get(basic.get("sole_proprietor", ""), ""),
        "Is Organization Subpart": {"YES": "Y", "NO": "N"}.get(
            basic.get("organizational_subpart", ""), ""),
    }
    for address in provider["addresses"]:
        kind = "Practice Location" if address["address_purpose"] == "LOCATION" else "Mailing"
        values.update({
            f"Provider First Line Business {kind} Address": address["address_1"],
            f"Provider Second Line Business {kind} Address": address.get("address_2", ""),
            f"Provider Business {kind} Address City Name": address["city"],
            f"Provider Business {kind} Address State Name": address["state"],
            f"Provider Business {kind} Address Postal Code": address["postal_code"],
            f"Provider Business {kind} Address Country Code (If outside U.S.)":
                "" if address.get("country_code") == "US" else address.get("country_code", ""),
            f"Provider Business {kind} Address Telephone Number":
                _digits(address.get("telephone_number")),
            f"Provider Business {kind} Address Fax Number": _digits(address.get("fax_number")),
        })
    for i, taxonomy in enumerate(provider["taxonomies"], start=1):
        values.update({
            f"Healthcare Provider Taxonomy Code_{i}": taxonomy["code"],
            f"Provider License Number_{i}": taxonomy.get("license", ""),
            f"Provider License Number State Code_{i}": taxonomy.get("state", ""),
            f"Healthcare Provider Primary Taxonomy Switch_{i}":
                "Y" if taxonomy.get("primary") else "N",
            f"Healthcare Provider Taxonomy Group_{i}": taxonomy.get("taxonomy_group", ""),
        })
    for i, ident in enumerate(provider.get("identifiers", []), start=1):
        values.update({f"Other Provider Identifier_{i}": ident["identifier"],
                       f"Other Provider Identifier Type Code_{i}": ident["code"],
                       f"Other Provider Identifier State_{i}": ident.get("state", ""),
                       f"Other Provider Identifier Issuer_{i}": ident.get("issuer", "")})
    for other in provider.get("other_names", [])[:1]:
        if "organization_name" in other:
            values.update({"Provider Other Organization Name": other["organization_name"],
                           "Provider Other Organization Name Type Code": other["code"]})
        else:
            values.update({"Provider Other Last Name": other.get("last_name", ""),
                           "Provider Other First Name": other.get("first_name", ""),
                           "Provider Other Middle Name": other.get("middle_name", ""),
                           "Provider Other Name Prefix Text": other.get("prefix", ""),
                           "Provider Other Name Suffix Text": other.get("suffix", ""),
                           "Provider Other Credential Text": other.get("credential", ""),
                           "Provider Other Last Name Type Code": other["code"]})
    return [values.get(column, "") for column in header]


def other_row(rng: random.Random, npi: int, header: list[str] = HEADER) -> list[str]:
    """A provider of another taxonomy; one in 50 mentions 171100000X where no slot is."""
    values = {"NPI": str(npi), "Entity Type Code": "1",
              "Provider Last Name (Legal Name)": rng.choice(["SMITH", "JONES", "GARCIA"]),
              "Provider First Name": rng.choice(["ANN", "BOB", "CHEN"]),
              "Provider Credential Text": "M.D.",
              "Provider First Line Business Practice Location Address": "1 MAIN ST",
              "Provider Business Practice Location Address City Name": "SPRINGFIELD",
              "Provider Business Practice Location Address State Name": "IL",
              "Provider Business Practice Location Address Postal Code": "62701",
              "Provider Enumeration Date": "05/23/2005", "Last Update Date": "07/08/2007",
              "Healthcare Provider Taxonomy Code_1": "207R00000X",
              "Provider License Number_1": "036-123456",
              "Provider License Number State Code_1": "IL",
              "Healthcare Provider Primary Taxonomy Switch_1": "Y"}
    if npi % 50 == 0:
        values["Provider Other Organization Name"] = "171100000X LLC"
    return [values.get(column, "") for column in header]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_zip(path: str | Path, providers: list[dict], *, header: list[str] = HEADER,
              others: int = 0, seed: int = 7, period: tuple[date, date] = (
                  date(2005, 5, 23), date(2026, 11, 8)), deactivated: list[str] = ()) -> Path:
    """A dissemination zip holding ``providers`` (API-shaped) and ``others`` other rows."""
    rng = random.Random(seed)
    stamp = f"{period[0]:%Y%m%d}-{period[1]:%Y%m%d}"
    rows = [header] + [bulk_row(p, header) for p in providers]
    base = 1_000_000_000 + seed * 10_000_000
    for i in range(others):  # spread among the acupuncturists, as in a real file
        rows.insert(rng.randint(1, len(rows)), other_row(rng, base + i, header))
    for npi in deactivated:  # a deactivated NPI's row: the number and the date, nothing else
        rows.append([npi if c == "NPI" else "11/01/2026" if c == "NPI Deactivation Date" else ""
                     for c in header])
    locations = [PL_HEADER] + [
        [str(p["number"]), loc["address_1"], loc.get("address_2", ""), loc["city"],
         loc["state"], loc["postal_code"], "", _digits(loc.get("telephone_number")), "",
         _digits(loc.get("fax_number"))]
        for p in providers for loc in p.get("practiceLocations", [])]
    endpoints = [ENDPOINT_HEADER] + [
        [str(p["number"]), e["endpointType"], e.get("endpointTypeDescription", ""),
         e["endpoint"], e.get("affiliation", ""), ""]
        for p in providers for e in p.get("endpoints", [])]
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"npidata_pfile_{stamp}.csv", _csv(rows))
        archive.writestr(f"npidata_pfile_{stamp}_fileheader.csv", _csv([header]))
        archive.writestr(f"pl_pfile_{stamp}.csv", _csv(locations))
        archive.writestr(f"endpoint_pfile_{stamp}.csv", _csv(endpoints))
    return path


MONTHLY_NAME = "NPPES_Data_Dissemination_November_2026_V2.zip"


class BulkSite:
    """Serves ``files`` (name -> bytes, or a callable making them on first request, since a
    zip of every stand-in provider takes a moment) under its mount point; else 404."""

    def __init__(self, files, prefix: str = "/nppes/"):
        self._files = files
        self.prefix = prefix
        self._lock = threading.Lock()

    @property
    def files(self) -> dict[str, bytes]:
        with self._lock:
            if callable(self._files):
                self._files = self._files()
            return self._files

    def handle(self, request: Request) -> Response:
        name = request.path[len(self.prefix):]
        if name not in self.files:
            return text_response("Not Found\n", 404)
        return Response(200, {"Content-Type": "application/zip"}, self.files[name])


def monthly_files(providers: list[dict], others: int = 2000) -> dict[str, bytes]:
    """The monthly zip of these providers (and of ``others`` other rows), by its file name."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_zip(Path(tmp) / MONTHLY_NAME, providers, others=others)
        return {MONTHLY_NAME: path.read_bytes()}
