"""Stand-ins of four boards that publish their roster as a file (issue 17). Data:
`rosters_data.py`. Each counts the requests it answers by kind (`counts`) and takes changes
between runs (`replace_rows`, `rename_column`, `set_body`).

`FileSite` serves one file at one path (any other path is a 404), and answers a conditional
request with a 304 as `SiteServer` does for every stand-in:
- Maryland, mounted at `/bacc/`: `GET /bacc/Documents/acupactive.csv` (confirmed address);
- Ohio, mounted at `/wps/`: `GET /wps/wcm/connect/gov/data/licensure-individual.csv`, every
  individual license of every board (the address is the stand-in's choice: the evidence says
  the portal's script builds it);
- Michigan, mounted at `/LicenseReports/`: `GET /LicenseReports/Report.aspx?profession=
  Acupuncture&format=csv` (the report's address and parameters are the stand-in's choice; any
  other profession answers the header only, a format other than csv a 400 page).

`MoproSite`, mounted at `/license/` and `/sfc/` (`MoproSite.prefixes`):
- `GET /license/s/license-downloads`: what a plain GET of the Salesforce page gets. As the
  evidence saw it (2026-09, "renders nothing without JavaScript"), by default an application
  shell with no download link; with `rendered=True`, the page as a browser shows it, one link
  per board (text "<Board> (ZIP)") to its file (the stand-in's choice of how the link looks);
- `GET /sfc/servlet.shepherd/document/download/<id>`: a board's ZIP, one tab-separated
  `<Board>.txt` member (the member's name is the stand-in's choice), as application/zip.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import threading
import zipfile
from collections import Counter
from collections.abc import Sequence

from .boardfiles_data import BoardFileData
from .rosters_data import (
    MD_COLUMNS,
    ME_COLUMNS,
    MI_COLUMNS,
    MO_COLUMNS,
    NJ_COLUMNS,
    OH_COLUMNS,
    roster_csv,
    roster_tsv,
)
from .server import Request, Response

MD_PATH = "/bacc/Documents/acupactive.csv"
OH_PATH = "/wps/wcm/connect/gov/data/licensure-individual.csv"
MI_PATH = "/LicenseReports/Report.aspx"
MO_PAGE = "/license/s/license-downloads"
MO_DOWNLOAD = "/sfc/servlet.shepherd/document/download/"
MO_BOARDS = ("Accountancy", "Acupuncture", "Athletic Trainers", "Chiropractic", "Dental",
             "Healing Arts", "Nursing", "Pharmacy")
NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>"


def _html(text: str, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))


class _EditableRoster:
    """What a test changes of a roster stand-in while it serves: its rows, a column's name."""

    rows: list[dict[str, str]]
    columns: list[str]
    _lock: threading.Lock

    def replace_rows(self, rows: Sequence[dict[str, str]]) -> None:
        with self._lock:
            self.rows = list(rows)

    def rename_column(self, old: str, new: str) -> None:
        with self._lock:
            self.columns = [new if c == old else c for c in self.columns]
            self.rows = [{(new if k == old else k): v for k, v in r.items()} for r in self.rows]


class FileSite(_EditableRoster):
    """One roster file at one path."""

    def __init__(self, data: BoardFileData, path: str, columns: Sequence[str], *,
                 query: dict[str, str] | None = None, content_type: str = "text/csv"):
        self.data = data
        self.path = path
        self.columns = list(columns)
        self.query = query or {}  # what the address's query must say (Michigan's report)
        self.content_type = content_type
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.rows = list(data.rows) + [r for rows in data.others.values() for r in rows]
        self.body: bytes | None = None  # set: served in place of the rows
        self._shuffle()

    def _shuffle(self) -> None:
        # The other boards' rows among the acupuncture ones, the same order every time.
        self.rows.sort(key=lambda r: hashlib.sha1(repr(sorted(r.items())).encode()).digest())

    def set_body(self, body: bytes | None) -> None:
        with self._lock:
            self.body = body

    def content(self) -> bytes:
        with self._lock:
            if self.body is not None:
                return self.body
            return roster_csv(self.rows, self.columns)

    def handle(self, request: Request) -> Response:
        if request.path != self.path:
            return Response(404, {"Content-Type": "text/html"}, NOT_FOUND)
        for name, wanted in self.query.items():
            given = request.query.get(name, "")
            if name == "format" and given.lower() != wanted.lower():
                return _html("<html><body><h1>Report error</h1><p>Unknown format.</p>"
                             "</body></html>", 400)
            if name != "format" and given.lower() != wanted.lower():
                with self._lock:
                    self.counts["file"] += 1
                return Response(200, {"Content-Type": self.content_type},
                                roster_csv([], self.columns))
        with self._lock:
            self.counts["file"] += 1
        return Response(200, {"Content-Type": self.content_type,
                              "Content-Disposition": f'attachment; filename="'
                                                     f'{self.path.rpartition("/")[2]}"'},
                        self.content())


