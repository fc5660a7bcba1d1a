"""The discovery steps of board files that start from a web page.

``page`` (Missouri's downloads, a Salesforce site): the one link of the page whose text or
address matches ``link_pattern`` is the file. A link to another host is an address taken from
data: it must be a public one, and so must its download's redirects. The real page builds its
links with script (2026-09: a plain GET sees none): then ``file_url`` names the file, as a
browser shows it, and the page is not asked.

``form``: a roster behind an ASP.NET WebForms search page.

New Jersey's bulk verification (``newjersey.mylicense.com/Verification_Bulk``: pick a profession,
download a file; "no CAPTCHA, no login, no fee", evidence 2026-12) and Maine's ALMS search
(``SearchIndividual.aspx``, then ``ExportToCSV.aspx`` in the same session) work the way such
pages do in a browser:

1. GET the search page (ALMS redirects once to add ``AspxAutoDetectCookieSupport=1`` and sets a
   session cookie; the client keeps cookies per host);
2. post the form back to its own action as a browser would: every hidden field (the view state,
   split over ``__VIEWSTATE``, ``__VIEWSTATE1``... on ALMS, ``__EVENTVALIDATION``...), every
   other field with the value the page gives it (a list box with nothing selected sends nothing:
   ALMS answers an error page to an empty one), the board chosen in ``choice_field`` and the
   search button ``submit_field``. These are the page's ordinary fields, no anti-automation
   token;
3. then either GET ``export_url`` in the same session (Maine), or follow the answer: a link
   whose text or address matches ``download_pattern`` is the file; a page with a button
   matching ``confirm_pattern`` (New Jersey's order screen, which reads $0.00) is posted back
   the same way, at most ``MAX_STEPS`` times. A page that asks for any amount above $0.00 stops
   the run: the roster is free, and a fee means the page is not what we know.

Every page is looked at for a CAPTCHA or a bot challenge (the client detects Cloudflare's; here
a reCAPTCHA, hCaptcha, Turnstile or image CAPTCHA in the form): the run stops, nothing is
worked around. The choice's value (a regulator id, a profession code) is read from the form's
list by its label (``choice_pattern``) unless ``choice`` is set; the run's notes say which.
Unconfirmed details (the field names on New Jersey's page, the patterns) are settings that
``practitioners check`` lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from bs4.element import Tag

from ..http import Fetcher
from ..models import Page
from ..parsing import ParseError
from .base import SourceError

if TYPE_CHECKING:
    from .boardfile import BoardFile, Remote

MAX_STEPS = 3  # confirmation pages after the search, at most
# What a form guarded by a CAPTCHA carries (the client itself detects Cloudflare's pages).
CAPTCHA = re.compile(r"g-recaptcha|grecaptcha\.execute|h-captcha|hcaptcha\.com|cf-turnstile|"
                     r"frc-captcha|captcha\w*\.(?:axd|ashx|aspx|php|jpg|png)|"
                     r"(?:name|id)\s*=\s*[\"']?[^\"'\s>]*captcha", re.IGNORECASE)
# An amount of money as order pages write it: "$25.00", "USD 25", "25.00 USD", "25.00 dollars".
AMOUNT = re.compile(r"(?:\$|\bUSD)\s?([0-9][0-9,]*(?:\.[0-9]{2})?)"
                    r"|\b([0-9][0-9,]*(?:\.[0-9]{2})?)\s?(?:USD|dollars?)\b", re.IGNORECASE)
PAGE_OPTIONS = ("page_url", "link_pattern", "file_url")
PAGE_REQUIRED = ("page_url", "link_pattern")
FORM_OPTIONS = ("form_url", "choice_field", "choice", "choice_pattern", "submit_field",
                "export_url", "download_pattern", "confirm_pattern")
FORM_REQUIRED = ("form_url", "choice_field", "submit_field")


@dataclass
class Form:
    """A page's form as a browser would send it."""

    action: str  # absolute
    fields: list[tuple[str, str]] = field(default_factory=list)  # all but the buttons
    buttons: dict[str, str] = field(default_factory=dict)  # submit name -> value
    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # select -> {value: label}

    def data(self, values: dict[str, str], button: str) -> list[tuple[str, str]]:
        """The fields to post, in the page's order (a list box may send a name twice): the
        page's, ``values`` in place of theirs, and the one button."""
        sent = [(name, value) for name, value in self.fields if name not in values]
        return [*sent, *values.items(), (button, self.buttons[button])]


def challenge(html: str) -> str | None:
    """What CAPTCHA the page shows, if any."""
    found = CAPTCHA.search(html)
    return found.group(0) if found else None


