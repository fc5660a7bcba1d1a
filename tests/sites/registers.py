"""Stand-ins of two paged JSON public registers, served over real HTTP by `server.SiteServer`:

- `CertemySite`: Nevada's Board of Oriental Medicine on Certemy,
  `GET <prefix>/api/organization/public_registry/<uuid>?search=&page=1&page_size=20` ->
  `{"result": [...], "count": N}` (`count`: the records the search matches, all pages);
- `ThentiaSite`: Arizona's Acupuncture Board of Examiners on Thentia,
  `GET <prefix>/rest/public/profile/search/?keyword=all&skip=0&take=20&lang=en-us&
  licenseType=all&licenseStatus=all&disciplined=false` -> `{"resultCount": N, "result":
  {"dataResults": [...]}}`; `disciplined=true` lists only the disciplined. It refuses a generic
  client's User-Agent (python-requests, curl...) with 403, as the evidence saw, and accepts an
  identifying one; `refuse_everyone` makes it refuse every client (a register that has
  started refusing us).

Mount each under a prefix named after its host, as the Socrata portals are:

    server.add_site("/nvbom.certemy.com", CertemySite(generate_nv_data(providers)))
    server.add_site("/azabe.portalus.thentiacloud.net", ThentiaSite(generate_az_data(providers)))

What they answer is laid out in `registers_data.py` (with what is confirmed and what is the
stand-in's choice). Test switches: `challenge` (a Cloudflare interstitial instead of data),
`drop_key` / `drop_column` (a renamed key, a column gone), `after_requests(n, change)` (the
register changes after n answers: a total that shrinks mid-run), `max_page_size` (what a
larger page size asked is served as), `claimed_count` (Nevada: a count that lies) and
`requests_served`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from .registers_data import MAX_PAGE_SIZE, NV_UUID, RegisterData
from .server import Request, Response, json_response, text_response

GENERIC_CLIENTS = re.compile(
    r"python-requests|python-urllib|python-httpx|aiohttp|curl|wget|go-http-client|axios|"
    r"node-fetch|okhttp|java/|libwww-perl|scrapy|httpclient|postman", re.IGNORECASE)
CHALLENGE_PAGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                  "<div id=\"cf-wrapper\"><script src=\"/cdn-cgi/challenge-platform/h/b/"
                  "orchestrate/chl_page/v1\"></script></div></body></html>")


class _Register:
    """What both stand-ins share: the records, the switches and the request count."""

    def __init__(self, data: RegisterData):
        self.data = data
        self.records = copy.deepcopy(data.records)
        self.challenge = False
        self.max_page_size = MAX_PAGE_SIZE  # a larger page size asked is served as this
        self.claimed_count: int | None = None  # a count that lies (None: the true one)
        self.requests_served = 0
        self._changes: list[tuple[int, Callable[[_Register], None]]] = []

    def after_requests(self, n: int, change: Callable[[_Register], None]) -> None:
        """Run `change(site)` once `n` more answers have been served (before the next)."""
        self._changes.append((self.requests_served + n, change))

    def _tick(self) -> None:
        for when, change in list(self._changes):
            if self.requests_served >= when:
                self._changes.remove((when, change))
                change(self)
        self.requests_served += 1

    def _challenge(self) -> Response:
        response = text_response(CHALLENGE_PAGE, 403, "text/html; charset=UTF-8")
        response.headers["cf-mitigated"] = "challenge"
        return response

    def drop_key(self, key: str) -> None:
        """Nevada: every record loses `key` (a renamed or retired field)."""
        for record in self.records:
            record.pop(key, None)


def _int(value: str | None, default: int) -> int | None:
    if value is None or value == "":
        return default
    return int(value) if value.isdigit() else None


class CertemySite(_Register):
    """Nevada's public registry on Certemy."""

    def handle(self, request: Request) -> Response:
        self._tick()
        if self.challenge:
            return self._challenge()
        match = re.search(r"/api/organization/public_registry/([0-9a-f-]+)/?$", request.path)
        if match is None:
            return text_response("Not Found\n", 404)
        if match.group(1) != NV_UUID:
            return json_response({"message": "Registry not found"}, 404)
        page = _int(request.query.get("page"), 1)
        size = _int(request.query.get("page_size"), 20)
        if not page or not size:
            return json_response({"message": "page and page_size must be positive numbers"}, 400)
        size = min(size, self.max_page_size)
        search = request.query.get("search", "").strip().lower()
        found = self.records if not search else [r for r in self.records if search in " ".join(
            str(r.get(k) or "") for k in ("first_name", "last_name", "license_number")).lower()]
        start = (page - 1) * size
        count = len(found) if self.claimed_count is None else self.claimed_count
        return json_response({"result": found[start:start + size], "count": count})


class ThentiaSite(_Register):
    """Arizona's public register on Thentia."""

    def __init__(self, data: RegisterData):
        super().__init__(data)
        self.refuse_everyone = False
        self.disciplined_ids = {data.records[i]["id"] for i in data.disciplined}

    def drop_column(self) -> None:
        """Every record loses its last column (the register's table was changed)."""
        for record in self.records:
            record["columnValues"].pop()

    def handle(self, request: Request) -> Response:
        self._tick()
        agent = request.header("User-Agent") or ""
        if self.refuse_everyone or not agent or GENERIC_CLIENTS.search(agent):
            return text_response("<html><body><h1>403 Forbidden</h1></body></html>", 403,
                                 "text/html")
        if self.challenge:
            return self._challenge()
        if not request.path.rstrip("/").endswith("/rest/public/profile/search"):
            return text_response("Not Found\n", 404)
        skip = _int(request.query.get("skip"), 0)
        take = _int(request.query.get("take"), 10)
        if skip is None or not take:
            return json_response({"error": "invalid paging"}, 400)
        take = min(take, self.max_page_size)
        keyword = request.query.get("keyword", "all").strip().lower()
        kind = request.query.get("licenseType", "all")
        disciplined = request.query.get("disciplined", "false") == "true"

        def wanted(record: dict[str, Any]) -> bool:
            values = [c["data"] for c in record["columnValues"]]
            if disciplined and record["id"] not in self.disciplined_ids:
                return False
            if kind != "all" and (len(values) < 5 or values[4] != kind):
                return False
            return keyword in ("", "all") or keyword in " ".join(
                str(v or "") for v in values[:3]).lower()

        unfiltered = keyword in ("", "all") and kind == "all" and not disciplined
        found = self.records if unfiltered else [r for r in self.records if wanted(r)]
        return json_response({"resultCount": len(found),
                              "result": {"dataResults": found[skip:skip + take]}})
