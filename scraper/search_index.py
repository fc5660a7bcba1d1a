"""The front door's search: a derived full-text index of practitioners, and what a person typed
read as words and a place.

**The index.** ``practitioner_search`` is an FTS5 table rebuilt from scratch at the end of each
linking (``scraper/link.py``, ``link_all``), like a cache: dropped, then filled from
``practitioners`` and ``specialty_tags`` in one statement (about 10 s for 1,000,000
practitioners, bench/RESULTS.md); beside it ``practitioner_search_places``, where each one is
(latitude, longitude, standing, name, clustered by place), so that a search near a place never
reads the practitioners table but for the page it shows. The full-text table's rowid is the
practitioner's rowid. It holds no copy of the text (``content=''``): only what matching and
ranking need. Columns, with their weight in the
ranking (bm25, the persistent ``rank``):

- ``name`` (10): the display name;
- ``practice`` (5): the practice name;
- ``city`` (2): the city and the state's full name ("Seattle Washington");
- ``specialties`` (4): each specialty tag the practitioner claims with every phrase of the
  vocabulary (scraper/data/specialties.toml) that claims it: a facial acupuncture tag is found by
  "cosmetic", "mei zen" or "facelift";
- ``claims`` (1): the sentences that claim them (``specialty_tags.snippet``): "acne", "IVF
  support" or "postpartum" find the practitioner who wrote them.

Live practitioners only (``gone_at is null``). Words are stemmed (porter) and accents ignored.

**What a person typed.** ``read_query(what, where)`` takes the place out of the words: a 5-digit
ZIP (or ZIP+4) or "City, ST" / "City ST" / "City, State" anywhere in them, and "within 25 miles".
The where field is a ZIP, a city and state, a city alone (when only one state has it) or a
state. Filler words ("acupuncture", "near", "in", "me", "dr") are dropped, so "acupuncture near
me in Seattle WA" is everyone near Seattle. A word of the specialty vocabulary ("facial",
"fertility", "ivf") is matched in the names and the specialties, not in the claim sentences,
where "facial pain" is a claim of pain treatment, not of facial acupuncture.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from sqlite_utils import Database

from db.migrations import SEARCH_PLACES, create_search_places

from .coverage import STATES, TERRITORIES
from .geo import zip_point
from .specialties import VOCABULARY_PATH

TABLE = "practitioner_search"
# Where each live practitioner is, clustered by latitude and longitude, with what the front door
# filters and sorts on: a search near a place reads this and nothing else until the page of
# results. Named after TABLE, so Datasette hides it with the full-text table it belongs to.
PLACES = SEARCH_PLACES
COLUMNS = ("name", "practice", "city", "specialties", "claims")
WEIGHTS = (10.0, 5.0, 2.0, 4.0, 1.0)  # bm25, in the order of COLUMNS
# Where a word of the specialty vocabulary is looked for: everywhere but the claim sentences.
VOCABULARY_COLUMNS = "{name practice city specialties}"
TOKENIZE = "porter unicode61 remove_diacritics 2"
# Words that say nothing about whom to find: everyone here is an acupuncturist.
FILLERS = frozenset("""
    acupuncture acupuncturist acupuncturists acupuncturists' acupuncture's licensed
    near nearby around close me my in at of on the a an for and or to with by from within find
    search show looking who dr dr. doctor l.ac l.ac. lac dipl dipl. zip code miles mile mi
