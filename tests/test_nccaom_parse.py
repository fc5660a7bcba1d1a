"""The NCCAOM directory parsed from its real saved pages: every card of the WA page."""

from __future__ import annotations

import pytest

from scraper.parsing import ParseError
from scraper.sources import nccaom
from scraper.sources.nccaom import parse_search, split_address, split_name

from .conftest import fixture_text

URL = "https://directory.nccaom.org/FAP/SearchResultWithoutMap?StateCode=WA&SearchType=2&PageNo=1"
AC, CH, OM = "Dipl. Ac.", "Dipl. C.H.", "Dipl. O.M."
# (profile id, name, credentials in the name, gender, phone, website href, street, city,
#  certificates), read off the page by eye and by a plain text dump, not by the parser.
WA_PAGE_1 = [
    ("rTjSagQVHkY=", "Zhenbo Li", None, "Female", "360-984-6489",
     "http://www.lotusacupuncturefertility.com", "513 N Morrison Rd", "Vancouver", [AC, CH]),
    ("jb7zTN910iE=", "Zhaoyang Chen", None, "Female", "212-974-2880", None,
     "1301 Spring St #7F", "Seattle", [AC, CH]),
    ("5bnApqCGICY=", "Yvonne Claire Pastika", None, "Female", "206-271-2192", None,
     "200 Sw 41st Street, Suite104", "Renton", [AC]),
    ("Yic79Sj0S4A=", "Yunhan John Zheng", None, "Male", "206-525-5825",
     "http://www.greenlakeacupuncture.com/home.html", "1111 N. 82nd Street", "Seattle", [AC]),
    ("hsb98wDgrS8=", "Yunfan Yang", None, "Male", "206-940-8688", None, "727 228th St SE",
     "Bothell", [AC]),
    ("M_Kz94f-RFI=", "Yun Xiao", None, "Female", "425-289-9864", "http://wedgwoodacupuncture.com/",
     "8034 35th Ave. Ne.", "Seattle", [OM]),
    ("Rq2nK8IWnYU=", "Yufang Xue", None, "Male", "360-798-7132",
     "http://www.healingsageacupuncture.com", "337 NE 5th Ave", "Camas", [AC, CH]),
    ("sSsHTzu5zyU=", "Yu-chun Lai", None, "Female", None, None, "3901 Midvale Ave N", "Seattle",
     [AC]),
    ("F5kCvr4aQ4I=", "Yuanming Lu", None, "Male", "206-719-0511", None,
     "2611 NE 125th ST Suite115", "Seattle", [AC, CH]),
    ("lg_i5QyB1MI=", "Yu Min Liu", None, "Female", None, None, "2901 84th Ave SE",
     "Mercer Island", [OM]),
    ("Mc9XjUny0i8=", "Young Bin Im", None, "Male", "425-773-7979", None,
     "18904 Highway 99 Ste F", "Lynnwood", [AC]),
    ("57YLoyljiEg=", "Youl Park", "L.Ac.", "Male", "425-745-2311", "http://MCAWellness.com",
     "125 164th St SE", "Bothell", [AC]),
    ("6e6kDSplSHs=", "Yoona Kim", None, "Female", "206-790-6082", None,
     "15 Sw everett mall way STE G", "Everett", [AC]),
    ("gi2Gww1mvgQ=", "Yoji Kobayashi", None, "Male", "206-282-9165", None, "3311 W Fort St",
     "Seattle", [AC]),
    ("HgeAiBcY4Yk=", "Yixi Jin", None, "Female", "206-258-1672", None, "5402 Ne 1st St",
     "Renton", [OM]),
    ("WusY8Jop5Tg=", "Yiwen Su", None, "Male", "206-783-7771",
     "http://www.sujinacupunctureherb.com", "11066 5th Ave. NE Suite 106", "Seattle", [AC, CH]),
    ("CHAcdcJb2Zg=", "Yi-Tsan Lee", None, "Female", "253-343-7567", None, "3402 6th Ave",
     "Tacoma", [OM]),
    ("EJQMg_Bk2yw=", "Yi-Pei Lin", None, "Female", "206-960-9117",
     "https://www.insightnaturalarts.com/medical-arts", "1300 114th Ave Se Suite 105", "Bellevue",
     [OM]),
    ("9lelwm0a448=", "Ying-Jia Hu", None, "Female", "206-778-8878", None,
     "1207 N 200th St suite 105", "Shoreline", [AC, CH]),
    ("2T1HaA94Lzw=", "Ying Zhang", None, "Female", "206-487-3088",
     "http://essenceacupunctureclinic.com", "1818 Westlake Ave N Ste 112", "Seattle", [OM]),
]