def maryland_site(data: BoardFileData) -> FileSite:
    return FileSite(data, MD_PATH, MD_COLUMNS)


def ohio_site(data: BoardFileData) -> FileSite:
    return FileSite(data, OH_PATH, OH_COLUMNS)


def michigan_site(data: BoardFileData) -> FileSite:
    return FileSite(data, MI_PATH, MI_COLUMNS,
                    query={"profession": "Acupuncture", "format": "csv"})


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


class MoproSite(_EditableRoster):
    """Missouri's downloads page and its per-board ZIPs."""

    prefixes = ("/license/", "/sfc/")

    def __init__(self, data: BoardFileData, *, rendered: bool = False):
        self.data = data
        self.rendered = rendered
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.rows = list(data.rows) + [r for rows in data.others.values() for r in rows]
        self.columns = list(MO_COLUMNS)
        self.archives: dict[str, bytes | None] = {}  # board -> a ZIP served in place of its own

    @staticmethod
    def file_id(board: str) -> str:
        """A Salesforce-like 18-character document id."""
        return "069" + hashlib.sha1(board.encode()).hexdigest()[:15].upper()

    @staticmethod
    def download_path(board: str = "Acupuncture") -> str:
        """Where a board's ZIP is served (what a browser shows as the link)."""
        return MO_DOWNLOAD + MoproSite.file_id(board)

    def set_archive(self, body: bytes | None, board: str = "Acupuncture") -> None:
        with self._lock:
            self.archives[board] = body

    def archive(self, board: str) -> bytes:
        with self._lock:
            if self.archives.get(board) is not None:
                return self.archives[board] or b""
            if board == "Acupuncture":
                text = roster_tsv(self.rows, self.columns)
            else:
                text = ("\t".join(self.columns) + "\r\n").encode("cp1252")
        return zip_of({f"{board.upper().replace(' ', '_')}.txt": text})

    def handle(self, request: Request) -> Response:
        if request.path == MO_PAGE:
            with self._lock:
                self.counts["page"] += 1
            return _html(self.page())
        if request.path.startswith(MO_DOWNLOAD):
            wanted = request.path[len(MO_DOWNLOAD):]
            board = next((b for b in MO_BOARDS if self.file_id(b) == wanted), None)
            if board is not None:
                with self._lock:
                    self.counts["download"] += 1
                return Response(200, {"Content-Type": "application/zip",
                                      "Content-Disposition": f'attachment; filename="'
                                                             f'{board.replace(" ", "")}.zip"'},
                                self.archive(board))
        return Response(404, {"Content-Type": "text/html"}, NOT_FOUND)

    def page(self) -> str:
        if not self.rendered:
            return SHELL
        links = "\n".join(
            f'<li><a href="{MO_DOWNLOAD}{self.file_id(b)}">{html.escape(b)} (ZIP)</a></li>'
            for b in MO_BOARDS)
        return RENDERED.replace("{links}", links)


# The Salesforce Experience page as a plain GET gets it: scripts, no content.
SHELL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>License Downloads</title>
<script src="/license/s/sfsites/auraFW/javascript/bootstrap.js"></script>
<script src="https://www.google.com/recaptcha/api.js?render=explicit"></script>
</head><body><div id="auraAppcacheProgress"></div>
<noscript>To use this site, enable JavaScript.</noscript></body></html>
"""

RENDERED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>License Downloads</title></head>
<body><main><h1>Downloadable Listings</h1>
<p>Choose a board to download its licensee listing (a ZIP of tab-delimited text).</p>
<ul class="downloads">
{links}
</ul>
<p><a href="/license/s/">Home</a> <a href="/license/s/license-search">License search</a></p>
</main></body></html>
"""