""".split())
STATE_NAMES = {**STATES, **TERRITORIES}
MAX_MILES = 250.0
MILES_RE = re.compile(r"^(\d{1,3}(?:\.\d+)?)\s*(?:mi|miles?)\.?$", re.I)
ZIP_IN_WORDS = re.compile(r"^\d{5}(?:-\d{4})?$")
ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "FT": "FORT", "MT": "MOUNT"}


# --- the index --------------------------------------------------------------------------------

@cache
def vocabulary() -> dict[str, list[str]]:
    """Tag -> its phrases, as scraper/data/specialties.toml gives them."""
    data = tomllib.loads(VOCABULARY_PATH.read_text(encoding="utf-8"))
    return {tag: list(entry["phrases"]) for tag, entry in data["tags"].items()}


def _words_of(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w']+", text.lower()) if w]


@cache
def tag_words() -> dict[str, frozenset[str]]:
    """Tag -> the words of its name and phrases ("facial acupuncture" -> facial, cosmetic...)."""
    return {tag: frozenset(w for text in (tag, *phrases) for w in _words_of(text))
            for tag, phrases in vocabulary().items()}


@cache
def vocabulary_words() -> frozenset[str]:
    """Every word of the vocabulary but the fillers: a typed word that is one means a specialty."""
    return frozenset(w for words in tag_words().values() for w in words) - FILLERS


def build_search_index(db: Database) -> int:
    """Drop and rebuild ``practitioner_search``; returns how many practitioners it holds. Call
    inside the linking's transaction, after practitioners and specialty_tags are written."""
    db.execute(f"drop table if exists {TABLE}")
    db.execute(f"create virtual table {TABLE} using fts5({', '.join(COLUMNS)}, content='', "
               f"tokenize='{TOKENIZE}')")
    db.execute(f"insert into {TABLE}({TABLE}, rank) values ('rank', ?)",
               [f"bm25({', '.join(str(w) for w in WEIGHTS)})"])
    db.execute("drop table if exists temp.search_vocabulary")
    db.execute("create temp table search_vocabulary (tag text primary key, words text)")
    db.conn.executemany("insert into temp.search_vocabulary values (?, ?)",
                        [(tag, " ".join([tag, *phrases])) for tag, phrases in vocabulary().items()])
    db.execute("drop table if exists temp.search_states")
    db.execute("create temp table search_states (code text primary key, name text)")
    db.conn.executemany("insert into temp.search_states values (?, ?)", STATE_NAMES.items())
    cursor = db.execute(f"""
        insert into {TABLE} (rowid, {', '.join(COLUMNS)})
        select p.rowid, p.display_name, p.practice_name,
               trim(coalesce(p.city, '') || ' ' || coalesce(s.name, p.state, '')),
               t.words, t.claims
        from practitioners p
        left join temp.search_states s on s.code = p.state
        left join (
            select st.practitioner_id, group_concat(coalesce(v.words, st.tag), ' ') as words,
                   group_concat(st.snippet, ' ') as claims
            from specialty_tags st
            left join temp.search_vocabulary v on v.tag = st.tag
            group by st.practitioner_id
        ) t on t.practitioner_id = p.practitioner_id
        where p.gone_at is null
    """)
    count = cursor.rowcount
    db.execute("drop table temp.search_vocabulary")
    db.execute("drop table temp.search_states")
    create_search_places(db)
    return count


# --- places -----------------------------------------------------------------------------------

def _city_key(text: str) -> str:
    """A city's name reduced for comparison: capitals, no periods, "St" read as "Saint"."""
    words = re.sub(r"[.,]", " ", text.upper()).split()
    if words and words[0] in ABBREVIATIONS:
        words[0] = ABBREVIATIONS[words[0]]
    return " ".join(words)


@dataclass(frozen=True)
class City:
    name: str  # as the zipcodes data spells it
    state: str
    lat: float
    lon: float
    zips: int


@cache
def _geography() -> tuple[dict[tuple[str, str], City], dict[str, list[City]],
                          dict[str, tuple[str, str]]]:
    """(city key, state) -> City (the centre of its ZIPs); city key -> its Cities, the one with
    the most ZIPs first; ZIP -> (city, state). From the zipcodes package's data."""
    import zipcodes

    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    zip_city: dict[str, tuple[str, str]] = {}
    for z in zipcodes.list_all():
        zip_city[z["zip_code"]] = (z["city"], z["state"])
        if not (z.get("lat") and z.get("long")):
            continue
        key = (_city_key(z["city"]), z["state"])
        points[key].append((float(z["lat"]), float(z["long"])))
        names.setdefault(key, z["city"])
    cities = {key: City(names[key], key[1], sum(p[0] for p in pts) / len(pts),
                        sum(p[1] for p in pts) / len(pts), len(pts))
              for key, pts in points.items()}
    by_name: dict[str, list[City]] = defaultdict(list)
    for (name, _state), city in cities.items():
        by_name[name].append(city)
    for found in by_name.values():
        found.sort(key=lambda c: (-c.zips, c.state))
    return cities, dict(by_name), zip_city


@cache
def _state_names() -> dict[str, str]:
    """Upper-case state name or code -> code."""
    names = {code: code for code in STATE_NAMES}
    names.update({name.upper(): code for code, name in STATE_NAMES.items()})
    return names


