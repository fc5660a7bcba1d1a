"""A 304 page vouches only for live records (db/store.py touch_page)."""
from sqlite_utils import Database

from db import store
from db.migrations import migrate


def test_touch_page_does_not_count_records_already_gone():
    db = Database(memory=True)
    migrate(db)
    url = "https://npiregistry.cms.hhs.gov/api/?skip=0"
    for npi, gone in (("1000000001", None), ("1000000002", "2026-11-01T00:00:00Z")):
        db["providers"].insert({"npi": npi, "display_name": npi, "source": "nppes-api",
                                "source_url": url, "gone_at": gone})
    # The page held one record when it was last read (the gone one left it before): a 304
    # must find one under it, not two, or it hides a record of the page stored elsewhere.
    assert store.touch_page(db, "providers", url, 7, "2026-12-02T00:00:00Z") == 1