# -- the ASP.NET forms: New Jersey's bulk roster and Maine's ALMS --------------------------------
#
# These need the stand-in server to answer POST with its body (`Request.body`), and the scraper's
# client to POST (`Fetcher.post`): see the report of issue 17.
#
# `AlmsSite`, mounted at `/ALMSOnline/` (Maine; paths compared without case, as IIS does), as the
# public notes describe it (2026): `GET .../ALMSQuery/SearchIndividual.aspx` without the cookie
# `AspxAutoDetectCookieSupport=1` redirects once to add it (the query parameter and the cookie);
# with it, the search form and a new session cookie `ASP.NET_SessionId`. The form: the view state
# split over `__VIEWSTATE` .. `__VIEWSTATE10` (`__VIEWSTATEFIELDCOUNT` 11), `__VIEWSTATEGENERATOR`,
# `__EVENTVALIDATION`, `__PREVIOUSPAGE`, the lists `scDepartment`, `scAgency`, `scRegulator` (one
# option per regulator, the Board of Complementary Health Care Providers among them) and the list
# box `scAuthSpecQual` (no blank option: an empty value answers the error page), the name and
# number fields, a "show history" check box, the button `btnSearch` = "Search" (every name under
# `ctl00$ctl00$mainContent$mainContent$`). A POST with the session's view state and a listed
# regulator answers 302 to `SearchResults.aspx`; then `GET .../ExportToCSV.aspx` in the session
# returns the regulator's licenses as CSV (application/octet-stream). Without a search in the
# session the export redirects to the search page. A view state that is not the session's is the
# ASP.NET error page (500). Unconfirmed, the stand-in's choice: the regulator ids, the CSV's column
# names (`ME_COLUMNS`), the error pages, the results page.
#
# `MyLicenseSite`, mounted at `/Verification_Bulk/` (New Jersey): `GET .../Search.aspx?facility=N`:
# the form (view state, event validation, the list `t_web_lookup__profession_name` of professions
# by name, the button `sch_button`) and a session cookie; its POST answers the order page, "Total:
# $0.00" and a button "Continue" (`fee=` makes it ask for money); that page's POST answers the
# download page with a link "Download roster file" to `GetFile.aspx?file=<token>`, which serves the
# profession's roster, pipe-separated (text/plain). Confirmed by the evidence: the address, a
# profession chosen in an ASP.NET form, a file per profession, pipe-separated, the $0.00 order
# page, numbers like 25MZ00081700, applications without a number, a pipe inside an address.
# Unconfirmed, the stand-in's choice: every field and button name, the pages' text, the link, the
# columns (`NJ_COLUMNS`), whether acupuncture is listed (`acupuncture_listed=`).
#
# Both take `captcha=True` (the form carries a reCAPTCHA widget) and `rename_field(old, new)`.

ALMS_QUERY = "/almsonline/almsquery/"  # compared lower-cased
ALMS_BASE = "/ALMSOnline/ALMSQuery/"  # as its links write it
ALMS_PREFIX = "ctl00$ctl00$mainContent$mainContent$"
ME_REGULATORS = {"4210": "Board of Licensing of Auctioneers", "4300": "Board of Chiropractic "
                 "Licensure", "4050": "Board of Complementary Health Care Providers",
                 "6706": "Division of Licensing and Certification", "4010": "Board of Dental "
                 "Practice", "4100": "Board of Licensure in Medicine"}
NJ_PROFESSIONS = ("Acupuncture Examining Board", "Board of Medical Examiners",
                  "Marriage and Family Therapy Board", "Occupational Therapy",
                  "Physical Therapy", "Psychological Examiners", "Social Work Examiners")
RECAPTCHA = ('<div class="g-recaptcha" data-sitekey="6LcStandInKey"></div>'
             '<script src="https://www.google.com/recaptcha/api.js"></script>')