def parse_forms(html: str, url: str) -> list[Form]:
    """Every form of the page, with what a browser would send for it."""
    soup = BeautifulSoup(html, "lxml")
    forms = []
    for tag in soup.find_all("form"):
        form = Form(urljoin(url, str(tag.get("action") or url)))
        for item in tag.find_all(("input", "select", "textarea", "button")):
            name = str(item.get("name") or "")
            if not name or item.has_attr("disabled"):
                continue
            kind = str(item.get("type") or ("submit" if item.name == "button" else "text")).lower()
            if item.name == "select":
                _select(form, item, name)
            elif kind in ("submit", "image") or item.name == "button":
                form.buttons[name] = str(item.get("value") or item.get_text(" ", strip=True))
            elif kind in ("checkbox", "radio"):
                if item.has_attr("checked"):
                    form.fields.append((name, str(item.get("value") or "on")))
            elif kind not in ("reset", "file"):
                value = item.get_text() if item.name == "textarea" else item.get("value")
                form.fields.append((name, str(value or "")))
        forms.append(form)
    return forms


def _select(form: Form, item: Tag, name: str) -> None:
    options = item.find_all("option")
    form.choices[name] = {str(o.get("value", o.get_text(strip=True))):
                          " ".join(o.get_text().split()) for o in options}
    chosen = [o for o in options if o.has_attr("selected")]
    if not chosen and not item.has_attr("multiple") and options:
        chosen = options[:1]  # a drop-down sends its first option; a list box nothing
    for option in chosen:
        form.fields.append((name, str(option.get("value", option.get_text(strip=True)))))


def _page(cfg: BoardFile, page: Page, what: str) -> str:
    text = page.text
    found = challenge(text)
    if found:
        raise SourceError(f"{cfg.source_id}: {what} ({page.url}) shows a CAPTCHA ({found!r}): "
                          "the roster is gated; nothing is worked around")
    return text


