"""Stand-ins of the two boards that publish a whole license file: California's DCA "Licensee
Lists" (a public Box folder reached with the DCA page's own read token) and Florida's MQA search
export (a CSV per profession). Data: `boardfiles_data.py`.

`DcaBoxSite` answers three hosts' paths on the one stand-in server; mount it at `/dca/`, `/box/`
and `/boxcloud/` (`DcaBoxSite.prefixes`):

- `GET /dca/boxToken/getToken` (www.dca.ca.gov): a read token, a JSON string, new every call;
- `GET /box/2.0/folders/<id>/items?limit=&offset=` (api.box.com) with `Authorization: Bearer
  <token>`: a folder's entries, folders first then files, by name, paged by `limit` (default
  100, capped to 1000 as Box does) and `offset`; `fields=` is accepted and ignored;
- `GET /box/2.0/files/<id>/content` with the token: a 302 to `/boxcloud/d/<signature>/<id>`
  (dl.boxcloud.com), which serves that version's bytes with no token, as
  `application/octet-stream`; `GET /box/2.0/files/<id>`: the file's information;
- the root folder `66089580694` holds one folder per board (`DCA_BOARDS`) and two PDFs; the
  Acupuncture Board's folder holds `Acupuncture_Data00.xls` and `Acupuncture_Data01.xls` (the
  rows split between them, each with the header line) and `Acupuncture_Layout.pdf`; every
  other board's folder one small `<Stem>_Data00.xls`.

Confirmed by the evidence (SOURCES-EVIDENCE.md, "California", and Box's API reference): the
token endpoint and its JSON-string answer, the root folder id, the two Box calls with a bearer
token, the `_DataNN.xls` names, the file being tab-separated text; Box's paging (`total_count`,
`entries`, `offset`, `limit`, `order`), its 1000 cap, folders listed before files, the entries'
fields, error objects (`{"type": "error", "status", "code", "message", ...}`), the 401's
`WWW-Authenticate` header, and the content call answering a redirect to dl.boxcloud.com.
Unconfirmed, the stand-in's choice: the folder names and file stems of the boards, the PDFs,
ids, a token's lifetime (`token_ttl`, an hour) and form, the download path, a `limit` below 1
refused with a 400.

`MqaSite`, mounted at `/MQASearchServices/` (paths compared without case, as IIS does):

- `GET /MQASearchServices/HealthCareProviders`: the search form, an ASP.NET MVC page whose
  `<select id="SearchDto_Profession">` lists the professions by label, acupuncture among them;
- `GET /MQASearchServices/Healthcareproviders/ExportToCsvLVP?jsonModel=<url-encoded JSON>`,
  JSON `{"Id":0,"Profession":"<code>","LicenseStatus":"A"}`: that profession's CSV (header
  only for a code the form does not list); without `LicenseStatus` (or "ALL") every status,
  with "I" the ones not active. A jsonModel that is not JSON is a 500 with an HTML error page.

Confirmed by the evidence ("Florida"): the export is a plain GET with no token or session, its
JSON model, one CSV per profession, the first columns, the name as "LAST, FIRST MIDDLE", the
codes as board number + two digits, and the quirk: with `"LicenseStatus":"A"` the server returns
other statuses too (here about `quirk_share`, 5%, of the rows answered, the same rows every
time). Unconfirmed, the stand-in's choice: the acupuncture code (3501 unless
`acupuncture_code=` says otherwise) and label, the other codes, the page's markup and other
selects, "I" and "ALL", an empty or unlisted profession answering the header only, the error
page, the attachment's name. Like every stand-in on `SiteServer`, the export carries an ETag
and a Last-Modified and answers a conditional request with a 304; whether the real export
(made anew at each request) sends validators at all is unknown.

Both count the requests they answer by kind (`counts`) and take changes between runs: new rows
(a monthly refresh), broken bytes, files added or removed, a column renamed.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .boardfiles_data import (
    ACUPUNCTURE_BOARD,
    DCA_BOARDS,
    DCA_COLUMNS,
    MQA_ACTIVE,
    MQA_PROFESSIONS,
    BoardFileData,
    dca_files,
    mqa_csv,
)
from .server import Request, Response, json_response

ROOT_FOLDER_ID = "66089580694"
TOKEN_PATH = "/dca/boxToken/getToken"
BOX_API = "/box/2.0"
DOWNLOAD_PATH = "/boxcloud/d/"
BOX_DEFAULT_LIMIT, BOX_MAX_LIMIT = 100, 1000
BOX_ORDER = [{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}]
BOX_HELP_URL = "http://developers.box.com/docs/#errors"
INVALID_TOKEN = ('Bearer realm="Service", error="invalid_token", '
                 'error_description="The access token provided is invalid."')
# Not data: what a scraper must leave alone in the folders.
LAYOUT_PDF = b"%PDF-1.4\n% Acupuncture Board licensee list: file layout\n%%EOF\n"
ROOT_PDFS = {"Read Me.pdf": b"%PDF-1.4\n% DCA licensee lists: read me\n%%EOF\n",
             "Public Information Disclaimer.pdf": b"%PDF-1.4\n% disclaimer\n%%EOF\n"}

MQA_BASE = "/mqasearchservices/"
MQA_FORM = "/mqasearchservices/healthcareproviders"
MQA_EXPORT = "/mqasearchservices/healthcareproviders/exporttocsvlvp"
MQA_ACUPUNCTURE_CODE = "3501"  # unconfirmed
MQA_FILENAME = "Healthcareproviders.csv"


def _id(*parts: object, digits: int = 12) -> str:
    """A stable numeric id made from names: Box ids are numeric strings."""
    value = int(hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest(), 16)
    return str(10 ** (digits - 1) + value % (9 * 10 ** (digits - 1)))


@dataclass
class BoxFile:
    id: str
    name: str
    content: bytes
    version: int = 0  # the sequence id: one more at every new content

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.content).hexdigest()

    @property
    def version_id(self) -> str:
        return _id(self.id, self.version, self.sha1, digits=13)

    def entry(self) -> dict[str, Any]:
        return {"type": "file", "id": self.id,
                "file_version": {"type": "file_version", "id": self.version_id, "sha1": self.sha1},
                "sequence_id": str(self.version), "etag": str(self.version), "sha1": self.sha1,
                "name": self.name}


@dataclass
class BoxFolder:
    id: str
    name: str
    folders: list[BoxFolder] = field(default_factory=list)
    files: list[BoxFile] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        return {"type": "folder", "id": self.id, "sequence_id": "0", "etag": "0",
                "name": self.name}

    def entries(self) -> list[dict[str, Any]]:
        """Folders first, then files, each by name, as Box lists a standard folder."""
        def by_name(item: BoxFolder | BoxFile) -> tuple[str, str]:
            return item.name.casefold(), item.name
        return ([f.entry() for f in sorted(self.folders, key=by_name)]
                + [f.entry() for f in sorted(self.files, key=by_name)])

    def file(self, name: str) -> BoxFile | None:
        return next((f for f in self.files if f.name == name), None)


def box_error(status: int, code: str, message: str, request_id: str,
              errors: list[dict] | None = None) -> Response:
    body: dict[str, Any] = {"type": "error", "status": status, "code": code}
    if errors:
        body["context_info"] = {"errors": errors}
    body.update(help_url=BOX_HELP_URL, message=message, request_id=request_id)
    return json_response(body, status)


class DcaBoxSite:
    """The DCA token endpoint, the Box API and Box's download host, over one Box tree.

    Test controls: `token_ttl` (seconds) and `expire_tokens()`; `replace_rows(rows, parts=)`,
    `rename_column(old, new)`, `set_files({name: bytes or None})` and `remove_folder(name)`
    change what the next run finds; `counts` holds the requests answered by kind ("token",
    "listing", "info", "content", "download", and "unauthorized" for the 401s).
    """

    prefixes = ("/dca/", "/box/", "/boxcloud/")

    def __init__(self, data: BoardFileData, *, parts: int = 2, token_ttl: float = 3600.0,
                 clock: Any = None):
        self.data = data
        self.rows: list[dict[str, str]] = list(data.rows)
        self.columns: list[str] = list(DCA_COLUMNS)
        self.parts = parts
        self.token_ttl = token_ttl
        self._clock = clock or time.monotonic
        self._tokens: dict[str, float] = {}  # token -> when it was issued
        self._issued = 0
        self._requests = 0
        self._downloads: dict[str, bytes] = {}  # signature -> the bytes of one file version
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.root = BoxFolder(ROOT_FOLDER_ID, "All Files")
        for name, stem, _, _ in DCA_BOARDS:
            folder = BoxFolder(_id("folder", name), name)
            self.root.folders.append(folder)
            if name == ACUPUNCTURE_BOARD:
                folder.files.append(BoxFile(_id("file", name, "layout", digits=13),
                                            "Acupuncture_Layout.pdf", LAYOUT_PDF))
                continue
            for file_name, body in dca_files(data.others.get(name, []), stem, parts=1).items():
                folder.files.append(BoxFile(_id("file", name, file_name, digits=13), file_name,
                                            body))
        for name, body in ROOT_PDFS.items():
            self.root.files.append(BoxFile(_id("file", name, digits=13), name, body))
        self._publish()

    # -- test controls -------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (the next Box call answers 401)."""
        with self._lock:
            self._tokens.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()

    def folder(self, name: str = ACUPUNCTURE_BOARD) -> BoxFolder | None:
        return next((f for f in self.root.folders if f.name == name), None)

    def file(self, name: str, folder: str = ACUPUNCTURE_BOARD) -> BoxFile | None:
        where = self.folder(folder)
        return where.file(name) if where else None

    def data_files(self) -> dict[str, bytes]:
        """The acupuncture folder's `_DataNN.xls` files as served now, by name."""
        folder = self.folder()
        return {f.name: f.content for f in sorted(folder.files, key=lambda f: f.name)
                if "_Data" in f.name} if folder else {}

    def replace_rows(self, rows: Sequence[dict[str, str]], *, parts: int | None = None) -> None:
        """A monthly refresh: the acupuncture files rewritten from `rows` (split into `parts`
        files, the same number as before unless given). A file whose bytes change gets a new
        version (sha1, etag, sequence id); one that is no longer needed goes."""
        self.rows = list(rows)
        if parts is not None:
            self.parts = parts
        self._publish()

    def rename_column(self, old: str, new: str) -> None:
        """The board renames a column: the header changes, the rows keep their values."""
        self.columns = [new if c == old else c for c in self.columns]
        self.rows = [{(new if k == old else k): v for k, v in row.items()} for row in self.rows]
        self._publish()

    def set_files(self, files: Mapping[str, bytes | None]) -> None:
        """Put bytes in the acupuncture folder under those names (a new file, or a new version
        of one: truncated, garbage...), or remove the named file (None)."""
        folder = self.folder()
        if folder is None:
            raise KeyError(ACUPUNCTURE_BOARD)
        with self._lock:
            for name, body in files.items():
                self._put(folder, name, body)

    def remove_folder(self, name: str = ACUPUNCTURE_BOARD) -> None:
        with self._lock:
            self.root.folders = [f for f in self.root.folders if f.name != name]

    def _publish(self) -> None:
        folder = self.folder()
        if folder is None:
            return
        files: dict[str, bytes | None] = {f.name: None for f in folder.files if "_Data" in f.name}
        files.update(dca_files(self.rows, "Acupuncture", self.parts, self.columns))
        with self._lock:
            for name, body in files.items():
                self._put(folder, name, body)

    def _put(self, folder: BoxFolder, name: str, body: bytes | None) -> None:
        current = folder.file(name)
        if body is None:
            folder.files = [f for f in folder.files if f.name != name]
        elif current is None:
            folder.files.append(BoxFile(_id("file", folder.name, name, digits=13), name, body))
        elif current.content != body:
            current.content, current.version = body, current.version + 1

    # -- serving -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            self._requests += 1
            request_id = hashlib.sha1(f"request-{self._requests}".encode()).hexdigest()[:15]
        path = request.path
        if path == TOKEN_PATH:
            return self._token()
        if path.startswith(DOWNLOAD_PATH):
            return self._download(path[len(DOWNLOAD_PATH):])
        if path.startswith(BOX_API + "/"):
            return self._api(request, path[len(BOX_API) + 1:].strip("/").split("/"), request_id)
        return Response(404, {"Content-Type": "text/html; charset=utf-8"},
                        b"<html><body><h1>404 - Page Not Found</h1></body></html>")

    def _token(self) -> Response:
        with self._lock:
            self._issued += 1
            token = hashlib.sha256(f"dca-box-token-{self._issued}".encode()).hexdigest()[:32]
            self._tokens[token] = self._clock()
            self.counts["token"] += 1
        return json_response(token)

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        with self._lock:
            issued = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            return issued is not None and self._clock() - issued < self.token_ttl

    def _api(self, request: Request, parts: list[str], request_id: str) -> Response:
        if not self._authorized(request):
            with self._lock:
                self.counts["unauthorized"] += 1
            response = box_error(401, "unauthorized", "Unauthorized", request_id)
            response.headers["WWW-Authenticate"] = INVALID_TOKEN
            return response
        if len(parts) == 3 and parts[0] == "folders" and parts[2] == "items":
            return self._items(request, parts[1], request_id)
        if len(parts) in (2, 3) and parts[0] == "files" and parts[2:] in ([], ["content"]):
            with self._lock:
                found = self._find_file(parts[1])
            if found is None:
                return _not_found("file", parts[1], request_id)
            if len(parts) == 2:
                with self._lock:
                    self.counts["info"] += 1
                return json_response({**found.entry(), "size": len(found.content)})
            return self._content(request, found)
        return box_error(404, "not_found", "Not Found", request_id)

    def _items(self, request: Request, folder_id: str, request_id: str) -> Response:
        paging = {}
        for name, default in (("limit", BOX_DEFAULT_LIMIT), ("offset", 0)):
            text = request.query.get(name, str(default))
            if not text.isdigit() or (name == "limit" and int(text) < 1):
                return box_error(400, "bad_request", "Bad Request", request_id, [{
                    "reason": "invalid_parameter", "name": name,
                    "message": f"Invalid value '{text}'. '{name}' must be a positive integer"}])
            paging[name] = int(text)
        limit, offset = min(paging["limit"], BOX_MAX_LIMIT), paging["offset"]
        with self._lock:
            folder = self._find_folder(folder_id)
            if folder is None:
                return _not_found("folder", folder_id, request_id)
            entries = folder.entries()
            self.counts["listing"] += 1
        return json_response({"total_count": len(entries), "entries": entries[offset:offset + limit],
                              "offset": offset, "limit": limit, "order": BOX_ORDER})

    def _content(self, request: Request, found: BoxFile) -> Response:
        signature = hashlib.sha1(f"dl-{found.version_id}-{found.sha1}".encode()).hexdigest()
        with self._lock:
            self._downloads[signature] = found.content
            self.counts["content"] += 1
        host = request.header("Host")
        location = f"{DOWNLOAD_PATH}{signature}/{found.id}"
        if host:
            location = f"http://{host}{location}"
        return Response(302, {"Location": location, "Cache-Control": "no-cache, no-store"})

    def _download(self, rest: str) -> Response:
        signature, _, file_id = rest.partition("/")
        with self._lock:
            body = self._downloads.get(signature)
            found = self._find_file(file_id)
            if body is not None:
                self.counts["download"] += 1
        if body is None or found is None:
            return Response(404, {"Content-Type": "text/html"}, b"<html>Not Found</html>")
        return Response(200, {"Content-Type": "application/octet-stream",
                              "Content-Disposition": f'attachment;filename="{found.name}"'}, body)

    def _find_folder(self, folder_id: str) -> BoxFolder | None:
        if folder_id == self.root.id:
            return self.root
        return next((f for f in self.root.folders if f.id == folder_id), None)

    def _find_file(self, file_id: str) -> BoxFile | None:
        for folder in (self.root, *self.root.folders):
            for found in folder.files:
                if found.id == file_id:
                    return found
        return None


