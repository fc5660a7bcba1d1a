"""Stand-ins of practice websites: many small sites on one server, each under ``/s/<slug>/``.

No real practice site is ever contacted: the NCCAOM and NPPES stand-ins list these addresses
instead of their made-up ``.example`` ones when the stand-ins are started together
(``serve.start_all``). A site's kind decides what it says and how it answers:

- ``facial``: a home page whose menu links "Services" and "Facial Rejuvenation"; the facial
  page claims cosmetic (facial) acupuncture in a sentence of its own; the home page mentions
  pain and stress;
- ``fertility``: claims fertility support on its services page, and no facial work;
- ``plain``: general acupuncture only; some say in so many words that they do *not* offer
  cosmetic acupuncture (a negation a tagger must not read as a claim);
- ``legacy``: a facial site whose pages are windows-1252 bytes, declared only in a
  ``<meta http-equiv>`` tag (no charset in the Content-Type header), with curly quotes, an
  en dash, "é" and "®" in the claiming sentence;
- ``huge``: a home page of about 3 MB (the claim at its very end), over any sensible size cap;
- ``robots``: disallowed for every robot by the server's robots.txt (so its pages must never be
  requested);
- ``redirect``: the home page answers 302 to ``internal_url`` (another loopback service, such as
  the registries' stand-in): a scraper must refuse to follow it.

Besides the home page, a site has ``about``, ``services``, ``contact``, a ``brochure.pdf`` link
(a scraper should not read it) and, for facial sites, ``facial-rejuvenation``. Anything else
answers 404. ``truth`` gives, per slug, the tags a correct scraper finds there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .server import DEFAULT_ROBOTS_TXT, Request, Response, text_response

KINDS = ("facial", "fertility", "plain", "legacy", "huge", "robots", "redirect")
# The special sites every generated set has, whoever lists them.
SPECIAL = {"vieilleecoleacupuncture": "legacy", "giantpageacupuncture": "huge",
           "closeddooracupuncture": "robots", "movedawayacupuncture": "redirect"}
HUGE_BYTES = 3_000_000


@dataclass(frozen=True)
class PracticeSite:
    slug: str
    kind: str
    name: str
    denies_facial: bool = False  # a plain site that says it does not offer cosmetic acupuncture

    @property
    def truth(self) -> set[str]:
        """The tags its readable pages claim."""
        if self.kind in ("facial", "legacy"):
            return {"facial acupuncture", "pain", "mental health"}
        if self.kind == "fertility":
            return {"fertility", "pain", "mental health"}
        if self.kind == "plain":
            return {"pain", "mental health"}
        return set()  # huge, robots, redirect: nothing may be read


def kind_of(slug: str, facial: bool = False) -> str:
    """The kind of a generated site, from its slug alone (so any listing of it agrees), or
    "facial" when a listing links to its facial page."""
    if slug in SPECIAL:
        return SPECIAL[slug]
    if facial:
        return "facial"
    roll = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:4], "big") / 2**32
    return "facial" if roll < 0.3 else "fertility" if roll < 0.45 else "plain"


def make_site(slug: str, facial: bool = False) -> PracticeSite:
    name = slug.removesuffix("acupuncture").title() + " Acupuncture"
    denies = int(hashlib.sha256(f"deny:{slug}".encode()).hexdigest(), 16) % 4 == 0
    return PracticeSite(slug, kind_of(slug, facial), name, denies_facial=denies)


def _page(site: PracticeSite, base: str, title: str, body: str) -> str:
    menu = [("", "Home"), ("about", "About Us"), ("services", "Services"),
            ("contact", "Contact")]
    if site.kind in ("facial", "legacy", "huge"):
        menu.insert(3, ("facial-rejuvenation", "Facial Rejuvenation"))
    links = "\n".join(f'      <li><a href="{base}{path}">{label}</a></li>' for path, label in menu)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} | {site.name}</title>
  <script>window.dataLayer = []; /* facial acupuncture (in a script: never a claim) */</script>
  <style>.hero {{ color: #333; }}</style>
</head>
<body>
  <header><nav><ul>
{links}
  </ul></nav></header>
  <main>
    <h1>{title}</h1>
{body}
    <p><a href="{base}brochure.pdf">Download our brochure</a> &middot;
       <a href="https://www.facebook.example/{site.slug}">Follow us</a> &middot;
       <a href="mailto:hello@{site.slug}.example">Write to us</a></p>
  </main>
  <footer><p>&copy; 2026 {site.name}. Serving our community since 2009.</p></footer>
</body>
</html>
"""