def _title(html: str) -> str:
    found = re.search(r"<title[^>]*>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
    return " ".join(found.group(1).split())[:80] if found else "no title"


def _same_site(cfg: BoardFile, url: str) -> None:
    if urlsplit(url).netloc != urlsplit(cfg.options["form_url"]).netloc:
        raise SourceError(f"{cfg.source_id}: the form leads to {url}, another site than its "
                          f"own ({cfg.options['form_url']}): not followed")


def _pattern(cfg: BoardFile, name: str) -> re.Pattern[str]:
    try:
        return re.compile(cfg.options.get(name) or r"(?!)", re.IGNORECASE)
    except re.error as exc:
        raise SourceError(f"[sources.{cfg.source_id}] {name} = {cfg.options[name]!r} is not "
                          f"a valid pattern: {exc}") from exc


def choose(cfg: BoardFile, form: Form) -> tuple[str, str]:
    """The value to choose in ``choice_field``, and how it was found (for the notes)."""
    field_name = cfg.options["choice_field"]
    listed = form.choices[field_name]
    if cfg.options.get("choice"):
        value = cfg.options["choice"]
        if value not in listed:
            raise SourceError(f"{cfg.source_id}: choice = {value!r} (from the settings) is not "
                              f"in the form's list {field_name}: {_shown(listed)}")
        return value, f"{value} ({listed[value]!r}, from the settings)"
    wanted = _pattern(cfg, "choice_pattern")
    found = {v: label for v, label in listed.items() if v and wanted.search(label)}
    if len(found) != 1:
        what = "no entry" if not found else f"{len(found)} entries"
        raise SourceError(
            f"{cfg.source_id}: {what} of the form's list {field_name} match "
            f"{cfg.options.get('choice_pattern')!r}: {_shown(found or listed)}. Set "
            f"[sources.{cfg.source_id}] choice (the value) or choice_pattern.")
    [(value, label)] = found.items()
    return value, f"{value} ({label!r}) read from the form's list"


def _shown(listed: dict[str, str]) -> str:
    return ", ".join(f"{v} {label!r}" for v, label in list(listed.items())[:60]) or "empty"


def page_links(html: str, url: str) -> list[tuple[str, str]]:
    """Every link of a page: (its text, its absolute address), http(s) ones only."""
    soup = BeautifulSoup(html, "lxml")
    found = []
    for anchor in soup.find_all("a", href=True):
        href = urljoin(url, str(anchor["href"]).strip())
        if urlsplit(href).scheme in ("http", "https"):
            found.append((" ".join(anchor.get_text().split()), href))
    return found


def discover_page(fetcher: Fetcher, cfg: BoardFile) -> tuple[list[Remote], list[str]]:
    """The file linked from the board's downloads page: the one link whose text or address
    matches ``link_pattern``; ``file_url`` set, that address and no page."""
    from .boardfile import Remote

    if cfg.options.get("file_url"):
        url = cfg.options["file_url"]
        return [Remote(urlsplit(url).path.rpartition("/")[2] or url, url)], [
            f"file {url} (from the settings)"]
    page_url = cfg.options["page_url"]
    wanted = _pattern(cfg, "link_pattern")
    page = fetcher.get(page_url)
    links = page_links(page.text, page.url)
    found = list(dict.fromkeys(href for text, href in links
                               if wanted.search(text) or wanted.search(href)))
    if len(found) != 1:
        shown = ", ".join(f"{text[:40]!r}" for text, _ in links[:40]) or "no link at all"
        what = "no link" if not found else f"{len(found)} links"
        raise SourceError(
            f"{cfg.source_id}: {what} of {page_url} match {cfg.options['link_pattern']!r} (it "
            f"has {shown}); a page that builds its links with script shows none to a plain "
            f"GET. Set [sources.{cfg.source_id}] link_pattern, or file_url to the file's "
            "address.")
    url = found[0]
    # A link to another host is an address taken from data: it must be a public one, and so
    # must wherever its download redirects.
    foreign = urlsplit(url).netloc != urlsplit(page.url).netloc
    if foreign:
        fetcher.check_target(url, untrusted=True)
    text = next(text for text, href in links if href == url)
    name = urlsplit(url).path.rpartition("/")[2] or url
    return [Remote(name, url, public_redirects=foreign)], [
        f"file {url} ({text!r}), linked from {page_url}"]


def discover_form(fetcher: Fetcher, cfg: BoardFile) -> tuple[list[Remote], list[str]]:
    """The search form posted back with the board chosen, then the export's address (or the
    download link the answer leads to), to be read in the same session."""
    from .boardfile import Remote

    form_url = cfg.options["form_url"]
    page = fetcher.get(form_url)
    html = _page(cfg, page, "the search page")
    field_name, button = cfg.options["choice_field"], cfg.options["submit_field"]
    forms = [f for f in parse_forms(html, page.url) if field_name in f.choices]
    if len(forms) != 1 or button not in forms[0].buttons:
        selects = sorted({name for f in parse_forms(html, page.url) for name in f.choices})
        buttons = sorted({name for f in parse_forms(html, page.url) for name in f.buttons})
        raise ParseError(
            f"the search page ({_title(html)!r}) has no form with the list {field_name!r} and "
            f"the button {button!r} (its lists: {', '.join(selects[:20]) or 'none'}; buttons: "
            f"{', '.join(buttons[:20]) or 'none'}): the form changed? Set [sources."
            f"{cfg.source_id}] choice_field and submit_field.", url=page.url)
    form = forms[0]
    value, how = choose(cfg, form)
    notes = [f"{field_name} = {how}"]
    _same_site(cfg, form.action)
    answer = fetcher.post(form.action, form=form.data({field_name: value}, button))
    if cfg.options.get("export_url"):
        _page(cfg, answer, "the search's answer")
        url = cfg.options["export_url"]
        notes.append(f"searched; the export {url} in the same session")
        return [Remote(urlsplit(url).path.rpartition("/")[2] or url, url,
                       conditional=False)], notes
    for step in range(MAX_STEPS + 1):
        html = _page(cfg, answer, "the search's answer")
        remote = _download_link(cfg, html, answer.url)
        if remote is not None:
            notes.append(f"file {remote.url} after {step} confirmation page(s)")
            return [remote], notes
        answer = _confirm(fetcher, cfg, html, answer.url)
    raise SourceError(f"{cfg.source_id}: no download after {MAX_STEPS} confirmation pages: "
                      "the form's flow changed")


def _download_link(cfg: BoardFile, html: str, url: str) -> Remote | None:
    from .boardfile import Remote

    wanted = _pattern(cfg, "download_pattern")
    found = list(dict.fromkeys(href for text, href in page_links(html, url)
                               if wanted.search(text) or wanted.search(href)))
    if len(found) > 1:
        raise SourceError(f"{cfg.source_id}: {len(found)} links of {url} match "
                          f"download_pattern {cfg.options.get('download_pattern')!r}: "
                          f"{', '.join(found[:10])}")
    if not found:
        return None
    _same_site(cfg, found[0])
    return Remote(urlsplit(found[0]).path.rpartition("/")[2] or found[0], found[0],
                  conditional=False)


def _confirm(fetcher: Fetcher, cfg: BoardFile, html: str, url: str) -> Page:
    wanted = _pattern(cfg, "confirm_pattern")
    for form in parse_forms(html, url):
        buttons = [b for b, label in form.buttons.items()
                   if wanted.search(b) or wanted.search(label)]
        if buttons:
            soup = BeautifulSoup(html, "lxml")
            # an amount may be shown as text or in a (read-only) box of the form
            shown = " ".join([soup.get_text(" "), *(str(t.get("value") or "")
                                                    for t in soup.find_all("input"))])
            charged = [a for pair in AMOUNT.findall(shown) if (a := pair[0] or pair[1])
                       and float(a.replace(",", "")) > 0]
            if charged:
                raise SourceError(f"{cfg.source_id}: the order page ({url}) asks for "
                                  f"${charged[0]}: the roster was free; nothing is ordered")
            _same_site(cfg, form.action)
            return fetcher.post(form.action, form=form.data({}, buttons[0]))
    raise SourceError(
        f"{cfg.source_id}: the form's answer ({_title(html)!r}, {url}) has no link matching "
        f"download_pattern {cfg.options.get('download_pattern')!r} and no button matching "
        f"confirm_pattern {cfg.options.get('confirm_pattern')!r}: the form changed, or "
        "answered an error page")