def _not_found(kind: str, item_id: str, request_id: str) -> Response:
    return box_error(404, "not_found", "Not Found", request_id, [{
        "reason": "invalid_parameter", "name": kind,
        "message": f"Invalid value '{item_id}'. '{kind}' with value '{item_id}' not found"}])


# -- Florida ----------------------------------------------------------------------------------------


class MqaSite:
    """The MQA search form and its CSV export.

    Test controls: `replace_rows(rows)` (the acupuncture export's rows), `set_export(body)` (raw
    bytes served as the acupuncture export in place of the CSV; None goes back to the rows),
    `quirk_share`; `counts` holds the requests answered by kind ("form", "export", "error").
    """

    def __init__(self, data: BoardFileData, *, acupuncture_code: str = MQA_ACUPUNCTURE_CODE,
                 quirk_share: float = 0.05):
        taken = {code for code, _, _ in MQA_PROFESSIONS}
        if acupuncture_code in taken or not acupuncture_code.isdigit():
            raise ValueError(f"acupuncture code {acupuncture_code!r} is another profession's "
                             f"or not a code")
        self.data = data
        self.acupuncture_code = acupuncture_code
        self.rows: list[dict[str, str]] = list(data.rows)
        self.quirk_share = quirk_share
        self.export_override: bytes | None = None
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def professions(self) -> list[tuple[str, str]]:
        """(code, label) as the form lists them: by label."""
        listed = [(code, label) for code, label, _ in MQA_PROFESSIONS]
        listed.append((self.acupuncture_code, self.data.profession))
        return sorted(listed, key=lambda item: item[1].casefold())

    def replace_rows(self, rows: Sequence[dict[str, str]]) -> None:
        self.rows = list(rows)

    def set_export(self, body: bytes | None) -> None:
        self.export_override = body

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()

    def handle(self, request: Request) -> Response:
        path = request.path.lower().rstrip("/")
        if path == MQA_FORM:
            self._count("form")
            return _html(self.form_page())
        if path == MQA_EXPORT:
            return self._export(request)
        return _html(_error_page("The resource cannot be found.", "HTTP 404"), 404)

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def _export(self, request: Request) -> Response:
        try:
            model = json.loads(request.query["jsonModel"])
            if not isinstance(model, dict):
                raise TypeError("jsonModel is not an object")
        except (KeyError, ValueError, TypeError) as exc:
            self._count("error")
            return _html(_error_page(f"{type(exc).__name__}: {html.escape(str(exc))}",
                                     "Exception"), 500)
        self._count("export")
        code = str(model.get("Profession") or "")
        status = str(model.get("LicenseStatus") or "ALL").upper()
        if code == self.acupuncture_code:
            if self.export_override is not None:
                return _csv(self.export_override)
            rows = self.rows
        else:
            rows = self.data.others.get(code, [])
        return _csv(mqa_csv(self.filtered(rows, status)))

    def filtered(self, rows: Sequence[dict[str, str]], status: str) -> list[dict[str, str]]:
        """The rows a `LicenseStatus` filter answers: "ALL" every one, "I" the ones not active,
        "A" the active ones and, the real server's quirk, some others anyway (`quirk_share` of
        the answer, the same rows every time); anything else none."""
        if status == "ALL":
            return list(rows)
        active = [row.get("License Status") in MQA_ACTIVE for row in rows]
        if status == "I":
            return [row for row, on in zip(rows, active, strict=True) if not on]
        if status != "A":
            return []
        others = [i for i, on in enumerate(active) if not on]
        wanted = round(sum(active) * self.quirk_share / (1 - self.quirk_share))

        def key(i: int) -> int:
            return zlib.crc32(f"{rows[i].get('License')}|{rows[i].get('Name')}".encode())

        leaked = set(sorted(others, key=key)[:wanted])
        return [row for i, row in enumerate(rows) if active[i] or i in leaked]

    def form_page(self) -> str:
        options = "\n".join(f'            <option value="{code}">{html.escape(label)}</option>'
                            for code, label in self.professions)
        counties = "\n".join(f'            <option value="{k}">{name}</option>' for k, name in
                             enumerate(("Alachua", "Broward", "Duval", "Hillsborough",
                                        "Miami-Dade", "Orange", "Palm Beach", "Pinellas"),
                                       start=1))
        return FORM_PAGE.format(professions=options, counties=counties)


