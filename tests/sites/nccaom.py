"""Stand-in of the NCCAOM (now NCBAHM) "Find a Practitioner" directory
(`https://directory.ncbahm.org/FAP/`; `directory.nccaom.org` until the 2026 rename, where the
saved pages of tests/fixtures/nccaom were captured in 2025: same paths, same pages).

Mount `NccaomSite(data)` at "/FAP/" (data from `nccaom_data.generate_diplomates`). It answers:

- `GET /FAP/SearchResultWithoutMap?StateCode=XX&SearchType=2&PageNo=N`: one page of a state's
  diplomates, 20 `.result-card__item` cards, in the site's order (`nccaom_data`: display name,
  descending). The page is the saved real page (tests/fixtures/nccaom/, a 2025 capture of WA
  page 1) with only these parts replaced: the "NNN Practitioners found" count, the cards, the
  hidden `#hdnlastpage`, the state in `#hdnStateCode`, in the sort link and in the form script,
  and the "disable" class of the Prev/Next links. The cards are written line for line as the
  real ones (CRLF line ends, the same indentation, the unclosed `<p class="copy">` after a
  website); tests/test_site_nccaom.py rebuilds the saved page's 20 cards byte for byte.
  Edge cases (the real site's behaviour there is not known; these are our choices):
  - `PageNo` past the last page: the same count and `hdnlastpage`, no cards (the project's
    `parse_search` raises ParseError on it, as it demands cards when the count is not 0);
  - a state with nobody listed, an unknown or missing `StateCode`, or a `SearchType` other than
    2 (radius and name searches are not served): "0 Practitioners found", `hdnlastpage` 0
    (the number of pages), no cards;
  - `PageNo` missing, not a number or below 1: page 1;
  - parameter names and the page names after /FAP/ match in any case, as ASP.NET's do (the
    "/FAP/" prefix itself is routed by the SiteServer, which compares it as written).
- `GET /FAP/PractitionerDetail?AgencyClientId=ID`: the profile page, built like the saved
  profile (head, header and footer kept, `<main>` written in the same structure); an unknown or
  missing id answers 404 with a short HTML page.
- anything else under /FAP/: 404; a method other than GET or HEAD: 405.

Pages are served as UTF-8 `text/html`. Scripts and images the saved pages load from other hosts
(`src="https://maps.googleapis.com/..."`) are pointed at `/offline/<host>/...` on the stand-in,
which answers 404, so a browser opening a stand-in page never leaves the loopback; links
(`href`) are kept as they are.

Test controls:
- `challenge`: None (default), "cloudflare" or "turnstile". "cloudflare" answers every request
  with HTTP 403, `cf-mitigated: challenge`, `Server: cloudflare` and a "Just a moment..."
  interstitial that loads `/cdn-cgi/challenge-platform/...` (our own page, in the style of the
  real one); "turnstile" answers 200 with a page holding a `cf-turnstile` widget and the
  `challenges.cloudflare.com/turnstile` script. `challenged_requests` counts the answers given
  while challenged. (The stand-in server also sends its own `Server: StandIn/1.0` header first,
  so a client sees two `Server` headers.) robots.txt is the SiteServer's and is never challenged.
- `broken_markup = True`: the cards' class becomes `result-card__entry`, as if the site had
  been redesigned; the rest of the page is unchanged.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from pathlib import Path

from .nccaom_data import CERTIFICATE_BADGES, CERTIFICATE_TITLES, Diplomate, NccaomData
from .server import Request, Response

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nccaom"
SEARCH_FIXTURE = FIXTURES / "nccaom_fap_search_state_wa_page1.html"
PROFILE_FIXTURE = FIXTURES / "nccaom_fap_practitioner_profile_willow_hammer.html"
SEARCH_PATH = "/FAP/SearchResultWithoutMap"
PROFILE_PATH = "/FAP/PractitionerDetail"
OFFLINE_PREFIX = "/offline/"
CHALLENGES = (None, "cloudflare", "turnstile")
CARD_CLASS = "result-card__item"
BROKEN_CARD_CLASS = "result-card__entry"
HTML_TYPE = "text/html; charset=utf-8"


def search_path(state: str, page_no: int = 1) -> str:
    """The path of a state's results page, as the scraper asks for it."""
    return f"{SEARCH_PATH}?StateCode={state}&SearchType=2&PageNo={page_no}"


