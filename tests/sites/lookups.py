"""Stand-ins of the four boards that answer one license at a time. Data: `lookups_data.py`.

Mount each at its prefix (`PREFIXES`) on a `SiteServer`; every one logs the numbers it was
asked, with when (`asked`), and can start answering with a bot challenge after a number of
lookups (`challenge_after`), as a board putting Cloudflare in front mid-run would.

- `BorimSite` (api.medboard.mass.gov), `POST /api-public/search` with JSON
  `{"searchType":"BY_LICENSE_NUMBER","licenseNumber":..,"licenseMetaId":null,
  "showOnlyAuthorizedForHerbalTherapy":false}`: `{"results": {"data": [...]}}`, rows with
  fullName, licenseNumber, licenseMetaName, profileStatus, originalDate, expirationDate
  (confirmed by the evidence). Stand-in's choice: the name "First M Last", dates
  "YYYY-MM-DDT00:00:00", licenseMetaName "Acupuncturist", `totalCount`, another searchType or
  a body that is not JSON answered 400 with `{"message": ...}`.
- `PalsSite` (www.pals.pa.gov), `POST /api/Search/SearchForPersonOrFacilty` (sic; the right
  spelling is a 404, as a public note says): a JSON array of rows with FirstName, MiddleName,
  LastName, LicenseNumber, Status, DisciplinaryAction, City, State, zipcode, TotalRecords
  (confirmed by public client code). Stand-in's choice: LicenseType, IssueDate and ExpiryDate
  (MM/DD/YYYY), DisciplinaryAction "Yes"/"No".
- `DhpSite` (dhp.virginiainteractive.org), `GET /Lookup/Index`: the search form with a hidden
  `__RequestVerificationToken` and a session cookie (a new token each time the form is
  rendered, the cookie kept for the session); `POST /Lookup/Index` (form-encoded, a token
  issued with the cookie sent, else 400) with `LicenseNumber` (the field's name is the
  stand-in's choice): a 302 to `/Lookup/Detail/<id>` when found (confirmed), else the form again
  saying "No records found" (stand-in's choice); `GET /Lookup/Detail/<id>`: a table of labels
  and values (Name "First M Last", License Number, Occupation, License Status, Initial License
  Date, Expire Date, Address; the labels are the stand-in's choice).
- `NysedSite` (api.nysed.gov), `GET /rosa/V2/byProfessionAndLicenseNumber?professionCode=025&
  licenseNumber=NNNNNN` with header `x-oapi-key` (401 without the configured key): 204 for no
  such license (confirmed), else every field as `{"value": .., "label": ..}` (public client
  code): name, profession, professionCode, licenseNumber, status, dateOfLicensure,
  registeredThroughDate, address. Stand-in's choice: the name "First M Last", dates
  MM/DD/YYYY, the status words; another profession code answers 204.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from .lookups_data import Licensee, LookupData
from .server import Request, Response, json_response, text_response

PREFIXES = {"MA": "/api-public/", "PA": "/api/Search/", "VA": "/Lookup/", "NY": "/rosa/"}
CHALLENGE_PAGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                  "<div id=\"challenge-form\"><script src=\"/cdn-cgi/challenge-platform/h/b/"
                  "orchestrate/chl_page/v1\"></script></div></body></html>")


class _Board:
    """What the four stand-ins share: the log of numbers asked and the challenge switch."""

    def __init__(self, data: LookupData, *, challenge_after: int | None = None):
        self.data = data
        self.challenge_after = challenge_after
        self.asked: list[tuple[str, float]] = []  # (number, time.monotonic())
        self._lock = threading.Lock()

    def numbers_asked(self) -> list[str]:
        return [n for n, _ in self.asked]

    def _ask(self, number: str) -> Response | None:
        """Log a lookup; a challenge page once `challenge_after` lookups were answered."""
        with self._lock:
            if self.challenge_after is not None and len(self.asked) >= self.challenge_after:
                return Response(403, {"Content-Type": "text/html; charset=UTF-8",
                                      "cf-mitigated": "challenge"}, CHALLENGE_PAGE.encode())
            self.asked.append((number, time.monotonic()))
        return None


def _json_body(request: Request) -> object:
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class BorimSite(_Board):
    def handle(self, request: Request) -> Response:
        if request.path != "/api-public/search":
            return json_response({"message": "Not Found"}, 404)
        if request.method != "POST":
            return json_response({"message": "Method Not Allowed"}, 405)
        body = _json_body(request)
        if not isinstance(body, dict) or body.get("searchType") != "BY_LICENSE_NUMBER" or \
                not isinstance(body.get("licenseNumber"), str):
            return json_response({"message": "Invalid search"}, 400)
        challenge = self._ask(body["licenseNumber"])
        if challenge is not None:
            return challenge
        found = self.data.find(body["licenseNumber"])
        rows = [] if found is None else [{
            "fullName": found.full_name(), "licenseNumber": found.number,
            "licenseMetaName": "Acupuncturist", "profileStatus": found.status,
            "originalDate": f"{found.issued.isoformat()}T00:00:00",
            "expirationDate": f"{found.expires.isoformat()}T00:00:00"}]
        return json_response({"results": {"data": rows, "totalCount": len(rows)}})


class PalsSite(_Board):
    def handle(self, request: Request) -> Response:
        if request.path != "/api/Search/SearchForPersonOrFacilty":
            return text_response("Not Found", 404)
        if request.method != "POST":
            return text_response("Method Not Allowed", 405)
        body = _json_body(request)
        if not isinstance(body, dict):
            return json_response({"Message": "An error has occurred."}, 500)
        challenge = self._ask(str(body.get("LicenseNumber") or ""))
        if challenge is not None:
            return challenge
        found = self.data.find(str(body.get("LicenseNumber") or ""))
        if found is None:
            return json_response([])
        return json_response([{
            "FirstName": found.first, "MiddleName": found.middle, "LastName": found.last,
            "LicenseNumber": found.number, "LicenseType": "Acupuncturist",
            "Status": found.status, "DisciplinaryAction": "Yes" if found.disciplined else "No",
            "City": found.city, "State": "PA", "zipcode": found.zip,
            "IssueDate": found.issued.strftime("%m/%d/%Y"),
            "ExpiryDate": found.expires.strftime("%m/%d/%Y"), "TotalRecords": 1}])


class DhpSite(_Board):
    COOKIE = "__RequestVerificationToken_Lw__"

    def __init__(self, data: LookupData, **kwargs: object):
        super().__init__(data, **kwargs)  # type: ignore[arg-type]
        self.sessions: dict[str, set[str]] = {}  # cookie -> the form tokens issued with it
        self.forms_served = 0

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/").lower()
        if path == "/lookup/index" and request.method == "GET":
            return self._form(cookie=self._cookie(request))
        if path == "/lookup/index" and request.method == "POST":
            return self._search(request)
        if path.startswith("/lookup/detail/") and request.method == "GET":
            try:
                found = self.data.by_detail(int(path.rsplit("/", 1)[1]))
            except ValueError:
                found = None
            if found is None:
                return _html("<h1>Not Found</h1>", 404)
            return _html(_detail_page(found))
        return _html("<h1>Not Found</h1>", 404)

    def _form(self, message: str = "", cookie: str = "") -> Response:
        """The form with a new token; a new session cookie unless the request had one."""
        token, fresh = secrets.token_hex(16), cookie not in self.sessions
        if fresh:
            cookie = secrets.token_hex(8)
        self.sessions.setdefault(cookie, set()).add(token)
        self.forms_served += 1
        page = ("<html><head><title>License Lookup</title></head><body>"
                f"{f'<p class=text-danger>{message}</p>' if message else ''}"
                "<form action=\"/Lookup/Index\" method=\"post\">"
                f"<input name=\"__RequestVerificationToken\" type=\"hidden\" value=\"{token}\">"
                "<input id=\"LicenseNumber\" name=\"LicenseNumber\" type=\"text\">"
                "<input type=\"submit\" name=\"submitBtn\" value=\"Search\"></form></body></html>")
        response = _html(page)
        if fresh:
            response.headers["Set-Cookie"] = f"{self.COOKIE}={cookie}; path=/; HttpOnly"
        return response

    def _cookie(self, request: Request) -> str:
        jar = SimpleCookie(request.header("Cookie") or "")
        return jar[self.COOKIE].value if self.COOKIE in jar else ""

    def _search(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("ascii", "replace")).items()}
        cookie = self._cookie(request)
        if form.get("__RequestVerificationToken") not in self.sessions.get(cookie, ()):
            return _html("<h1>Bad Request</h1><p>The anti-forgery token could not be "
                         "validated.</p>", 400)
        number = form.get("LicenseNumber", "")
        challenge = self._ask(number)
        if challenge is not None:
            return challenge
        found = self.data.find(number)
        if found is None:
            return self._form("No records found.", cookie)
        return Response(302, {"Location": f"/Lookup/Detail/{found.detail_id}"})


def _detail_page(lic: Licensee) -> str:
    rows = [("Name", lic.full_name()), ("License Number", lic.number),
            ("Occupation", "Licensed Acupuncturist"), ("License Status", lic.status),
            ("Initial License Date", lic.issued.strftime("%m/%d/%Y")),
            ("Expire Date", lic.expires.strftime("%m/%d/%Y")),
            ("Address", f"{lic.city}, VA {lic.zip}")]
    cells = "".join(f"<tr><th>{k}:</th><td>{_escape(v)}</td></tr>" for k, v in rows)
    return f"<html><body><h2>License Details</h2><table>{cells}</table></body></html>"


class NysedSite(_Board):
    def __init__(self, data: LookupData, *, api_key: str, **kwargs: object):
        super().__init__(data, **kwargs)  # type: ignore[arg-type]
        self.api_key = api_key
        self.keys_seen: list[str] = []

    def handle(self, request: Request) -> Response:
        if request.path != "/rosa/V2/byProfessionAndLicenseNumber":
            return json_response({"message": "Not Found"}, 404)
        key = request.header("x-oapi-key") or ""
        self.keys_seen.append(key)
        if key != self.api_key:
            return json_response({"message": "Invalid API key"}, 401)
        number = request.query.get("licenseNumber", "")
        challenge = self._ask(number)
        if challenge is not None:
            return challenge
        found = self.data.find(number) if request.query.get("professionCode") == "025" else None
        if found is None:
            return Response(204, {}, b"")

        def item(label: str, value: str) -> dict[str, str]:
            return {"value": value, "label": label}

        return json_response({
            "name": item("Name", found.full_name()), "profession": item("Profession",
                                                                          "Acupuncture"),
            "professionCode": item("Profession Code", "025"),
            "licenseNumber": item("License Number", found.number),
            "status": item("Status", found.status),
            "dateOfLicensure": item("Date of Licensure", found.issued.strftime("%m/%d/%Y")),
            "registeredThroughDate": item("Registered through Date",
                                          found.expires.strftime("%m/%d/%Y")),
            "address": item("Address", f"{found.city.upper()} NY")})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html(text: str, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))