def _html(text: str, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))


def _csv(body: bytes) -> Response:
    return Response(200, {"Content-Type": "text/csv",
                          "Content-Disposition": f"attachment; filename={MQA_FILENAME}"}, body)


def _error_page(message: str, kind: str) -> str:
    return ERROR_PAGE.format(message=message, kind=kind)


FORM_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Search - MQA Search Portal</title>
    <link href="/MQASearchServices/Content/bootstrap.css" rel="stylesheet"/>
    <script src="/MQASearchServices/Scripts/jquery-3.4.1.js"></script>
</head>
<body>
<div class="container body-content">
    <h2>Health Care Provider Search</h2>
    <form action="/MQASearchServices/HealthCareProviders" id="searchForm" method="post">
        <input name="__RequestVerificationToken" type="hidden"
            value="CfDJ8Nq3Wc0s1kGmQbd7yD2pZr9" />
        <div class="form-group">
        <label for="SearchDto_Board">Board</label>
        <select class="form-control" id="SearchDto_Board" name="SearchDto.Board">
            <option value="">-- Select Board --</option>
            <option value="5">Chiropractic Medicine</option>
            <option value="7">Dentistry</option>
            <option value="15">Medicine</option>
            <option value="26">Nursing</option>
        </select>
        </div>
        <div class="form-group">
        <label for="SearchDto_Profession">Profession</label>
        <select class="form-control" data-val="true"
            data-val-required="The Profession field is required." id="SearchDto_Profession"
            name="SearchDto.Profession">
            <option value="">-- Select Profession --</option>
{professions}
        </select>
        </div>
        <div class="form-group">
        <label for="SearchDto_LicenseStatus">License Status</label>
        <select class="form-control" id="SearchDto_LicenseStatus" name="SearchDto.LicenseStatus">
            <option value="ALL">All</option>
            <option selected="selected" value="A">Active</option>
            <option value="I">Inactive</option>
        </select>
        </div>
        <div class="form-group">
        <label for="SearchDto_County">County</label>
        <select class="form-control" id="SearchDto_County" name="SearchDto.County">
            <option value="">-- Select County --</option>
{counties}
        </select>
        </div>
        <input class="form-control" id="SearchDto_LastName" name="SearchDto.LastName"
            type="text" value="" />
        <input class="form-control" id="SearchDto_FirstName" name="SearchDto.FirstName"
            type="text" value="" />
        <input class="form-control" id="SearchDto_LicenseNumber" name="SearchDto.LicenseNumber"
            type="text" value="" />
        <input class="form-control" id="SearchDto_City" name="SearchDto.City" type="text"
            value="" />
        <button type="submit" class="btn btn-primary">Search</button>
        <a href="#" id="exportCsv" class="btn btn-default">Export to CSV</a>
    </form>
</div>
<script>
    $("#exportCsv").click(function () {{
        var model = {{ Id: 0, Profession: $("#SearchDto_Profession").val(),
                      LicenseStatus: $("#SearchDto_LicenseStatus").val() }};
        window.location = "/MQASearchServices/Healthcareproviders/ExportToCsvLVP?jsonModel="
            + encodeURIComponent(JSON.stringify(model));
        return false;
    }});
</script>
</body>
</html>
"""

ERROR_PAGE = """<!DOCTYPE html>
<html>
<head><title>Runtime Error</title></head>
<body bgcolor="white">
<span><h1>Server Error in '/MQASearchServices' Application.<hr width=100% size=1 color=silver></h1>
<h2><i>{message}</i></h2></span>
<b>Exception Details: </b>{kind}<br><br>
</body>
</html>
"""

