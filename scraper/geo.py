"""Where a US ZIP code is: one table for linking (a practice's point) and for the published
site's distance queries, from the ``zipcodes`` package's own data (nothing is downloaded)."""

from __future__ import annotations

import re
from functools import cache

ZIP_RE = re.compile(r"^\s*(\d{3,5})(?:-\d{4})?\s*$")


@cache
def zip_points() -> dict[str, tuple[float, float]]:
    """ZIP -> (latitude, longitude), built once, on first use (about half a second)."""
    import zipcodes

    points = {z["zip_code"]: (float(z["lat"]), float(z["long"])) for z in zipcodes.list_all()
              if z.get("lat") and z.get("long")}
    # Military and APO ZIPs are listed at 0, 0 (the Gulf of Guinea): no place at all.
    return {zip5: point for zip5, point in points.items() if point != (0.0, 0.0)}


def zip_point(value: object) -> tuple[float, float] | None:
    """Accepts 98101, '98101-1234' and ZIPs that lost their leading zero (2139 for 02139)."""
    if value is None or isinstance(value, bytes | float):
        return None
    match = ZIP_RE.match(str(value))
    return zip_points().get(match.group(1).zfill(5)) if match else None


UNKNOWN_ZIP_DATA = "zipcodes ?"


def _zip_data_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"zipcodes {version('zipcodes')}"
    except PackageNotFoundError:
        return UNKNOWN_ZIP_DATA


ZIP_DATA_VERSION = _zip_data_version()  # which ZIP data ``state_zips`` reads


@cache
def _zips_of(state: str) -> tuple[tuple[str, str], ...]:
    import zipcodes

    # One state at a time: the whole list is 42,000 dicts (some 150 MB), a state's a few
    # thousand.
    return tuple(sorted((z["zip_code"], str(z.get("zip_code_type") or "").upper())
                        for z in zipcodes.filter_by(state=state)))


ZIP_KINDS = ("STANDARD", "PO BOX", "UNIQUE", "MILITARY")  # as the zipcodes data name them


def state_zips(state: str, kinds: tuple[str, ...] = ZIP_KINDS) -> tuple[str, ...]:
    """The ZIPs the ``zipcodes`` data place in ``state``, of these kinds (street delivery,
    PO boxes only, one organization's own, military; active or not), sorted; empty for a
    state it does not know. The first call reads the data (seconds)."""
    wanted = {k.upper() for k in kinds}
    return tuple(z for z, kind in _zips_of(state.upper()) if kind in wanted)
