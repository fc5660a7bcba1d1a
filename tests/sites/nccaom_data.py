"""Deterministic, made-up NCCAOM diplomates that overlap the NPPES stand-in's providers.

`generate_diplomates(providers, seed)` lists, from the records of `nppes_data.generate_providers`,
the certified diplomates the NCCAOM "Find a Practitioner" stand-in (`nccaom.py`) shows:

- about 55% of the NPPES individuals (NPI-1) whose primary LOCATION address is in one of
  `STATES` (WA, CA, NY, TX, CO, OR, FL), listed at that address (street, city, state, ZIP) and,
  unless they chose "Not Available" (~15%), with its phone;
- plus ~10% more per state who are in no NPPES record (made-up names and addresses; never the
  first and last name of an NPPES individual with an address in the same state, since the short
  name lists would otherwise make twins no linker could tell apart);
- the ground truth `NccaomData.truth` maps every profile id to its NPPES NPI, or None.

What a scraper and a linker of the directory must cope with, on purpose:
- the directory holds no NPI and no license number: only a name, a city and a state;
- names are written as the person writes them, not as NPPES does: title case, the middle name in
  full, cut to an initial ("Anna K Lee", "Anna K. Lee") or left out; ~5% carry credentials in
  the name ("Anna K Lee L.Ac.", "Anna K Lee, DAOM, L.Ac."); one name holds markup
  (`XSS_TEXT`), so the pages must escape it;
- the street as typed: "Ste" may become "Suite" or "#", sometimes after a comma;
- ~40% list a website, on the reserved `.example` TLD; the card shows it without its scheme,
  cut to 30 characters + " ..." when longer, as the real page does;
- certificates: OM alone, AC alone or AC + CH mostly, CH alone and ABT (with AC, OM or alone)
  rare; badges are not always in the same order ("CH" before "AC" on some real cards);
- profiles list education, languages and "Health Conditions Treated"; ~15% of these lists
  include "facial rejuvenation" or "cosmetic acupuncture" (in either case).

Order: the real site sorts a state's results by `SortBy=DisplayName&SortDirection=DESC` (see
the sort link of the saved WA page): the displayed name, first name first, descending, compared
the way SQL Server's default collation does, case-insensitively and ignoring hyphens and
apostrophes ("Yu-chun Lai" comes before "Yuanming Lu", "Yunfan Yang" before "Yun Xiao").
`display_order_key` reproduces that (tests/test_site_nccaom.py checks it on the saved page);
ties are broken by profile id, descending, so the order is total and stable.

Profile ids look like the real ones ("rTjSagQVHkY="): 8 bytes in URL-safe base64, 12
characters ending in "=". Each is derived from the seed and the NPI (or, for a diplomate NPPES
does not know, the state and a counter), so it does not depend on the order of generation.

Nothing depends on the clock: the same providers and seed always give the same diplomates.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .nppes_data import (
    FEMALE_FIRST,
    LAST_NAMES,
    MALE_FIRST,
    ORG_WORDS,
    PREFIXES_BY_STATE,
    STREETS,
    XSS_TEXT,
    primary_location,
)

STATES = ("WA", "CA", "NY", "TX", "CO", "OR", "FL")
CARDS_PER_PAGE = 20
LISTED_SHARE = 0.55  # of the NPPES individuals practising in STATES
EXTRA_SHARE = 0.10  # diplomates NPPES does not know, per listed diplomate of the state
NOT_AVAILABLE = "Not Available"
WEBSITE_TEXT_LENGTH = 30  # the card shows this many characters, then " ..."

# Badge codes on the cards and the credential each one stands for (as the parser names them).
CERTIFICATE_TITLES = {"AC": "Dipl. Ac.", "CH": "Dipl. C.H.", "OM": "Dipl. O.M.", "ABT": "Dipl. ABT"}
# Badge names on the profile page.
CERTIFICATE_BADGES = {"AC": "Dipl. Acupuncture", "CH": "Dipl. Chinese Herbology",
                      "OM": "Dipl. Oriental Medicine", "ABT": "Dipl. Asian Bodywork Therapy"}
# (certificates in their usual badge order, weight)
CERTIFICATE_SETS = ((("OM",), 30), (("AC",), 35), (("AC", "CH"), 27), (("CH",), 2),
                    (("AC", "ABT"), 3), (("OM", "ABT"), 2), (("ABT",), 1))
# What people write after their name in the directory (the part the parser splits off).
NAME_SUFFIXES = (" L.Ac.", " L.Ac.", ", L.Ac.", " LAc", ", DAOM, L.Ac.", ", MSOM, L.Ac.",
                 " Dipl. O.M.", ", DACM")
SCHOOLS = (
    "Bastyr University", "Oregon College of Oriental Medicine",
    "Pacific College of Health and Science", "Five Branches University",
    "American College of Traditional Chinese Medicine",
    "Emperor's College of Traditional Oriental Medicine", "New York College of Health Professions",
    "Southwest Acupuncture College", "AOMA Graduate School of Integrative Medicine",
    "Yo San University", "Tri-State College of Acupuncture", "Atlantic Institute of Oriental Medicine",
    "Colorado School of Traditional Chinese Medicine", "Seattle Institute of East Asian Medicine",
    "Pacific College of Oriental Medicine", "Academy of Chinese Culture and Health Sciences",
)
PROGRAMS = (
    "Master\u2019s Degree program \u2013 Acupuncture",
    "Master\u2019s Degree program \u2013 Oriental Medicine",
    "Master\u2019s Degree program \u2013 Acupuncture and Herbal Medicine",
    "Doctoral Degree program \u2013 Acupuncture and Oriental Medicine",
)
LANGUAGES = ("Mandarin", "Cantonese", "Korean", "Spanish", "Japanese", "Vietnamese", "French",
             "Hindi")
CONDITIONS = (
    "Pain", "Back pain", "Neck pain", "Headaches", "Migraines", "Anxiety", "Depression",
    "Insomnia", "Stress", "fertility", "Women's health", "Menopause", "GI issues",
    "Digestive disorders", "Allergies", "Sports injuries", "Neuropathy", "Addiction",
    "Autoimmune conditions", "mental health", "Smoking cessation", "Arthritis", "Fatigue",
)
FACIAL_CONDITIONS = ("facial rejuvenation", "cosmetic acupuncture", "Facial Rejuvenation",
                     "Cosmetic Acupuncture")
FACIAL_SHARE = 0.15


@dataclass(frozen=True)
class Diplomate:
    """One listing, with every value as the pages show it."""

    profile_id: str
    name: str  # "Anna K Lee": the name as written, without credentials
    display_name: str  # what the card shows: the name, and credentials if the person added any
    gender: str  # "Female" or "Male"
    phone: str | None  # "206-555-0100"; None shows "Not Available"
    website: str | None  # the link's href; None shows "Not Available"
    street: str  # "1234 Main St Suite 200", as the card's address starts
    city: str
    state: str
    postal_code: str  # "98101" or "98101-1234" (the profile page shows it, the card does not)
    card_address: str  # the card's address line: "1234 Main St , Seattle, WA, USA"
    certificates: tuple[str, ...]  # badge codes in page order: ("AC", "CH")
    education: tuple[tuple[str, str], ...] = ()  # (school, program)
    languages: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()  # "Health Conditions Treated"
    about: str = ""
    npi: int | None = None  # the NPPES provider this is, if any (the pages never show it)

    @property
    def name_credentials(self) -> str | None:
        """What followed the name ("DAOM, L.Ac."), as the parser's `split_name` returns it."""
        rest = self.display_name[len(self.name):].strip(" ,")
        return rest or None

    @property
    def phone_text(self) -> str:
        return self.phone or NOT_AVAILABLE

    @property
    def website_text(self) -> str | None:
        """The card's visible website text: no scheme, cut to 30 characters + " ..."."""
        if self.website is None:
            return None
        text = re.sub(r"^https?://", "", self.website)
        if len(text) > WEBSITE_TEXT_LENGTH:
            return text[:WEBSITE_TEXT_LENGTH] + " ..."
        return text

    @property
    def certificate_titles(self) -> list[str]:
        """The credentials, sorted, as `scraper.sources.nccaom.parse_card` gives them."""
        return sorted({CERTIFICATE_TITLES[code] for code in self.certificates})

    @property
    def profile_address(self) -> str:
        """The profile page's address, with the ZIP: "1234 Main St , Seattle, WA 98101, USA"."""
        return f"{self.street} , {self.city}, {self.state} {self.postal_code}, USA"

    @property
    def cosmetic(self) -> bool:
        """True when the profile lists facial or cosmetic acupuncture among conditions treated."""
        return any(c.casefold() in ("facial rejuvenation", "cosmetic acupuncture")
                   for c in self.conditions)

    @property
    def profile_path(self) -> str:
        return f"/FAP/PractitionerDetail?AgencyClientId={self.profile_id}"


