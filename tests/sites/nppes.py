"""Stand-in of the NPPES NPI Registry API v2.1 (`GET https://npiregistry.cms.hhs.gov/api/`).

Serves a list of provider records (see `nppes_data.py`) with the rules of the real API, as
documented on its help page and seen in recorded answers (`shared/samples/nppes_api_*.json`):

- `version=2.1` is required; `limit` defaults to 10 and may be 1..200, `skip` defaults to 0 and
  may be 0..1000, so one query reaches at most 1,200 records;
- a refused query is still HTTP 200, with a body `{"Errors": [{"field", "number", "description"}]}`;
- `result_count` counts the results *in this answer*, never the total: a client cannot learn how
  many records matched and must detect the cap itself (a full page at skip=1000);
- `state`, `enumeration_type`, `address_purpose` and `country_code=US` are refused when nothing
  else is asked ("Field state requires additional search criteria", as recorded by other clients);
- names, city and postal_code take a trailing `*` wildcard after at least 2 characters;
- a 5-digit postal_code also matches the ZIP+4 codes that begin with it;
- address criteria all apply to one address, chosen by `address_purpose`: PRIMARY is the LOCATION
  address, SECONDARY the `practiceLocations`, LOCATION both, MAILING the mailing address, and no
  purpose any of them.

Not mimicked: `use_first_name_alias` (the real API also matches nicknames, "BOB" for "ROBERT");
here names match exactly. The real order of results is undocumented; here it is by NPI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .server import Request, Response, json_response, text_response

MAX_LIMIT = 200
MAX_SKIP = 1000
DEFAULT_LIMIT = 10

# Criteria the API searches on; `version`, `limit`, `skip`, `pretty`, `name_purpose` and
# `use_first_name_alias` only shape a search.
CRITERIA = (
    "number", "enumeration_type", "taxonomy_description", "first_name", "last_name",
    "organization_name", "address_purpose", "city", "state", "postal_code", "country_code",
)
ADDRESS_CRITERIA = ("city", "state", "postal_code", "country_code")
# Criteria that cannot be the only ones of a query.
NEEDS_COMPANY = ("state", "enumeration_type", "address_purpose", "country_code")
WILDCARD_FIELDS = ("taxonomy_description", "first_name", "last_name", "organization_name", "city",
                   "postal_code")
ADDRESS_PURPOSES = ("LOCATION", "MAILING", "PRIMARY", "SECONDARY")

# (field, number, description). The texts of "04" (recorded sample) and of the state and
# enumeration_type refusals (captured live by other clients of the API) are the real ones; the
# wildcard text was seen in a client's fixture; the others are ours, in the same style.
NO_CRITERIA = ("generic", "04", "No valid search criteria provided")
NEEDS_COMPANY_ERRORS = {
    "state": ("state", "07", "Field state requires additional search criteria"),
    "enumeration_type": (
        "enumeration_type", "09", "Enumeration_type requires additional search criteria"),
    "address_purpose": (
        "address_purpose", "08", "Field address_purpose requires additional search criteria"),
    "country_code": (
        "country_code", "06", "Field country_code requires additional search criteria"),
}
WILDCARD_ERROR_NUMBER, WILDCARD_ERROR = "03", "Wildcards require at least two leading characters"


class NppesQueryError(ValueError):
    """A query the real API would refuse; `errors` holds the items of its `Errors` array."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(error["description"] for error in errors))
        self.errors = errors


def _error(field: str, number: str, description: str) -> dict[str, str]:
    return {"field": field, "number": number, "description": description}


def _text_matcher(value: str) -> Callable[[str], bool]:
    """Case-insensitive equality, or a prefix test for a trailing '*'."""
    wanted = value.strip().upper()
    if wanted.endswith("*"):
        stem = wanted[:-1]
        return lambda text: text.upper().startswith(stem)
    return lambda text: text.upper() == wanted


def _postal_matcher(value: str) -> Callable[[str], bool]:
    wanted = value.strip().replace("-", "")
    if wanted.endswith("*"):
        stem = wanted[:-1]
        return lambda code: code.startswith(stem)
    if len(wanted) == 5:  # the real API: a 5-digit code matches the ZIP+4 codes under it
        return lambda code: code[:5] == wanted
    return lambda code: code == wanted


# Which entries of `addresses` each address_purpose searches, and whether it also searches the
# practiceLocations ("secondary" locations).
PURPOSE_SCOPE = {
    "PRIMARY": (("LOCATION",), False),
    "SECONDARY": ((), True),
    "LOCATION": (("LOCATION",), True),
    "MAILING": (("MAILING",), False),
    None: (("LOCATION", "MAILING"), True),
}


def _candidate_addresses(provider: dict, purpose: str | None) -> list[dict]:
    kinds, secondary = PURPOSE_SCOPE[purpose]
    addresses = [a for a in provider.get("addresses") or () if a.get("address_purpose") in kinds]
    if secondary:
        addresses += provider.get("practiceLocations") or ()
    return addresses