def offline(text: str) -> str:
    """Point `src` attributes at the stand-in instead of other hosts."""
    return re.sub(r'(\ssrc=["\'])https?://', r"\1" + OFFLINE_PREFIX, text)


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as file:  # keep the CRLF line ends
        return file.read()


def _mark(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of `old`; fail loudly when the saved page is not as expected."""
    count = text.count(old)
    if count != 1:
        raise ValueError(f"the saved NCCAOM page holds {old!r} {count} times, not once")
    return text.replace(old, new)


def _search_template() -> str:
    """The saved results page with @@NAME@@ markers where a page differs."""
    text = _read(SEARCH_FIXTURE)
    first = text.index(f'<div class="{CARD_CLASS}">')
    first = text.rindex("\n", 0, first) + 1
    last = text.rindex(f'<div class="{CARD_CLASS}">')
    end = text.index("\r\n                            </div>\r\n                    </div>", last) + 2
    text = text[:first] + "@@CARDS@@" + text[end:]
    for old, new in (
        ('<p class="title">789 Practitioners found</p>',
         '<p class="title">@@TOTAL@@ Practitioners found</p>'),
        ('id="hdnlastpage" value="40"', 'id="hdnlastpage" value="@@LASTPAGE@@"'),
        ('id="hdnStateCode" value="WA"', 'id="hdnStateCode" value="@@STATE@@"'),
        ("&amp;StateCode=WA&amp;", "&amp;StateCode=@@STATE@@&amp;"),
        ("$('#StateCode').val('WA');", "$('#StateCode').val('@@STATE@@');"),
        ("class='pagination__prev pagination__disable'", "class='@@PREVCLASS@@'"),
        ('class="pagination__next "', 'class="@@NEXTCLASS@@"'),
    ):
        text = _mark(text, old, new)
    return offline(text)


def _profile_template() -> tuple[str, str]:
    """The saved profile page before and after its `<main>`."""
    text = _read(PROFILE_FIXTURE)
    start, end = text.index("<main>\n"), text.index("</main>\n") + len("</main>\n")
    return offline(text[:start]), offline(text[end:])


SEARCH_TEMPLATE = _search_template()
PROFILE_HEAD, PROFILE_TAIL = _profile_template()
_MARKER = re.compile(r"@@([A-Z]+)@@")


def _fill(template: str, values: dict[str, str]) -> str:
    # One pass: text put in is never scanned again for markers.
    return _MARKER.sub(lambda match: values[match.group(1)], template)


# -- the results page -------------------------------------------------------------------------


def render_card(index: int, profile_id: str, name: str, gender: str, phone: str,
                website_text: str | None, website: str | None, address: str,
                certificates: tuple[str, ...] | list[str], card_class: str = CARD_CLASS) -> str:
    """One card, written as the real page writes it; `index` is its place on the page (1-20).
    Values are as shown ("Not Available" included); this function escapes them."""
    e = html.escape
    image = "doc-women-default.svg" if gender == "Female" else "doc-men-default.svg"
    profile = f"/FAP/PractitionerDetail?AgencyClientId={e(profile_id)}"
    lines: list[tuple[int, str]] = [  # (indentation, text)
        (36, f'<div class="{card_class}">'),
        (40, '<div class="img-box">'),
        (44, "<span>"),
        (56, f'<img alt="image" src="/content/dist/images/{image}" />'),
        (44, "</span>"),
        (40, "</div>"),
        (40, '<div class="info-box">'),
        (0, ""),
        (48, f'<p class="name"><a href="{profile}" title="View the profile of {e(name)}"> '
             f"{e(name)}</a></p>"),
        (44, f'<p class="gendar">Certified Diplomate | {e(gender)}</p>'),
        (44, '<div class="iconic-callout">'),
        (48, '<div class="iconic-callout__item">'),
        (52, '<i class="icon-call-end"></i>'),
        (52, '<p class="copy">'),
        (60, f"<em>{e(phone)}</em>"),
        (52, "</p>"),
        (48, "</div>"),
        (48, '<div class="iconic-callout__item">'),
        (52, '<i class="icon-globe"></i>'),
        (52, '<p class="copy">'),
    ]
    if website:
        lines += [
            (64, f"<span>{e(website_text or website)}</span>"),
            (64, f'<a href="{e(website)}" title="{e(website)}">Visit '
                 '<img src="/content/dist/images/icon-external-link.svg" alt="" /></a>'),
            (0, ""),
        ]
    else:  # the real page leaves this <p> open
        lines.append((0, "Not Available"))
    lines += [
        (48, "</div>"),
        (48, '<div class="iconic-callout__item">'),
        (52, '<i class="icon-location-pin"></i>'),
        (52, '<p class="copy">'),
        (64, f'<em id="addressdata_{index}">{e(address)}</em>'),
        (52, "</p>"),
        (48, "</div>"),
        (44, "</div>"),
        (40, "</div>"),
        (40, '<div class="cert-box">'),
        (44, '<div class="cerfapfap-init">'),
        (0, ""),
    ]
    for code in certificates:
        lines += [
            (52, '<div class="cert-box__item">'),
            (56, '<div class="content">'),
            (60, f'<p class="copy">{e(code)} Certification</p>'),
            (56, "</div>"),
            (56, '<div class="img-box">'),
            (60, '<img src="/content/dist/images/cert-dipl-acupuncture.png" alt="" />'),
            (56, "</div>"),
            (0, ""),
            (52, "</div>"),
        ]
    lines += [(0, ""), (44, "</div>"), (40, "</div>"), (36, "</div>")]
    return "".join(" " * indent + text + "\r\n" for indent, text in lines)


def diplomate_card(index: int, diplomate: Diplomate, card_class: str = CARD_CLASS) -> str:
    d = diplomate
    return render_card(index, d.profile_id, d.display_name, d.gender, d.phone_text,
                       d.website_text, d.website, d.card_address, d.certificates, card_class)


def render_cards(diplomates: list[Diplomate], *, broken_markup: bool = False) -> str:
    card_class = BROKEN_CARD_CLASS if broken_markup else CARD_CLASS
    return "".join(diplomate_card(i, d, card_class) for i, d in enumerate(diplomates, 1))


def render_search(state: str, page_no: int, total: int, last_page: int, cards: str) -> str:
    """The saved results page with this state, count, page and cards (`render_cards`)."""
    return _fill(SEARCH_TEMPLATE, {
        "CARDS": cards,
        "TOTAL": str(total),
        "LASTPAGE": str(last_page),
        "STATE": html.escape(state),
        "PREVCLASS": "pagination__prev pagination__disable" if page_no <= 1 else "pagination__prev ",
        "NEXTCLASS": ("pagination__next pagination__disable" if page_no >= last_page
                      else "pagination__next "),
    })


# -- the profile page -------------------------------------------------------------------------


def _js_string(value: str) -> str:
    """Text safe inside a single-quoted JavaScript string in a <script> element."""
    return (value.replace("\\", "\\\\").replace("'", "\\'").replace("</", "<\\/")
            .replace("\n", "\\n"))


def _badge_image(code: str) -> str:
    """A GUID-like image name, one per certificate, as the real badges have."""
    h = hashlib.sha1(f"badge:{code}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def render_profile(d: Diplomate) -> str:
    e = html.escape
    key = hashlib.sha1(d.profile_id.encode()).hexdigest()
    image = "doc-women-default.svg" if d.gender == "Female" else "doc-men-default.svg"
    titles = ", ".join(f"{CERTIFICATE_TITLES[c]} (NCCAOM)<sup>\u00ae</sup>" for c in d.certificates)
    if d.website:
        website = (f'<p><a href="{e(d.website)}" target="_blank" title="{e(d.website)}"><span>'
                   f'<i class="icon-globe"></i></span><em>{e(re.sub(r"^https?://", "", d.website))}'
                   "</em></a></p>")
    else:
        website = '<p><span><i class="icon-globe"></i></span><em>Not Available</em></p>'
    map_data = json.dumps({
        "PracticeSiteName": "", "FullAddress": d.profile_address, "PracticeSiteNamePref1": "",
        "PracticeSiteNamePref2": "", "FullAddressPref1": "", "FullAddressPref2": "",
        "AddressLine1Pref1Lat1": None, "AddressLine1Pref1Lat2": None,
        "AddressLine1Pref1Lng1": None, "AddressLine1Pref1Lng2": None,
        "WorkPhone": d.phone_text, "Latitude": None, "Longitude": None,
    }, separators=(",", ":"), ensure_ascii=False)
    badges = "".join(
        '<div class="certificate-item">\n'
        f'<a href="https://digitalbadge.nccaom.org/DiplomateBadgeProfile/{key[i * 8:i * 8 + 22]}==" '
        'target="_blank">\n'
        '<div class="certificate-item__icon"><img alt="image" '
        f'src="/Content/Badges/{_badge_image(code)}.png" /></div>\n'
        '<div class="certificate-item__text">\n'
        f'<p><span style="text-transform: none;">{e(CERTIFICATE_BADGES[code])}</span></p>\n'
        "</div>\n</a>\n</div>\n"
        for i, code in enumerate(d.certificates))
    education = "".join(
        '<li><span><img alt="image" src="/Content/dist/images/graduation-cap.svg" '
        f'class="mCS_img_loaded"></span> {e(school)}</li>\n<li class="course-name">{e(program)}</li>\n'
        for school, program in d.education)
    languages = "".join(
        '<li><span><img alt="image" src="/Content/dist/images/detail-language.svg" '
        f'class="mCS_img_loaded"></span> {e(language)}</li>\n' for language in d.languages)
    conditions = "".join(f"<li><span></span> {e(c)}</li>\n" for c in d.conditions)
    marker = (f'<svg class="map-icon" height="24" id="marker-{key[:7].upper()}" version="1" '
              'width="18"><path d="M0 9c0 4 4 10 7 13l2 2 2-2c3-3 7-9 7-13 0-5-4-9-9-9S0 4 0 9z">'
              '</path><text text-anchor="middle" x="9" y="13">1</text></svg>')
    on_click = f"FAPController.redirectToGoogleMap('{_js_string(d.profile_address)}')"
    strip_newlines = '.replace(/(\\r\\n|\\n|\\r)/gm, "")'
    main = f"""<main>
<section class="section section--detail-info">
<div class="section__background">
<div class="section__container">
<div class="detail-info">
<div class="detail-info__content">
<div class="content__imgbox">
<img alt="image" src="/content/dist/images/{image}" />
</div>
<div class="content__text">
<h2>{e(d.display_name)}</h2>
<h6>
{titles} | {e(d.gender)}
</h6>
<div class="addressinfo__item">
<div class="item-full">
<p><span><i class="icon-location-pin"></i></span><em>{e(d.profile_address)}</em></p>
</div>
</div>
<div class="addressinfo__item">
<div class="item-full">
<p><span><i class="icon-call-end"></i></span><em>{e(d.phone_text)}</em></p>
</div>
</div>
<div class="addressinfo__item">
<div class="item-full">
{website}
</div>
</div>
</div>
</div>
<div class="detail-info__gallery">
<div class="gallery-body gallery-init">
</div>
</div>
</div>
</div>
</div>
</section>
<section class="section section--detail-infoStripe">
<div class="section__background">
<div class="section__container">
<div class="detail-infoStripe">
<ul>
<li class="active"><a href="javascript:void(0)" data-id="about">About</a></li>
<li><a href="javascript:void(0)" data-id="location">Locations</a></li>
<li><a href="javascript:void(0)" data-id="education">Education & Background</a></li>
</ul>
</div>
</div>
</div>
</section>
<section id="about" class="section section--detail-about">
<div class="section__background">
<div class="section__container">
<div class="detail-about">
<h4>About Me</h4>
<p>{e(d.about)} </p>
</div>
</div>
</div>
</section>
<section id="location" class="section section--detail-location">
<div class="section__background">
<div class="section__container">
<div class="detail-location">
<div class="detail-location__content">
<h5>Practitioner Locations</h5>
<div class="content-item">
<div class="content-item__icon">{marker}</div>
<div class="content-item__address">
<h3 id="pracloc">Location 1</h3>
<p><a href="#" onclick="{e(on_click)}">{e(d.profile_address)} </a></p>
</div>
</div>
</div>
<script src="{OFFLINE_PREFIX}maps.googleapis.com/maps/api/js?libraries=places"></script>
<div class="detail-location__mapbox" id="Mapcontainer">
</div>
<input type="hidden" id="sourcestart" value />
<input class="abc" type="text" id="enddestination" value />
<script>
    $(function () {{
        GMapController.CreateGoogleMap(JSON.parse('{_js_string(map_data)}'{strip_newlines}));
    }});

</script>
</div>
</div>
</div>
</section>
<section id="education" class="section section--detail-education">
<div class="section__background">
<div class="section__container">
<div class="detail-education">
<div class="detail-education__col">
<div class="detail-education__badges">
<h5>Digital Badges Information</h5>
<div class="certificate-init">
{badges}</div>
</div>
</div>
<div class="detail-education__col">
<div class="detail-education__education">
<h5>Education</h5>
<ul>
{education}</ul>
</div>
</div>
<div class="detail-education__col">
<div class="detail-education__tags">
<h5>Languages Spoken</h5>
<ul>
{languages}</ul>
</div>
</div>
<div class="detail-education__col">
<div class="detail-education__health">
<h5>Health Conditions Treated</h5>
<ul>
{conditions}</ul>
</div>
</div>
</div>
</div>
</section>
</main>
"""
    return PROFILE_HEAD + main + PROFILE_TAIL


NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>NCCAOM Health & Medical</title></head>
<body><main><h1>Page not found</h1><p>The practitioner you are looking for is not listed.</p>
<p><a href="/">Find a Practitioner</a></p></main></body>
</html>
"""

# -- bot challenges (pages of our own, in the style of Cloudflare's) -----------------------------

CLOUDFLARE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>\
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" \
content="IE=Edge"><meta name="robots" content="noindex,nofollow"><meta name="viewport" \
content="width=device-width,initial-scale=1"><style>*{box-sizing:border-box;margin:0;padding:0}\
html{line-height:1.15;color:#313131;font-family:system-ui,-apple-system,sans-serif}\
.main-wrapper{display:flex;flex-direction:column;align-items:center}\
.main-content{margin:8rem auto;max-width:60rem;padding-left:1.5rem;width:100%}\
.h1{font-size:2.5rem;font-weight:500;line-height:3.75rem}\
.h2{font-size:1.5rem;font-weight:500;line-height:2.25rem}</style></head><body>\
<div class="main-wrapper" role="main"><div class="main-content">\
<h1 class="zone-name-title h1">directory.nccaom.org</h1>\
<h2 class="h2" id="challenge-running">Verifying you are human. This may take a few seconds.</h2>\
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to \
continue</span></div></noscript><div id="challenge-body-text" class="core-msg spacer">\
directory.nccaom.org needs to review the security of your connection before proceeding.</div>\
</div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'directory.nccaom.org',\
cType: 'managed',cRay: '@@RAY@@',cH: 'stand-in',cUPMDTk: '@@TARGET@@',cFPWv: 'g',cITimeS: '1772352000'};\
var cpo = document.createElement('script');\
cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=@@RAY@@';\
window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' \
: location.hash;\
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>\
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="text-center" \
id="footer-text">Ray ID: <code>@@RAY@@</code></div><div class="text-center">Performance &amp; \
security by Cloudflare</div></div></div></body></html>"""

TURNSTILE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>NCCAOM Health &amp; Medical - Security check</title>
<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>
</head>
<body>
<main>
<h1>Find a Practitioner</h1>
<p>Please confirm that you are a person to see the directory.</p>
<form action="/FAP/VerifyHuman" method="post">
<input type="hidden" name="ReturnUrl" value="@@TARGET@@" />
<div class="cf-turnstile" data-sitekey="1x00000000000000000000AA" data-callback="onVerified"></div>
<button type="submit">Continue</button>
</form>
</main>
</body>
</html>
"""


class NccaomSite:
    """The directory's results and profile pages from an `NccaomData`; see the module docstring.

    `data` may be replaced between requests.
    """

    def __init__(self, data: NccaomData):
        self.data = data
        self.broken_markup = False
        self.challenged_requests = 0
        self._challenge: str | None = None
        self._lock = threading.Lock()

    @property
    def challenge(self) -> str | None:
        return self._challenge

    @challenge.setter
    def challenge(self, value: str | None) -> None:
        if value not in CHALLENGES:
            raise ValueError(f"challenge is one of {CHALLENGES}, not {value!r}")
        self._challenge = value

    def handle(self, request: Request) -> Response:
        challenge = self._challenge
        if challenge is not None:
            with self._lock:
                self.challenged_requests += 1
                number = self.challenged_requests
            return _challenge_response(challenge, request, number)
        if request.method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET, HEAD"}, b"")
        query = {name.lower(): value for name, value in request.query.items()}
        path = request.path.lower()
        if path == SEARCH_PATH.lower():
            return self.search(query)
        if path == PROFILE_PATH.lower():
            diplomate = self.data.by_id.get(query.get("agencyclientid", ""))
            if diplomate is None:
                return _html(NOT_FOUND_PAGE, 404)
            return _html(render_profile(diplomate))
        return _html(NOT_FOUND_PAGE, 404)

    def search(self, query: dict[str, str]) -> Response:
        state = query.get("statecode", "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", state):
            state = ""
        page = query.get("pageno", "").strip()
        page_no = int(page) if page.isdigit() and int(page) >= 1 else 1
        data = self.data
        if query.get("searchtype", "2").strip() != "2" or not state:
            total, last_page, shown = 0, 0, []
        else:
            total, last_page = data.count(state), data.last_page(state)
            shown = data.page(state, page_no)
        cards = render_cards(shown, broken_markup=self.broken_markup)
        return _html(render_search(state, page_no, total, last_page, cards))


def _html(text: str, status: int = 200) -> Response:
    return Response(status, {"Content-Type": HTML_TYPE}, text.encode("utf-8"))


def _challenge_response(kind: str, request: Request, number: int) -> Response:
    ray = hashlib.sha1(f"{number}:{request.target}".encode()).hexdigest()[:16]
    target = html.escape(_js_string(request.target))
    if kind == "turnstile":
        body = _fill(TURNSTILE_PAGE, {"TARGET": html.escape(request.target)})
        return Response(200, {"Content-Type": HTML_TYPE, "Server": "cloudflare",
                              "CF-RAY": f"{ray}-SEA"}, body.encode("utf-8"))
    body = _fill(CLOUDFLARE_PAGE, {"RAY": ray, "TARGET": target})
    return Response(403, {
        "Content-Type": "text/html; charset=UTF-8",
        "cf-mitigated": "challenge",
        "Server": "cloudflare",
        "CF-RAY": f"{ray}-SEA",
        "Cache-Control": "private, max-age=0, no-store, no-cache, must-revalidate, "
                         "post-check=0, pre-check=0",
        "Expires": "Thu, 01 Jan 1970 00:00:01 GMT",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "SAMEORIGIN",
    }, body.encode("utf-8"))