@pytest.fixture(scope="module")
def page():
    return parse_search(fixture_text("nccaom", "nccaom_fap_search_state_wa_page1.html"), URL, "t")


def test_page_totals(page):
    assert (page.last_page, page.total, len(page.certifications)) == (40, 789, 20)


@pytest.mark.parametrize("index", range(20))
def test_every_card_field_by_field(page, index):
    expected = WA_PAGE_1[index]
    c = page.certifications[index]
    got = (c.profile_id, c.name, c.name_credentials, c.gender, c.phone, c.website, c.street,
           c.city, c.certificates)
    assert got == (*expected[:8], sorted(expected[8]))
    assert (c.status, c.state, c.country) == ("Certified Diplomate", "WA", "USA")
    assert c.profile_url == ("https://directory.nccaom.org/FAP/PractitionerDetail?AgencyClientId="
                             + expected[0])
    assert c.provenance.source_url == URL


def test_a_shortened_website_text_is_read_from_its_link(page):
    html = fixture_text("nccaom", "nccaom_fap_search_state_wa_page1.html")
    assert "www.lotusacupuncturefertility. ..." in html  # what the card shows
    assert page.certifications[0].website == "http://www.lotusacupuncturefertility.com"


@pytest.mark.parametrize("text,expected", [
    ("Youl Park L.Ac.", ("Youl Park", "L.Ac.")),
    ("Willow E. Hammer Dipl. Ac. (NCCAOM)", ("Willow E. Hammer", "Dipl. Ac. (NCCAOM)")),
    ("Ann Lee, DAOM, L.Ac.", ("Ann Lee", "DAOM, L.Ac.")),
    ("Mac Donald", ("Mac Donald", None)),
])
def test_split_name(text, expected):
    assert split_name(text) == expected


def test_split_address():
    assert split_address("143 Piccadilly Downs , Lynbrook, NY 11563-3117, USA") == (
        "143 Piccadilly Downs", "Lynbrook", "NY", "USA")
    assert split_address(None) == (None, None, None, None)


def test_a_page_that_changed_shape_fails_naming_the_selector():
    html = fixture_text("nccaom", "nccaom_fap_search_state_wa_page1.html").replace(
        "result-card__item", "result-tile")
    with pytest.raises(ParseError) as caught:
        parse_search(html, URL)
    assert (caught.value.selector, caught.value.count, caught.value.url) == (
        ".result-card__item", 0, URL)
    no_pager = fixture_text("nccaom", "nccaom_fap_search_state_wa_page1.html").replace(
        'id="hdnlastpage"', 'id="lastpage"')
    with pytest.raises(ParseError, match="input#hdnlastpage"):
        parse_search(no_pager, URL)


def test_the_directory_is_read_at_its_new_name_under_its_old_id():
    """NCCAOM became NCBAHM in 2026: the directory moved to directory.ncbahm.org, the records
    already stored stay under the source id "nccaom"."""
    assert nccaom.BASE_URL == "https://directory.ncbahm.org/FAP/SearchResultWithoutMap"
    assert (nccaom.SOURCE_ID, nccaom.TITLE.startswith("NCCAOM (now NCBAHM) Find a Practitioner")
            ) == ("nccaom", True)
    page = parse_search(fixture_text("nccaom", "nccaom_fap_search_state_wa_page1.html"),
                        URL.replace("nccaom.org", "ncbahm.org"), "t")
    assert {c.profile_url.split("?")[0] for c in page.certifications} == {
        "https://directory.ncbahm.org/FAP/PractitionerDetail"}


def test_profile_page():
    from scraper.sources.nccaom import parse_profile

    url = "https://directory.nccaom.org/FAP/PractitionerDetail?AgencyClientId=QDaEw7Ou7O="
    profile = parse_profile(fixture_text("nccaom",
                                         "nccaom_fap_practitioner_profile_willow_hammer.html"), url)
    assert (profile.profile_id, profile.name, profile.credential_line, profile.gender) == (
        "QDaEw7Ou7O=", "Willow E. Hammer", "Dipl. Ac. (NCCAOM)", "Female")
    assert (profile.street, profile.city, profile.state, profile.country, profile.phone,
            profile.website) == ("143 Piccadilly Downs", "Lynbrook", "NY", "USA", "917-603-6324",
                                 "http://willowtreeacu.com")
    assert profile.about.startswith("I specialize in a type of Japanese acupuncture")
    assert (profile.badges, profile.languages) == (["Dipl. Acupuncture"], ["English"])
    assert profile.education == ["New York College of Health Professions",
                                 "Master’s Degree program – Acupuncture"]
    assert profile.conditions == ["Pain", "mental health", "fertility", "GI issues",
                                  "facial rejuvenation"]