class _Search:
    """A validated query: `matches(provider)` says whether a record answers it."""

    def __init__(self, params: Mapping[str, str], *, standalone_rules: bool = True):
        criteria = {
            name: str(params[name]).strip()
            for name in CRITERIA
            if params.get(name) is not None and str(params[name]).strip()
        }
        errors = []
        if not criteria:
            raise NppesQueryError([_error(*NO_CRITERIA)])
        if standalone_rules:
            companions = [
                name for name in criteria
                if name not in NEEDS_COMPANY
                # the real API accepts a foreign country alone, not "US"
                or (name == "country_code" and criteria[name].upper() != "US")
            ]
            if not companions:
                errors += [_error(*NEEDS_COMPANY_ERRORS[name])
                           for name in NEEDS_COMPANY if name in criteria]
        for name in WILDCARD_FIELDS:
            value = criteria.get(name, "")
            if value.endswith("*") and len(value[:-1].strip()) < 2:
                errors.append(_error(name, WILDCARD_ERROR_NUMBER, WILDCARD_ERROR))
        number = criteria.get("number")
        if number is not None and not (number.isdigit() and len(number) == 10):
            errors.append(_error("number", "02", "Field number must be a 10 digit NPI"))
        kind = criteria.get("enumeration_type", "").upper()
        if kind and kind not in ("NPI-1", "NPI-2"):
            errors.append(_error("enumeration_type", "05",
                                 "Field enumeration_type must be NPI-1 or NPI-2"))
        purpose = criteria.get("address_purpose", "").upper()
        if purpose and purpose not in ADDRESS_PURPOSES:
            errors.append(_error("address_purpose", "10", "Field address_purpose must be one of "
                                 "LOCATION, MAILING, PRIMARY, SECONDARY"))
        name_purpose = str(params.get("name_purpose") or "").strip().upper()
        if name_purpose and name_purpose not in ("AO", "PROVIDER"):
            errors.append(_error("name_purpose", "12", "Field name_purpose must be AO or Provider"))
        if errors:
            raise NppesQueryError(errors)

        self.tests: list[Callable[[dict], bool]] = []
        if number is not None:
            self.tests.append(lambda p: str(p.get("number")) == number)
        if kind:
            self.tests.append(lambda p: p.get("enumeration_type") == kind)
        if "taxonomy_description" in criteria:
            matcher = _text_matcher(criteria["taxonomy_description"])
            self.tests.append(
                lambda p: any(matcher(t.get("desc", "")) for t in p.get("taxonomies") or []))
        self._add_name_tests(criteria, name_purpose)
        self._add_address_test(criteria, purpose or None)

    def _add_name_tests(self, criteria: dict[str, str], name_purpose: str) -> None:
        # Individuals are searched on their own names, organizations on their authorized
        # official's (name_purpose=AO); with no name_purpose, both.
        for name in ("first_name", "last_name"):
            if name not in criteria:
                continue
            matcher = _text_matcher(criteria[name])

            def test(p: dict, name: str = name, matcher: Callable = matcher) -> bool:
                basic = p.get("basic") or {}
                if p.get("enumeration_type") == "NPI-1":
                    return name_purpose != "AO" and matcher(basic.get(name, ""))
                official = basic.get(f"authorized_official_{name}", "")
                return name_purpose != "PROVIDER" and matcher(official)

            self.tests.append(test)
        if "organization_name" in criteria:
            matcher = _text_matcher(criteria["organization_name"])

            def test_org(p: dict) -> bool:
                names = [(p.get("basic") or {}).get("organization_name", "")]
                names += [o.get("organization_name", "") for o in p.get("other_names") or []]
                return p.get("enumeration_type") == "NPI-2" and any(matcher(n) for n in names)

            self.tests.append(test_org)

    def _add_address_test(self, criteria: dict[str, str], purpose: str | None) -> None:
        address_tests: list[Callable[[dict], bool]] = []
        if "city" in criteria:
            city = _text_matcher(criteria["city"])
            address_tests.append(lambda a: city(a.get("city", "")))
        if "state" in criteria:
            state = criteria["state"].upper()
            address_tests.append(lambda a: a.get("state", "").upper() == state)
        if "postal_code" in criteria:
            postal = _postal_matcher(criteria["postal_code"])
            address_tests.append(lambda a: postal(a.get("postal_code", "")))
        if "country_code" in criteria:
            country = criteria["country_code"].upper()
            address_tests.append(lambda a: a.get("country_code", "").upper() == country)
        if not address_tests:
            return  # an address_purpose with no address criterion restricts nothing

        def test(p: dict) -> bool:
            for address in _candidate_addresses(p, purpose):
                for address_test in address_tests:
                    if not address_test(address):
                        break
                else:
                    return True
            return False

        # Addresses narrow a search most: test them before the rest.
        self.tests.insert(1 if "number" in criteria else 0, test)

    def matches(self, provider: dict) -> bool:
        for test in self.tests:
            if not test(provider):
                return False
        return True