def display_order_key(display_name: str) -> str:
    """SQL Server's default comparison, near enough: case-insensitive, '-' and "'" ignored."""
    return display_name.casefold().replace("-", "").replace("'", "")


@dataclass
class NccaomData:
    """The diplomates, by state in the site's order, with the ground truth."""

    diplomates: list[Diplomate]
    truth: dict[str, int | None] = field(init=False)  # profile id -> NPI, or None
    by_id: dict[str, Diplomate] = field(init=False)
    by_state: dict[str, list[Diplomate]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {d.profile_id: d for d in self.diplomates}
        if len(self.by_id) != len(self.diplomates):
            raise ValueError("two diplomates share a profile id")
        self.truth = {d.profile_id: d.npi for d in self.diplomates}
        self.by_state = {}
        for diplomate in self.diplomates:
            self.by_state.setdefault(diplomate.state, []).append(diplomate)
        for listed in self.by_state.values():
            listed.sort(key=lambda d: (display_order_key(d.display_name), d.profile_id),
                        reverse=True)
        self.diplomates = [d for state in sorted(self.by_state) for d in self.by_state[state]]

    def count(self, state: str) -> int:
        return len(self.by_state.get(state, ()))

    def last_page(self, state: str) -> int:
        """The number of pages: 0 for a state with nobody listed."""
        return math.ceil(self.count(state) / CARDS_PER_PAGE)

    def page(self, state: str, page_no: int) -> list[Diplomate]:
        """Page `page_no` (1-based) of a state; [] before the first or past the last."""
        if page_no < 1:
            return []
        start = (page_no - 1) * CARDS_PER_PAGE
        return self.by_state.get(state, [])[start:start + CARDS_PER_PAGE]

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per state: (diplomates, of which NPPES knows)."""
        return {state: (len(listed), sum(d.npi is not None for d in listed))
                for state, listed in sorted(self.by_state.items())}


def title_case(text: str) -> str:
    """NPPES upper case as people write it: "O'BRIEN-SMITH" -> "O'Brien-Smith",
    "MCDONALD" -> "McDonald", "1ST AVE" -> "1st Ave". Markup (`XSS_TEXT`) is kept as it is."""
    if XSS_TEXT in text:
        return title_case(text.replace(XSS_TEXT, "")) + XSS_TEXT
    text = re.sub(r"(^|[\s\-'])([a-z])", lambda m: m.group(1) + m.group(2).upper(), text.lower())
    return re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), text)


def profile_id(seed: int, key: str) -> str:
    """12 characters of URL-safe base64 ending in "=", like "rTjSagQVHkY="."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


class _Maker:
    def __init__(self, rng: random.Random, seed: int, taken_names: set[tuple[str, str, str]]):
        self.rng = rng
        self.seed = seed
        self.ids: set[str] = set()
        self.taken_names = taken_names  # (FIRST, LAST, state) of the NPPES individuals

    def new_id(self, key: str) -> str:
        salt = 0
        while True:
            value = profile_id(self.seed, key if salt == 0 else f"{key}#{salt}")
            if value not in self.ids:
                self.ids.add(value)
                return value
            salt += 1

    def written_name(self, first: str, middle: str, last: str) -> tuple[str, str]:
        """(name, display name) as the person writes them in the directory."""
        rng = self.rng
        parts = [title_case(first)]
        if middle:
            roll = rng.random()
            if roll < 0.5 and len(middle) > 1:
                parts.append(title_case(middle))
            elif roll < 0.75:
                parts.append(middle[0].upper() + ("." if rng.random() < 0.3 else ""))
        parts.append(title_case(last))
        name = " ".join(parts)
        suffix = rng.choice(NAME_SUFFIXES) if rng.random() < 0.05 else ""
        return name, name + suffix

    def street(self, line1: str, line2: str) -> str:
        street = title_case(line1)
        if line2:
            unit = title_case(line2)
            if unit.startswith("Ste "):
                roll = self.rng.random()
                if roll < 0.3:
                    unit = "Suite " + unit[4:]
                elif roll < 0.45:
                    unit = "#" + unit[4:]
            street += (", " if self.rng.random() < 0.3 else " ") + unit
        return " ".join(street.split())

    def website(self, first: str, last: str, city: str) -> str | None:
        rng = self.rng
        if rng.random() >= 0.40:
            return None
        roll = rng.random()
        if roll < 0.35:
            slug = last
        elif roll < 0.6:
            slug = first + last
        elif roll < 0.85:
            slug = rng.choice(ORG_WORDS)
        else:
            slug = city
        slug = re.sub(r"[^a-z0-9]", "", slug.replace(XSS_TEXT, "").lower()) or "lotus"
        roll = rng.random()
        if roll < 0.75:
            return f"http://www.{slug}acupuncture.example/"
        if roll < 0.9:
            return f"https://www.{slug}acupuncture.example/"
        return f"http://{slug}acupuncture.example/facial-rejuvenation"

    def profile_extras(self, city: str, facial: bool) -> dict:
        rng = self.rng
        education = tuple((rng.choice(SCHOOLS), rng.choice(PROGRAMS))
                          for _ in range(rng.choice((1, 1, 1, 2))))
        languages = ["English"] if rng.random() < 0.97 else []
        if rng.random() < 0.3 or not languages:
            languages.append(rng.choice(LANGUAGES))
        conditions = rng.sample(CONDITIONS, rng.randint(0 if not facial else 1, 6))
        if facial:
            conditions.insert(rng.randint(0, len(conditions)), rng.choice(FACIAL_CONDITIONS))
        since = rng.randint(1990, 2024)
        about = f"I have practiced acupuncture in {title_case(city)} since {since}."
        if facial:
            about += " I offer facial rejuvenation (cosmetic) acupuncture as a gentle alternative."
        elif conditions:
            about += f" Most of my patients come to me for {conditions[0].lower()}."
        return {"education": education, "languages": tuple(languages),
                "conditions": tuple(conditions), "about": about}

    def diplomate(self, *, key: str, npi: int | None, female: bool, first: str, middle: str,
                  last: str, line1: str, line2: str, city: str, state: str, postal_code: str,
                  phone: str) -> Diplomate:
        rng = self.rng
        name, display_name = self.written_name(first, middle, last)
        street = self.street(line1, line2)
        city = title_case(city)
        separator = " , " if rng.random() < 0.8 else ", "
        codes = rng.choices([c for c, _ in CERTIFICATE_SETS], [w for _, w in CERTIFICATE_SETS])[0]
        if len(codes) > 1 and rng.random() < 0.25:
            codes = tuple(reversed(codes))
        zip_digits = re.sub(r"\D", "", postal_code)
        zip_text = zip_digits if len(zip_digits) == 5 else f"{zip_digits[:5]}-{zip_digits[5:9]}"
        return Diplomate(
            profile_id=self.new_id(key),
            name=name,
            display_name=display_name,
            gender="Female" if female else "Male",
            phone=None if rng.random() < 0.15 else phone,
            website=self.website(first, last, city),
            street=street,
            city=city,
            state=state,
            postal_code=zip_text,
            card_address=f"{street}{separator}{city}, {state}, USA",
            certificates=codes,
            npi=npi,
            **self.profile_extras(city, facial=rng.random() < FACIAL_SHARE),
        )

    def from_provider(self, provider: dict) -> Diplomate:
        basic = provider["basic"]
        location = primary_location(provider)
        return self.diplomate(
            key=f"npi:{provider['number']}", npi=int(provider["number"]),
            female=basic.get("gender") == "F", first=basic["first_name"],
            middle=basic.get("middle_name", ""), last=basic["last_name"],
            line1=location["address_1"], line2=location.get("address_2", ""),
            city=location["city"], state=location["state"],
            postal_code=location["postal_code"], phone=location.get("telephone_number", ""))

    def stranger(self, state: str, number: int, fixed_last: str | None = None) -> Diplomate:
        """A diplomate NPPES does not know, somewhere in `state`."""
        rng = self.rng
        prefixes = PREFIXES_BY_STATE[state]
        prefix = rng.choices(prefixes, [p.weight for p in prefixes])[0]
        zip5, city = rng.choice(prefix.places)
        female = rng.random() < 0.68
        # The generators' name lists are short: a stranger would often share a first and last
        # name with an NPPES acupuncturist of the same state, which real names rarely do and
        # which no linker could tell apart. Draw again until the name is free.
        for _ in range(100):
            first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
            last = fixed_last or rng.choice(LAST_NAMES)
            if (first, last, state) not in self.taken_names:
                break
        middle = rng.choice(FEMALE_FIRST if female else MALE_FIRST) if rng.random() < 0.4 else ""
        line2 = f"STE {rng.randint(1, 9) * 100 + rng.randint(0, 20)}" if rng.random() < 0.4 else ""
        phone = f"{rng.choice(prefix.area_codes)}-{rng.randint(200, 999)}-{rng.randrange(10_000):04d}"
        return self.diplomate(
            key=f"extra:{state}:{number}", npi=None, female=female, first=first, middle=middle,
            last=last,
            line1=f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", line2=line2, city=city,
            state=state, postal_code=zip5, phone=phone)


def local_website(url: str, base: str) -> str:
    """A made-up ``.example`` website moved onto the practice-websites stand-in at ``base``:
    "http://www.lotusacupuncture.example/facial-rejuvenation" becomes
    "<base>/s/lotusacupuncture/facial-rejuvenation"."""
    parts = urlsplit(url)
    slug = (parts.hostname or "").removeprefix("www.").removesuffix(".example")
    return f"{base.rstrip('/')}/s/{slug}/{parts.path.lstrip('/')}"


def generate_diplomates(providers: list[dict], seed: int = 2026,
                        website_base: str | None = None) -> NccaomData:
    """The directory's diplomates made from NPPES stand-in records (see the module docstring).
    With ``website_base``, their websites point at the practice-websites stand-in there."""
    rng = random.Random(seed)
    taken = {(p["basic"]["first_name"], p["basic"]["last_name"], address["state"])
             for p in providers if p["enumeration_type"] == "NPI-1"
             for address in p["addresses"] + p.get("practiceLocations", [])}
    maker = _Maker(rng, seed, taken)
    diplomates: list[Diplomate] = []
    listed = dict.fromkeys(STATES, 0)
    for provider in sorted(providers, key=lambda p: int(p["number"])):
        if provider["enumeration_type"] != "NPI-1":
            continue
        state = primary_location(provider)["state"]
        if state in listed and rng.random() < LISTED_SHARE:
            diplomates.append(maker.from_provider(provider))
            listed[state] += 1
    for state in STATES:
        for number in range(round(listed[state] * EXTRA_SHARE)):
            # One name holding markup, for the escaping tests, as the NPPES stand-in has one.
            last = f"O'HARA{XSS_TEXT}" if (state, number) == ("WA", 0) else None
            diplomates.append(maker.stranger(state, number, last))
    if website_base:
        diplomates = [replace(d, website=local_website(d.website, website_base))
                      if d.website else d for d in diplomates]
    return NccaomData(diplomates)
