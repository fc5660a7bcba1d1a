"""Linking measured where the truth is known: the stand-ins know which board row and which
exclusion belong to which NPPES provider. Used by tests/test_demo.py and bench/bench_linking.py.

The CA and FL license files (`boardfiles_data.BoardFileData`) are measured when given: a stored
license's id is `license_id(<state>, <License Type / Profession as written>, <normalized
number>)`, and their pairs are counted under "license-CA" and "license-FL"."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from scraper.models import Provenance, license_id
from scraper.normalize import clean, license_number
from scraper.sources import oig_leie, socrata


def _predicted(db: Any, table: str, record_id: str) -> str | None:
    rows = list(db.query("select p.npi, p.practitioner_id from practitioner_links l join "
                         "practitioners p using (practitioner_id) where l.record_table = ? "
                         "and l.record_id = ?", [table, record_id]))
    if not rows:
        return "missing"
    return rows[0]["npi"] if rows[0]["practitioner_id"].startswith("npi:") else None


def linking_quality(db: Any, board_data: dict, leie_data: Any, dca_data: Any = None,
                    mqa_data: Any = None) -> dict[str, Any]:
    """Precision and recall of record-to-NPI links, overall and for the licenses whose number
    is written differently in NPPES and by the board; with `dca_data` and `mqa_data` (the
    `sites["dca_data"]`, `sites["mqa_data"]` of `start_all`), of the CA and FL licenses too."""
    by_host = {urlsplit(d.portal).hostname: d for d in socrata.DATASETS.values()}
    pairs: list[tuple[str, str | None, str | None, bool]] = []  # kind, truth, predicted, reformatted
    for host, board in board_data.items():
        dataset = by_host[host]
        for truth in board.acupuncture_truth():
            row = board.rows[truth.row]
            number = license_number(row.get(board.number_field))
            if number is None:
                continue  # a row with no number is a reject, not a license
            kind = clean(row.get(dataset.fields["license_type"])) or "Acupuncturist"
            record = license_id(dataset.jurisdiction, kind, number)
            predicted = _predicted(db, "licenses", record)
            if predicted == "missing":
                continue  # rejected for a bad date or status: not linked, not counted
            raw = row.get(board.number_field)
            pairs.append(("license", None if truth.npi is None else str(truth.npi), predicted,
                          raw != number))
    for data in (dca_data, mqa_data):
        if data is not None:
            pairs += _file_pairs(db, data)
    provenance = Provenance("oig-leie", "", "")
    for truth in leie_data.truth:
        exclusion = oig_leie.parse_row(leie_data.rows[truth.row], provenance)[0]
        predicted = _predicted(db, "exclusions", exclusion.exclusion_id)
        pairs.append((f"exclusion-{truth.kind}", str(truth.npi), predicted, False))
    return _score(pairs)


def _file_pairs(db: Any, data: Any) -> list[tuple[str, str | None, str | None, bool]]:
    """The pairs of a board's license file: every row a license was stored for (a row with no
    number or rejected for a bad date or status is not counted), organizations included (their
    truth is no NPI: linking one to a person is a wrong link)."""
    pairs: list[tuple[str, str | None, str | None, bool]] = []
    for truth in data.acupuncture_truth():
        row = data.rows[truth.row]
        raw = row.get(data.number_column)
        number = license_number(raw)
        license_type = clean(row.get(data.type_column))
        if number is None or license_type is None:
            continue
        predicted = _predicted(db, "licenses", license_id(data.state, license_type, number))
        if predicted == "missing":
            continue
        pairs.append((f"license-{data.state}", None if truth.npi is None else str(truth.npi),
                      predicted, raw != number))
    return pairs


def _score(pairs: list[tuple[str, str | None, str | None, bool]]) -> dict[str, Any]:
    def score(selected):
        tp = sum(1 for _, t, p, _ in selected if t is not None and p == t)
        fp = sum(1 for _, t, p, _ in selected if p not in (None, "missing") and p != t)
        fn = sum(1 for _, t, p, _ in selected if t is not None and p != t)
        return {"pairs": len(selected), "tp": tp, "fp": fp, "fn": fn,
                "precision": tp / (tp + fp) if tp + fp else 1.0,
                "recall": tp / (tp + fn) if tp + fn else 1.0}

    kinds = Counter(k for k, *_ in pairs)
    return {"all": score(pairs),
            "reformatted": score([p for p in pairs if p[3]]),
            **{kind: score([p for p in pairs if p[0] == kind]) for kind in kinds}}