def _bounded_int(params: Mapping[str, str], name: str, default: int, low: int, high: int,
                 errors: list[dict[str, str]]) -> int:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        number = "11" if name == "limit" else "13"
        errors.append(_error(name, number, f"Field {name} must be a number from {low} to {high}"))
        return default
    return value


class NppesApi:
    """The NPPES API over `providers`, a plain list that tests may change between requests."""

    def __init__(self, providers: Iterable[dict], *, keep_answers: bool = False):
        self.providers: list[dict] = list(providers)
        self._index_key: tuple | None = None
        self._by_state: dict[str, list[dict]] = {}
        self._matches: dict[tuple, list[dict]] = {}
        # keep_answers: each answer's bytes are kept until the list grows, shrinks or is
        # reindexed, so a benchmark measures the scraper, not the stand-in's JSON encoding.
        # Only for callers that never edit a record in place.
        self.keep_answers = keep_answers
        self._answers: dict[Any, Any] = {}

    # -- speed: a scraper pages through one query six times and asks one state at a time, so
    # records are indexed by every state they have an address in, and a query's matches are
    # kept until the list grows or shrinks. A test that edits a record's addresses or swaps
    # a record in place calls reindex().

    def reindex(self) -> None:
        self._index_key = None
        self._answers = {}

    def _matching(self, search: _Search, criteria: Mapping[str, str]) -> list[dict]:
        key = (id(self.providers), len(self.providers))
        if key != self._index_key:
            self._by_state = {}
            for provider in self.providers:
                states = {str(a.get("state") or "").upper()
                          for a in _candidate_addresses(provider, None)}
                for state in states:
                    self._by_state.setdefault(state, []).append(provider)
            self._matches = {}
            self._index_key = key
        cache_key = tuple(sorted((k, str(v)) for k, v in criteria.items()
                                 if k not in ("version", "limit", "skip", "pretty")))
        found = self._matches.get(cache_key)
        if found is None:
            state = str(criteria.get("state") or "").strip().upper()
            pool = self._by_state.get(state, []) if state else self.providers
            found = sorted((p for p in pool if search.matches(p)), key=lambda p: int(p["number"]))
            self._matches[cache_key] = found
        return found

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path not in ("/api", "/api/"):
            return text_response("Not Found\n", 404)
        if request.method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET"}, b"")
        indent = 2 if request.query.get("pretty") else None
        if not self.keep_answers:
            return json_response(self.search(request.query), indent=indent)
        if self._answers.get("of") != (id(self.providers), len(self.providers)):
            self._answers = {"of": (id(self.providers), len(self.providers))}
        key = tuple(sorted(request.query.items()))
        if key not in self._answers:
            self._answers[key] = json_response(self.search(request.query), indent=indent)
        kept = self._answers[key]
        return Response(kept.status, dict(kept.headers), kept.body)

    def search(self, params: Mapping[str, str]) -> dict:
        """The body the real API answers for these query parameters (a results page or Errors)."""
        errors: list[dict[str, str]] = []
        if str(params.get("version") or "").strip() != "2.1":
            errors.append(_error("version", "01", "Field version must be 2.1"))
        limit = _bounded_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors)
        skip = _bounded_int(params, "skip", 0, 0, MAX_SKIP, errors)
        try:
            search = _Search(params)
        except NppesQueryError as refused:
            errors += refused.errors
        if errors:
            return {"Errors": errors}
        matched = self._matching(search, params)
        page = matched[skip:skip + limit]
        return {"result_count": len(page), "results": page}

    # -- for tests -----------------------------------------------------------------------------

    def select(self, **criteria: str) -> list[dict]:
        """Every record matching the criteria, sorted by NPI, with no paging cap.

        Criteria are query parameters (`state="CA"`, `postal_code="941*"`); unlike the API, a
        criterion such as `state` may be used alone. Raises NppesQueryError on a refused query.
        """
        search = _Search(criteria, standalone_rules=False)
        return list(self._matching(search, criteria))

    def count(self, **criteria: str) -> int:
        """How many records match, past the API's 1,200 cap."""
        return len(self.select(**criteria))

    def npis(self, **criteria: str) -> set[int]:
        return {int(p["number"]) for p in self.select(**criteria)}

    def get(self, npi: int | str) -> dict | None:
        return next((p for p in self.providers if str(p["number"]) == str(npi)), None)

    def remove(self, npi: int | str) -> dict:
        """Take a record out (a provider deactivated between two runs) and return it."""
        provider = self.get(npi)
        if provider is None:
            raise KeyError(npi)
        self.providers.remove(provider)
        self.reindex()
        return provider
