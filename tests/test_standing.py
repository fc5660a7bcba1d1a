"""Good standing: one rule, each level with its reason and date (scraper/standing.py), and the
practitioners table carrying it after a linking."""

from __future__ import annotations

import pytest

from scraper.standing import LABELS, LEVELS, standing

TODAY = "2026-12-01"
BOARDS = {"WA", "CA"}


def lic(status="active", expires="2027-06-30", state="WA", **more):
    return {"license_id": f"{state}:acupuncturist:1", "jurisdiction": state,
            "status_normalized": status, "status": status.upper(), "expires_on": expires,
            "last_seen_at": "2026-11-30T04:00:00Z", "disciplined": 0, **more}


def test_active_and_not_expired_is_good_standing_with_the_board_and_date():
    verdict = standing([lic()], [], "WA", BOARDS, TODAY)
    assert (verdict.level, verdict.as_of) == ("good", "2026-11-30")
    assert verdict.reason == "In good standing per the WA board, checked 2026-11-30"
    assert verdict.label == "In good standing"


def test_active_but_past_its_expiry_date_is_expired_never_good():
    verdict = standing([lic(expires="2026-06-08")], [], "WA", BOARDS, TODAY)
    assert verdict.level == "expired"
    assert verdict.reason == ("The WA board lists the license active, but it expired on "
                              "2026-06-08")


def test_one_current_license_is_enough_among_several():
    verdict = standing([lic(expires="2026-06-08"), lic(expires="2028-01-31")], [],
                       "WA", BOARDS, TODAY)
    assert verdict.level == "good" and "the WA board" in verdict.reason
    # practising in WA with a lapsed WA license and a current CA one: the WA one speaks
    verdict = standing([lic(expires="2026-06-08"), lic(state="CA", expires="2028-01-31")], [],
                       "WA", BOARDS, TODAY)
    assert verdict.level == "expired"


@pytest.mark.parametrize("status", ["probation", "suspended", "revoked", "surrendered"])
def test_discipline_that_restricts_practice(status):
    verdict = standing([lic(status=status)], [], "WA", BOARDS, TODAY)
    assert verdict.level == "restricted" and status in verdict.reason


def test_discipline_on_record_without_restriction_is_said_but_good():
    verdict = standing([lic(license_id="WA:acupuncturist:9")], [], "WA", BOARDS, TODAY,
                       disciplined={"WA:acupuncturist:9"})
    assert verdict.level == "good" and "discipline case is on record" in verdict.reason


def test_an_exclusion_wins_over_a_good_license():
    excluded = {"status": "excluded", "excluded_on": "2024-03-20", "last_seen_at": "2026-11-02"}
    verdict = standing([lic()], [excluded], "WA", BOARDS, TODAY)
    assert verdict.level == "excluded" and "since 2024-03-20" in verdict.reason
    delisted = {**excluded, "status": "reinstated"}
    assert standing([lic()], [delisted], "WA", BOARDS, TODAY).level == "good"


@pytest.mark.parametrize("status", ["inactive", "expired", "deceased", "unknown"])
def test_not_active(status):
    assert standing([lic(status=status)], [], "WA", BOARDS, TODAY).level == "inactive"


def test_no_board_license_in_a_board_state_or_no_board_at_all():
    unverified = standing([], [], "WA", BOARDS, TODAY)
    assert unverified.level == "unverified" and "WA board" in unverified.reason
    self_reported = standing([], [], "NY", BOARDS, TODAY)
    assert self_reported.level == "self-reported"
    assert self_reported.reason.startswith("No board data for NY: ")


def test_every_level_has_a_label():
    assert set(LABELS) == set(LEVELS)


def test_a_license_elsewhere_does_not_license_practice_in_a_board_state():
    """Review of issue 13: active in OR, practising in WA (a board state) is not good."""
    verdict = standing([lic(state="OR")], [], "WA", BOARDS, TODAY)
    assert verdict.level == "unverified"
    assert "a license in OR is listed, which does not license practice in WA" in verdict.reason
    assert standing([lic(state="OR")], [], "NY", BOARDS, TODAY).level == "self-reported"


def test_a_restriction_by_any_board_is_not_hidden_by_an_active_license():
    verdict = standing([lic(), lic(state="OR", status="revoked")], [], "WA", BOARDS, TODAY)
    assert verdict.level == "restricted" and "The OR board" in verdict.reason


def test_standing_is_recomputed_on_a_day_nothing_ran(tmp_path):
    """run-due links again when the practitioners were last linked before today."""
    from db.migrations import open_db
    from scraper.config import Config
    from scraper.jobs import link_pending

    db = open_db(tmp_path / "p.db")
    db["practitioners"].insert({"practitioner_id": "npi:1", "display_name": "A",
                                "last_seen_at": "2020-01-01T00:00:00Z"})
    db.close()
    assert link_pending(Config(), tmp_path / "p.db")
    db = open_db(tmp_path / "p.db")
    db.execute("update practitioners set last_seen_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')")
    db.close()
    assert not link_pending(Config(), tmp_path / "p.db")


def test_military_zips_at_zero_zero_are_no_place():
    from scraper.geo import zip_point, zip_points

    assert (0.0, 0.0) not in set(zip_points().values())
    assert zip_point("09810") is None and zip_point("98101") is not None