@dataclass(frozen=True)
class Place:
    kind: str  # zip / city / state
    label: str  # "98101 (Seattle, WA)", "Seattle, WA", "Washington"
    lat: float | None = None
    lon: float | None = None
    state: str | None = None  # for a state: its code

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class PlaceError(ValueError):
    """A place that cannot be found, with what to say and, for an ambiguous city, the places
    it could be ("Portland, OR", "Portland, ME"...)."""

    def __init__(self, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions or []


def zip_place(text: str) -> Place:
    """A ZIP as a place; PlaceError when no ZIP code is known by that number."""
    zip5 = text.strip()[:5]
    point = zip_point(zip5)
    if point is None:
        raise PlaceError(f"We don't know the ZIP code {text.strip()}. Check it, or type a city "
                         "and its state (Seattle, WA).")
    city = _geography()[2].get(zip5)
    label = f"{zip5} ({city[0]}, {city[1]})" if city else zip5
    return Place("zip", label, point[0], point[1])


def _city_place(city: City) -> Place:
    return Place("city", f"{city.name}, {city.state}", city.lat, city.lon)


def _state_at(tokens: list[str], end: int) -> tuple[str, int] | None:
    """The state named by the tokens ending at ``end`` (exclusive), as (code, first token),
    the longest name first ("New York" before "York")."""
    names = _state_names()
    for length in (4, 3, 2, 1):
        start = end - length
        if start >= 0 and (text := " ".join(tokens[start:end]).strip(",. ").upper()) in names:
            return names[text], start
    return None


def _split_city_state(tokens: list[str]) -> tuple[int, int, City] | None:
    """Where in the tokens a known "City, ST" or "City State" is, the last one first, as (first
    token, end, City); the longest city name wins ("West Palm Beach, FL" over "Palm Beach")."""
    cities = _geography()[0]
    for end in range(len(tokens), 0, -1):
        state = _state_at(tokens, end)
        if state is None:
            continue
        code, state_start = state
        for length in (4, 3, 2, 1):
            start = state_start - length
            if start < 0:
                continue
            if any(t.endswith(",") for t in tokens[start:state_start - 1]):
                continue  # "facial, Seattle WA": the comma ends the words before the city
            city = cities.get((_city_key(" ".join(tokens[start:state_start])), code))
            if city is not None:
                return start, end, city
    return None


def read_place(text: str) -> Place:
    """The where field: a ZIP, "City, ST", "City State", a city alone or a state."""
    text = " ".join(text.split())
    if re.fullmatch(r"\d{3,5}(?:-\d{4})?", text):
        return zip_place(text)
    tokens = text.split()
    found = _split_city_state(tokens)
    if found is not None and found[0] == 0 and found[1] == len(tokens):
        return _city_place(found[2])
    names = _state_names()
    bare = text.strip(",. ").upper()
    if bare in names:
        code = names[bare]
        return Place("state", STATE_NAMES[code], state=code)
    state = _state_at(tokens, len(tokens))
    if state is not None and state[1] > 0:
        city = " ".join(tokens[:state[1]]).strip(", ")
        raise PlaceError(f"We don't know a city called {city} in {STATE_NAMES[state[0]]}. "
                         "Check the spelling, or type its ZIP code.")
    matches = _geography()[1].get(_city_key(text), [])
    if len(matches) == 1:
        return _city_place(matches[0])
    if matches:
        options = [f"{c.name}, {c.state}" for c in matches[:8]]
        raise PlaceError(f"There is a {matches[0].name} in {len(matches)} states: which one? "
                         "Add the state.", options)
    raise PlaceError(f"We don't know the place {text}. Type a ZIP code, or a city and its state "
                     "(Seattle, WA).")


# --- what a person typed ------------------------------------------------------------------------

@dataclass
class Query:
    words: list[str] = field(default_factory=list)  # the words to search, place and fillers out
    prefix_last: bool = False  # the last word ended the text: it may be unfinished
    place: Place | None = None
    place_text: str | None = None  # the place as typed (the where field, or found in the words)
    miles: float | None = None  # "within 25 miles" in the words
    problem: PlaceError | None = None

    def fts(self, *, any_word: bool = False, prefix: bool = True) -> str | None:
        """The FTS5 query of the words (every word, or any with ``any_word``; the last one as
        the start of a word when it may be unfinished, unless not ``prefix``), None when there
        are none. Each word is quoted, so nothing typed is an operator or a syntax error."""
        terms = []
        for i, word in enumerate(self.words):
            phrase = '"{}"'.format(word.replace('"', '""'))
            known = word.lower() in vocabulary_words()
            if prefix and self.prefix_last and i == len(self.words) - 1 and not known:
                phrase += "*"  # a whole word of the vocabulary is not cut short
            if known:
                phrase = f"{VOCABULARY_COLUMNS} : {phrase}"
            terms.append(phrase)
        if not terms:
            return None
        return (" OR " if any_word else " AND ").join(terms)

    def attempts(self) -> list[tuple[str | None, bool]]:
        """The FTS5 queries to try in turn until one finds someone, each with whether it asks
        for any word only: every word whole (a prefix costs twice as much to match and rank),
        then the last word as the start of a word ("lee par" finds Lee-Park), then any word."""
        tries = [(self.fts(prefix=False), False), (self.fts(), False)]
        if len(self.words) > 1:
            tries.append((self.fts(any_word=True), True))
        out: list[tuple[str | None, bool]] = []
        for attempt in tries:
            if attempt[0] not in [o[0] for o in out]:
                out.append(attempt)
        return out


def _clean(token: str) -> str:
    return token.strip(",;:!?()[]{}<>\"")


def _miles_at(tokens: list[str]) -> tuple[int, int, float] | None:
    """Where "within 25 miles" ("25 mi", "25mi") is in the tokens: (start, end, miles)."""
    for i in range(len(tokens)):
        for length in (1, 2):
            if i + length <= len(tokens) and (
                    match := MILES_RE.match(_clean(" ".join(tokens[i:i + length])))):
                return i, i + length, float(match.group(1))
    return None


def _place_at(tokens: list[str]) -> tuple[int, int, Place | PlaceError] | None:
    """Where the first ZIP, else the last "City, ST", is in the tokens: (start, end, the place
    or why it cannot be found)."""
    for i, token in enumerate(tokens):
        if ZIP_IN_WORDS.match(_clean(token)):
            try:
                return i, i + 1, zip_place(_clean(token))
            except PlaceError as error:
                return i, i + 1, error
    found = _split_city_state(tokens)
    if found is None:
        return None
    start, end, city = found
    return start, end, _city_place(city)


def read_query(what: str | None, where: str | None = None) -> Query:
    """The words and the place of a search. A place in the words is taken out of them; the
    where field, when filled, is the place (a place also in the words is then left out). A
    place that cannot be found is ``problem``, said to the person."""
    text = what or ""
    tokens = text.split()
    # The last token typed, when nothing follows it, may be an unfinished word.
    unfinished = len(tokens) - 1 if tokens and not text[-1].isspace() else -1
    positions = list(range(len(tokens)))
    query = Query()
    miles = _miles_at(tokens)
    if miles is not None:
        query.miles = miles[2]
        del tokens[miles[0]:miles[1]], positions[miles[0]:miles[1]]
    in_words = _place_at(tokens)
    if in_words is not None:
        start, end, found = in_words
        typed = " ".join(tokens[start:end]).strip(",. ")
        del tokens[start:end], positions[start:end]
    where = " ".join((where or "").split())
    if where:
        query.place_text = where
        try:
            query.place = read_place(where)
        except PlaceError as error:
            query.problem = error
    elif in_words is not None:
        query.place_text = _clean(typed)
        if isinstance(found, PlaceError):
            query.problem = found
        else:
            query.place = found
    for token, position in zip(tokens, positions, strict=True):
        word = _clean(token)
        if not re.search(r"\w", word) or word.lower() in FILLERS:
            continue
        query.words.append(word)
        query.prefix_last = position == unfinished
    return query


def matched_tags(words: list[str], tags: dict[str, str | None], *,
                 prefix_last: bool = False) -> list[str]:
    """The tags (of ``tags``: tag -> its claim sentence) that the searched words found: by a
    word of the tag's vocabulary, or in its sentence."""
    typed = [w.lower() for w in words]
    found = []
    for tag, snippet in tags.items():
        vocabulary_of = tag_words().get(tag, frozenset(_words_of(tag)))
        sentence = set(_words_of(snippet or ""))
        for i, word in enumerate(typed):
            prefix = prefix_last and i == len(typed) - 1
            for known in (vocabulary_of, sentence if word not in vocabulary_words() else ()):
                if any(k == word or (prefix and k.startswith(word)) or _same_stem(k, word)
                       for k in known):
                    found.append(tag)
                    break
            else:
                continue
            break
    return found


def _same_stem(a: str, b: str) -> bool:
    """Close enough for showing a claim: "needles" and "needle", "injuries" and "injury"."""
    if len(a) < 4 or len(b) < 4:
        return False
    stem = min(len(a), len(b)) - 1
    return a[:stem] == b[:stem] and abs(len(a) - len(b)) <= 3