class _Sessions:
    """ASP.NET sessions: a cookie value -> what the session holds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.held: dict[str, dict[str, str]] = {}
        self.issued = 0

    def new(self) -> tuple[str, dict[str, str]]:
        with self.lock:
            self.issued += 1
            sid = hashlib.sha1(f"session-{self.issued}".encode()).hexdigest()[:24]
            self.held[sid] = {}
            return sid, self.held[sid]

    def of(self, request: Request) -> dict[str, str] | None:
        cookies = _cookies(request)
        with self.lock:
            return self.held.get(cookies.get("ASP.NET_SessionId", ""))


def _cookies(request: Request) -> dict[str, str]:
    found = {}
    for part in (request.header("Cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found[name] = value
    return found


def _form_body(request: Request) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(request.body.decode("ascii", "replace"), keep_blank_values=True)


def _redirect(location: str, cookie: str | None = None) -> Response:
    headers = {"Location": location, "Content-Type": "text/html"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(302, headers, b"<html><body>Object moved</body></html>")


ASPNET_ERROR = """<!DOCTYPE html><html><head><title>Runtime Error</title></head><body>
<h1>Server Error in '/' Application.</h1><h2><i>{message}</i></h2></body></html>"""


class AlmsSite:
    """Maine's ALMS individual search and its CSV export."""

    def __init__(self, data: BoardFileData, *, captcha: bool = False):
        self.data = data
        self.captcha = captcha
        self.sessions = _Sessions()
        self.counts: Counter[str] = Counter()
        self.names = {"scRegulator": "scRegulator", "btnSearch": "btnSearch"}
        self.rows = list(data.rows) + [r for rows in data.others.values() for r in rows]
        self.regulator = next(k for k, v in ME_REGULATORS.items() if "Complementary" in v)

    def rename_field(self, old: str, new: str) -> None:
        self.names[old] = new

    def handle(self, request: Request) -> Response:
        path = request.path.lower()
        if path == ALMS_QUERY + "searchindividual.aspx":
            if request.method == "POST":
                return self._search(request)
            return self._form(request)
        if path == ALMS_QUERY + "searchresults.aspx":
            session = self.sessions.of(request)
            if session is None or "regulator" not in session:
                return _redirect(ALMS_BASE + "SearchIndividual.aspx")
            return _html("<html><head><title>Search Results</title></head><body><table "
                         "id='gvLicensees'><tr><th>Name</th></tr></table><a href="
                         "'ExportToCSV.aspx'>Export to CSV</a></body></html>")
        if path == ALMS_QUERY + "exporttocsv.aspx":
            return self._export(request)
        return Response(404, {"Content-Type": "text/html"}, NOT_FOUND)

    def _form(self, request: Request) -> Response:
        if _cookies(request).get("AspxAutoDetectCookieSupport") != "1":
            return _redirect(request.path + "?AspxAutoDetectCookieSupport=1",
                             "AspxAutoDetectCookieSupport=1; path=/")
        sid, session = self.sessions.new()
        session["viewstate"] = hashlib.sha1(f"vs-{sid}".encode()).hexdigest() * 8
        self.counts["form"] += 1
        state = session["viewstate"]
        size = -(-len(state) // 11)
        parts = [state[i * size:(i + 1) * size] for i in range(11)]
        hidden = "".join(
            f'<input type="hidden" name="__VIEWSTATE{i or ""}" id="__VIEWSTATE{i or ""}" '
            f'value="{part}" />' for i, part in enumerate(parts))
        regulators = "".join(f'<option value="{k}">{html.escape(v)}</option>'
                             for k, v in ME_REGULATORS.items())
        page = ALMS_FORM.format(
            hidden=hidden, validation=hashlib.sha1(sid.encode()).hexdigest(),
            p=ALMS_PREFIX, regulator=self.names["scRegulator"], button=self.names["btnSearch"],
            regulators=regulators, captcha=RECAPTCHA if self.captcha else "")
        response = _html(page)
        # The real boards are each on a host of their own; the stand-ins share 127.0.0.1, so
        # each session cookie is kept to its own path (or two runs at once would swap them).
        response.headers["Set-Cookie"] = f"ASP.NET_SessionId={sid}; path=/ALMSOnline/; HttpOnly"
        return response

    def _search(self, request: Request) -> Response:
        session = self.sessions.of(request)
        posted = {k: v[0] for k, v in _form_body(request).items()}
        if session is None:
            return _html(ASPNET_ERROR.format(message="Session expired."), 500)
        viewstate = "".join(posted.get(f"__VIEWSTATE{i or ''}", "") for i in range(11))
        if viewstate != session["viewstate"] or posted.get("__VIEWSTATEFIELDCOUNT") != "11":
            return _html(ASPNET_ERROR.format(message="Validation of viewstate MAC failed."), 500)
        sid = _cookies(request)["ASP.NET_SessionId"]
        if posted.get("__EVENTVALIDATION") != hashlib.sha1(sid.encode()).hexdigest():
            return _html(ASPNET_ERROR.format(message="Invalid postback or callback argument."),
                         500)
        if ALMS_PREFIX + "scAuthSpecQual" in posted and not posted[ALMS_PREFIX +
                                                                   "scAuthSpecQual"]:
            return _html(ASPNET_ERROR.format(message="Input string was not in a correct "
                                             "format."), 500)
        regulator = posted.get(ALMS_PREFIX + self.names["scRegulator"], "")
        if regulator not in ME_REGULATORS or ALMS_PREFIX + self.names["btnSearch"] not in posted:
            return _html(ASPNET_ERROR.format(message="Invalid postback or callback argument."),
                         500)
        with self.sessions.lock:
            session["regulator"] = regulator
        self.counts["search"] += 1
        return _redirect(ALMS_BASE + "SearchResults.aspx")

    def _export(self, request: Request) -> Response:
        session = self.sessions.of(request)
        if session is None or "regulator" not in session:
            return _redirect(ALMS_BASE + "SearchIndividual.aspx")
        self.counts["export"] += 1
        rows = self.rows if session["regulator"] == self.regulator else []
        return Response(200, {"Content-Type": "application/octet-stream",
                              "Content-Disposition": 'attachment; filename="Export.csv"'},
                        roster_csv(rows, ME_COLUMNS, quoting=csv.QUOTE_ALL))


ALMS_FORM = """<!DOCTYPE html>
<html><head><title>ALMS Online - Search Individual</title></head><body>
<form method="post" action="./SearchIndividual.aspx?AspxAutoDetectCookieSupport=1" id="aspnetForm">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__LASTFOCUS" id="__LASTFOCUS" value="" />
<input type="hidden" name="__VIEWSTATEFIELDCOUNT" id="__VIEWSTATEFIELDCOUNT" value="11" />
{hidden}
<input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="5E8C7A1B" />
<input type="hidden" name="__PREVIOUSPAGE" id="__PREVIOUSPAGE" value="pv-standin" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="{validation}" />
<h1>Search for an Individual License</h1>
<label>Department</label><select name="{p}scDepartment" id="scDepartment">
<option value="">All</option><option value="PFR">Professional and Financial Regulation</option>
</select>
<label>Agency</label><select name="{p}scAgency" id="scAgency">
<option value="">All</option><option value="OPOR">Office of Professional and Occupational
Regulation</option></select>
<label>Regulator</label><select name="{p}{regulator}" id="scRegulator">
<option value="">Select a regulator</option>{regulators}</select>
<select name="{p}scAuthSpecQual" id="scAuthSpecQual" multiple="multiple" size="4">
<option value="RM">Residential Programs - Mental Health</option>
<option value="RS">Residential Programs - Alcohol &amp; Drug</option></select>
<label>Last name</label><input name="{p}scLastName" type="text" id="scLastName" />
<label>First name</label><input name="{p}scFirstName" type="text" id="scFirstName" />
<label>License number</label><input name="{p}scLicenseNo" type="text" id="scLicenseNo" />
<input type="hidden" name="{p}iShowAdditionalOptions" value="False" />
<input type="hidden" name="{p}iAdditionalOptionsSaved" value="False" />
<input type="checkbox" name="{p}chkShowHistory" id="chkShowHistory" /> Show history
{captcha}
<input type="submit" name="{p}{button}" value="Search" id="btnSearch" />
<input type="submit" name="{p}btnClear" value="Clear" id="btnClear" />
</form></body></html>
"""


class MyLicenseSite:
    """New Jersey's bulk roster: the form, the $0.00 order page, the download."""

    def __init__(self, data: BoardFileData, *, captcha: bool = False, fee: str = "0.00",
                 acupuncture_listed: bool = True, pipe_in_address: int = 1):
        self.data = data
        self.captcha = captcha
        self.fee = fee
        self.professions = [p for p in NJ_PROFESSIONS
                            if acupuncture_listed or not p.startswith("Acupuncture")]
        self.sessions = _Sessions()
        self.counts: Counter[str] = Counter()
        self.names = {"t_web_lookup__profession_name": "t_web_lookup__profession_name",
                      "sch_button": "sch_button"}
        rows = [dict(r) for r in data.rows] + [r for rows in data.others.values() for r in rows]
        for row in rows[:pipe_in_address]:  # "APT 2|B": the row gets one field too many
            row["Address Line 2"] = "APT 2|B"
        self.rows = rows

    def rename_field(self, old: str, new: str) -> None:
        self.names[old] = new

    def handle(self, request: Request) -> Response:
        path = request.path.lower()
        base = "/verification_bulk/"
        if path == base + "search.aspx":
            if request.method == "POST":
                return self._order(request)
            return self._form()
        if path == base + "confirm.aspx" and request.method == "POST":
            return self._confirm(request)
        if path == base + "getfile.aspx":
            return self._file(request)
        return Response(404, {"Content-Type": "text/html"}, NOT_FOUND)

    def _form(self) -> Response:
        sid, session = self.sessions.new()
        session["viewstate"] = hashlib.sha1(f"nj-{sid}".encode()).hexdigest()
        self.counts["form"] += 1
        options = "".join(f'<option value="{html.escape(p)}">{html.escape(p)}</option>'
                          for p in self.professions)
        page = NJ_FORM.format(viewstate=session["viewstate"], options=options,
                              field=self.names["t_web_lookup__profession_name"],
                              button=self.names["sch_button"],
                              captcha=RECAPTCHA if self.captcha else "")
        response = _html(page)
        # its own path: see AlmsSite (the stand-ins share one host, the boards do not)
        response.headers["Set-Cookie"] = (f"ASP.NET_SessionId={sid}; path=/Verification_Bulk/; "
                                          "HttpOnly")
        return response

    def _posted(self, request: Request) -> tuple[dict[str, str] | None, dict[str, str]]:
        session = self.sessions.of(request)
        posted = {k: v[0] for k, v in _form_body(request).items()}
        if session is None or posted.get("__VIEWSTATE") != session.get("viewstate"):
            return None, posted
        return session, posted

    def _order(self, request: Request) -> Response:
        session, posted = self._posted(request)
        if session is None:
            return _html(ASPNET_ERROR.format(message="Validation of viewstate MAC failed."), 500)
        profession = posted.get(self.names["t_web_lookup__profession_name"], "")
        if profession not in self.professions or self.names["sch_button"] not in posted:
            return _html(ASPNET_ERROR.format(message="Invalid postback or callback argument."),
                         500)
        with self.sessions.lock:
            session["profession"] = profession
        self.counts["order"] += 1
        return _html(NJ_ORDER.format(viewstate=session["viewstate"], fee=self.fee,
                                     profession=html.escape(profession)))

    def _confirm(self, request: Request) -> Response:
        session, posted = self._posted(request)
        if session is None or "profession" not in session or "btnContinue" not in posted:
            return _html(ASPNET_ERROR.format(message="Validation of viewstate MAC failed."), 500)
        token = hashlib.sha1(f"file-{session['viewstate']}".encode()).hexdigest()[:16]
        with self.sessions.lock:
            session["file"] = token
        self.counts["confirm"] += 1
        return _html(NJ_DOWNLOAD.format(token=token))

    def _file(self, request: Request) -> Response:
        session = self.sessions.of(request)
        if session is None or session.get("file") != request.query.get("file"):
            return _redirect("/Verification_Bulk/Search.aspx?facility=N")
        self.counts["file"] += 1
        rows = self.rows if session["profession"].startswith("Acupuncture") else []
        return Response(200, {"Content-Type": "text/plain",
                              "Content-Disposition": 'attachment; filename="roster.txt"'},
                        roster_tsv(rows, NJ_COLUMNS, delimiter="|"))


NJ_FORM = """<!DOCTYPE html>
<html><head><title>New Jersey Division of Consumer Affairs - Bulk Download</title></head><body>
<form name="frmSearch" method="post" action="Search.aspx?facility=N" id="frmSearch">
<input type="hidden" name="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" value="{viewstate}" />
<input type="hidden" name="__VIEWSTATEGENERATOR" value="A7D0C3E2" />
<input type="hidden" name="__EVENTVALIDATION" value="ev-{viewstate}" />
<p>Select a profession to download its licensee list.</p>
<select name="{field}" id="{field}"><option value="">-- Select a profession --</option>
{options}</select>
{captcha}
<input type="submit" name="{button}" value="Search" id="{button}" />
</form></body></html>
"""

NJ_ORDER = """<!DOCTYPE html>
<html><head><title>Order Summary</title></head><body>
<form method="post" action="Confirm.aspx" id="frmConfirm">
<input type="hidden" name="__VIEWSTATE" value="{viewstate}" />
<table><tr><td>{profession} licensee list</td><td>$ {fee}</td></tr>
<tr><td>Total:</td><td>${fee}</td></tr></table>
<input type="submit" name="btnBack" value="Back" />
<input type="submit" name="btnContinue" value="Continue" />
</form></body></html>
"""

NJ_DOWNLOAD = """<!DOCTYPE html>
<html><head><title>Your Files</title></head><body>
<p>Your file is ready.</p><a href="GetFile.aspx?file={token}">Download roster file</a>
<a href="Search.aspx?facility=N">New search</a></body></html>
"""