def _home(site: PracticeSite) -> str:
    lines = [f"<p>Welcome to {site.name}. We offer traditional acupuncture and herbal "
             "medicine in a calm, friendly clinic.</p>",
             "<p>Many patients come to us for back pain, neck pain and\n       stress.</p>"]
    if site.kind == "plain" and site.denies_facial:
        lines.append("<p>Please note that we do not offer cosmetic acupuncture.</p>")
    return "\n".join("    " + line for line in lines)


def _services(site: PracticeSite) -> str:
    items = ["Acupuncture for <strong>back pain</strong> and sciatica", "Cupping",
             "Chinese herbal medicine"]
    if site.kind == "fertility":
        items.append("Acupuncture to support <em>fertility</em> and IVF")
    if site.kind in ("facial", "legacy"):
        items.append('<a href="facial-rejuvenation">Facial rejuvenation</a>')
    return "    <ul>\n" + "\n".join(f"      <li>{i}</li>" for i in items) + "\n    </ul>"


FACIAL_TEXT = ("<p>Our facial rejuvenation acupuncture treatment uses very fine needles to "
               "soften fine lines and brighten the skin.</p>\n"
               "    <p>A course is usually ten sessions, once or twice a week.</p>")
LEGACY_TEXT = ("<p>Notre \u00ab Mei Zen\u00ae \u00bb cosmetic acupuncture \u2013 a gentle "
               "\u201cnatural facelift\u201d \u2013 est propos\u00e9e le mardi.</p>")


class PracticeWebsites:
    """The site mounted at ``/s/``: ``sites`` by slug; ``internal_url`` for redirect sites."""

    def __init__(self, sites: dict[str, PracticeSite], internal_url: str = "",
                 base_path: str = "/s/"):
        self.sites = sites
        self.internal_url = internal_url
        self.base_path = base_path

    @classmethod
    def for_slugs(cls, slugs: dict[str, bool], internal_url: str = "") -> PracticeWebsites:
        """Sites for these slugs (True: listed by its facial page) and the special ones."""
        every = {**dict.fromkeys(SPECIAL, False), **slugs}
        return cls({slug: make_site(slug, every[slug]) for slug in sorted(every)}, internal_url)

    @property
    def truth(self) -> dict[str, set[str]]:
        return {slug: site.truth for slug, site in self.sites.items()}

    def robots_txt(self) -> str:
        closed = [f"Disallow: {self.base_path}{slug}/" for slug, site in self.sites.items()
                  if site.kind == "robots"]
        return DEFAULT_ROBOTS_TXT.rstrip("\n") + "\n" + "\n".join(closed) + "\n"

    def handle(self, request: Request) -> Response:
        rest = request.path[len(self.base_path):] if request.path.startswith(self.base_path) \
            else ""
        slug, _, page = rest.partition("/")
        site = self.sites.get(slug)
        if site is None:
            return text_response("no such site", status=404)
        base = f"{self.base_path}{slug}/"
        if site.kind == "redirect":
            return Response(302, {"Location": self.internal_url or "http://127.0.0.1:1/",
                                  "Content-Type": "text/html"}, b"<p>Moved.</p>")
        pages = {"": ("Welcome", _home(site)),
                 "about": ("About us", f"    <p>{site.name} is a family practice.</p>"),
                 "services": ("Our services", _services(site)),
                 "contact": ("Contact", "    <p>Call us to book a visit.</p>")}
        if site.kind in ("facial", "legacy", "huge"):
            pages["facial-rejuvenation"] = (
                "Facial Rejuvenation", "    " + (LEGACY_TEXT if site.kind == "legacy"
                                                 else FACIAL_TEXT))
        if page == "brochure.pdf":
            return Response(200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n%stand-in\n")
        if page not in pages:
            return text_response("not found", status=404)
        title, body = pages[page]
        html = _page(site, base, title, body)
        if site.kind == "huge" and page == "":
            filler = "    <p>Acupuncture has been practised for a very long time.</p>\n"
            html = html.replace("</main>", filler * (HUGE_BYTES // len(filler)) + FACIAL_TEXT
                                + "\n  </main>")
        if site.kind == "legacy":
            html = html.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" '
                                'content="text/html; charset=windows-1252">')
            return Response(200, {"Content-Type": "text/html"}, html.encode("cp1252"))
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, html.encode("utf-8"))
