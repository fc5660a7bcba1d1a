"""lookup boards against httpx.MockTransport."""
from __future__ import annotations

import httpx
import pytest

from scraper.config import HttpConfig
from scraper.http import Fetcher
from scraper.sources import lookup

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retry_after=5,
                  max_retries=1)
KEY = "operator-own-key-5f1d2c"


def fetcher_for(handler, **http):
    seen = []

    def wrapped(request):
        seen.append(request)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return handler(request)
    cfg = HttpConfig(**{**HTTP.__dict__, **http}) if http else HTTP
    return Fetcher(cfg, transport=httpx.MockTransport(wrapped)), seen


def test_nysed_key_is_not_sent_to_another_host_on_a_redirect():
    def handler(request):
        if request.url.host == "api.nysed.gov":
            return httpx.Response(302, headers={"Location": "https://evil.example/collect"})
        return httpx.Response(204)
    fetcher, seen = fetcher_for(handler)
    board = lookup.configure(lookup.BOARDS["ny-nysed"], {"api_key": KEY})
    with fetcher:
        lookup.ask_nysed(board, fetcher, "012345")
    leaked = [str(r.url) for r in seen if r.url.host == "evil.example"
              and r.headers.get("x-oapi-key") == KEY]
    assert not leaked, f"the operator's key went to {leaked}"


def test_dhp_follows_a_detail_link_only_on_the_board_s_own_host():
    """A result page's link to /lookup/detail/ on another (here private) host is followed."""
    form = ('<form><input name="__RequestVerificationToken" value="t"></form>')
    results = ('<html><a href="http://169.254.169.254/lookup/detail/latest/meta-data">x</a>'
               '</html>')

    def handler(request):
        if request.url.host == "dhp.virginiainteractive.org":
            if request.method == "GET":
                return httpx.Response(200, text=form, headers={"Content-Type": "text/html"})
            return httpx.Response(200, text=results, headers={"Content-Type": "text/html"})
        return httpx.Response(200, text="<th>Name</th><td>X</td>",
                              headers={"Content-Type": "text/html"})
    fetcher, seen = fetcher_for(handler)
    board = lookup.configure(lookup.BOARDS["va-dhp"], {})
    with fetcher:
        try:
            lookup.ask_dhp(board, fetcher, "0000000001")
        except Exception:  # noqa: BLE001 (refusing is fine; following is not)
            pass
    other = [str(r.url) for r in seen if r.url.host == "169.254.169.254"]
    assert not other, f"followed a link off the board's host: {other}"


def test_a_settings_error_does_not_echo_the_nysed_key():
    with pytest.raises(ValueError) as info:
        lookup.configure(lookup.BOARDS["ny-nysed"], {"api_key": 123456789012})
    assert "123456789012" not in str(info.value)


def test_a_refusal_that_echoes_the_key_does_not_put_it_in_the_number_s_note():
    """APIs often answer a bad key with it quoted back ("invalid key ..."): the note of the
    failed number (run_checkpoints.note, license_lookups.detail, the run's notes) must not
    carry it."""
    def handler(request):
        return httpx.Response(403, text=f"Forbidden: key {request.headers['x-oapi-key']} "
                              "is not valid for this API")
    fetcher, _ = fetcher_for(handler)
    board = lookup.configure(lookup.BOARDS["ny-nysed"], {"api_key": KEY})
    source = lookup.LookupSource(board)
    with fetcher:
        step = source._ask(board, fetcher, None, "012345", "lookup:NY:012345", {"12345"})
    assert KEY not in (step.state.note or ""), step.state.note


def test_a_board_redirect_to_a_private_address_is_not_followed():
    """The board (or whoever answers for its host) redirects the search to the cloud metadata
    address: its answer would land in the number's failure note (the first 60 characters)."""
    def handler(request):
        if request.url.host == "api.medboard.mass.gov":
            return httpx.Response(307, headers={"Location": "http://169.254.169.254/latest/"})
        return httpx.Response(200, text="SECRET-METADATA-TOKEN")
    fetcher, seen = fetcher_for(handler)
    board = lookup.configure(lookup.BOARDS["ma-borim"], {})
    source = lookup.LookupSource(board)
    with fetcher:
        try:
            source._ask(board, fetcher, None, "12345", "lookup:MA:12345", {"12345"})
        except Exception:  # noqa: BLE001 (refusing is fine; following is not)
            pass
    assert not [r for r in seen if r.url.host == "169.254.169.254"]
