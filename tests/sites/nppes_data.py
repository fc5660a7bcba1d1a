"""Deterministic, made-up acupuncturist records in the shape of the NPPES NPI Registry API v2.1.

`generate_providers(n, seed)` returns `n` result objects exactly as the API's `results` array holds
them (see the real answers in `shared/samples/nppes_api_v2.1_*.json`): upper-case names, a
`basic.name` of "LAST FIRST", LOCATION and MAILING `addresses`, `taxonomies` with self-reported
license numbers, `practiceLocations` with an `update_date`. Every record is fictional; NPIs carry a
valid check digit but are drawn at random.

The data are shaped to exercise what a scraper of the real API must handle:
- volume: California (~7,000) and New York (~2,500) exceed the 1,200 records one query can reach,
  and ZIP prefix 941 (San Francisco) alone holds ~1,500 primary locations, so a scraper has to split
  down to 4-digit wildcards (`9411*`); no 5-digit ZIP holds more than a few hundred;
- variety: ~5% organizations (NPI-2), ~10% with Acupuncturist as a secondary taxonomy, ~8% of
  individuals licensed in 2-3 states, license numbers written many ways, ~10% with a MAILING
  address in another state, ~10% with extra practice locations, ~2% reactivated NPIs, former
  names, apostrophes and hyphens in names, and one last name holding `<script>alert(1)</script>`;
- the API's placeholders for "none", which are not data: `name_prefix` and `name_suffix` "--" on
  ~90% of the individuals without one (as other clients' captures of the live API show them; the
  recordings of 2019 in tests/fixtures leave the keys out), and `license` "NA" (seen in a recorded
  answer) on ~3% of individuals' taxonomies, outside the five states of the board stand-ins
  (`socrata_data` makes each board's numbers from these licenses and does not read "NA").

Where they practise: most in the curated city ZIPs of `GEOGRAPHY`; `SPREAD_SHARE` of them anywhere
in their state, on a real street-delivery ZIP drawn by how crowded its area is (`state_zip_weights`:
the ZIP data hold no population, so a ZIP's weight is the number of ZIPs around it), so that a
scraper splitting a state by its ZIPs meets small towns as well as cities.

`grow_providers(providers, share)` makes the registry a month later: that share more providers,
drawn and spread the same way, with new NPIs.

Nothing depends on the clock: the same (n, seed) always gives the same list.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import Counter
from functools import cache

ACUPUNCTURIST_CODE = "171100000X"
ACUPUNCTURIST_DESC = "Acupuncturist"
XSS_TEXT = "<script>alert(1)</script>"
# The real API's organization taxonomy group, with its double space (see the NPI-2 sample).
SINGLE_SPECIALTY_GROUP = "193400000X SINGLE SPECIALTY  GROUP"

FIRST_ENUMERATION = dt.date(2005, 5, 23)  # NPPES opened
LAST_ENUMERATION = dt.date(2025, 12, 31)
DATA_AS_OF = dt.date(2026, 2, 27)  # the newest last_updated in the data

# Primary-location geography. Per state, the 3-digit ZIP prefixes used, each with its share of the
# state's providers (for n=20,000 the shares are the counts), area codes, and "ZIP... CITY" groups.
# All prefixes and ZIPs are real ones of that state.
GEOGRAPHY: dict[str, list[tuple[str, int, str, str]]] = {
    "CA": [
        ("941", 1500, "415 628", "94102 94103 94104 94105 94107 94108 94109 94110 94111 94112 "
         "94114 94115 94116 94117 94118 94121 94122 94123 94124 94127 94131 94132 94133 94134 "
         "94158 SAN FRANCISCO"),
        ("900", 800, "213 323 310", "90004 90005 90006 90010 90019 90020 90036 90025 90049 "
         "90064 90066 LOS ANGELES, 90069 WEST HOLLYWOOD"),
        ("902", 350, "310 424", "90210 90211 BEVERLY HILLS, 90230 90232 CULVER CITY, "
         "90245 EL SEGUNDO, 90266 MANHATTAN BEACH, 90277 REDONDO BEACH"),
        ("904", 300, "310 424", "90401 90403 90404 90405 SANTA MONICA"),
        ("911", 250, "626", "91101 91103 91105 91106 PASADENA"),
        ("913", 350, "818 747", "91302 CALABASAS, 91356 TARZANA, 91364 91367 WOODLAND HILLS, "
         "91301 AGOURA HILLS"),
        ("917", 300, "626 909", "91754 91755 MONTEREY PARK, 91776 SAN GABRIEL, "
         "91780 TEMPLE CITY, 91789 WALNUT"),
        ("921", 450, "619 858", "92101 92103 92104 92109 92116 92122 SAN DIEGO"),
        ("926", 400, "949 714", "92612 92614 92618 IRVINE, 92660 92663 NEWPORT BEACH, "
         "92626 COSTA MESA, 92647 HUNTINGTON BEACH"),
        ("940", 250, "650", "94025 MENLO PARK, 94040 94041 MOUNTAIN VIEW, 94061 REDWOOD CITY, "
         "94010 BURLINGAME"),
        ("943", 150, "650", "94301 94303 94306 PALO ALTO"),
        ("945", 300, "510 925", "94501 ALAMEDA, 94549 LAFAYETTE, 94596 WALNUT CREEK, "
         "94530 EL CERRITO, 94566 PLEASANTON"),
        ("946", 350, "510", "94601 94602 94606 94609 94610 94611 94612 94618 OAKLAND"),
        ("947", 300, "510", "94702 94703 94704 94705 94707 94709 94710 BERKELEY"),
        ("950", 250, "831 408", "95060 95062 SANTA CRUZ, 95030 LOS GATOS, 95014 CUPERTINO, "
         "95050 SANTA CLARA"),
        ("951", 250, "408 669", "95112 95117 95125 95128 95129 SAN JOSE"),
        ("954", 100, "707", "95401 95404 SANTA ROSA, 95472 SEBASTOPOL"),
        ("956", 150, "916 530", "95616 DAVIS, 95630 FOLSOM, 95661 ROSEVILLE, 95628 FAIR OAKS"),
        ("958", 200, "916", "95814 95816 95818 95819 95822 SACRAMENTO"),
    ],
    "NY": [
        ("100", 950, "212 646 917", "10001 10003 10010 10011 10012 10013 10014 10016 10019 "
         "10021 10022 10023 10024 10025 10028 10036 NEW YORK"),
        ("112", 450, "718 347", "11201 11211 11215 11217 11222 11231 11238 BROOKLYN"),
        ("113", 250, "718", "11354 11355 FLUSHING, 11375 FOREST HILLS, 11372 JACKSON HEIGHTS"),
        ("111", 120, "718", "11101 LONG ISLAND CITY, 11102 11106 ASTORIA"),
        ("105", 90, "914", "10514 CHAPPAQUA, 10583 SCARSDALE, 10573 PORT CHESTER"),
        ("106", 70, "914", "10601 10605 WHITE PLAINS"),
        ("115", 110, "516", "11501 MINEOLA, 11530 GARDEN CITY, 11570 ROCKVILLE CENTRE"),
        ("117", 110, "631", "11743 HUNTINGTON, 11747 MELVILLE, 11733 EAST SETAUKET"),
        ("122", 60, "518", "12203 12208 ALBANY"),
        ("142", 60, "716", "14201 14209 14222 BUFFALO"),
        ("146", 60, "585", "14607 14618 14620 ROCHESTER"),
        ("132", 40, "315", "13202 13210 SYRACUSE"),
        ("148", 40, "607", "14850 ITHACA"),
        ("125", 50, "845", "12561 NEW PALTZ, 12550 NEWBURGH"),
        ("124", 40, "845", "12498 WOODSTOCK, 12401 KINGSTON"),
    ],
    "FL": [
        ("331", 330, "305 786", "33130 33131 33133 33137 MIAMI, 33139 33140 MIAMI BEACH"),
        ("333", 170, "954", "33301 33304 33308 FORT LAUDERDALE"),
        ("334", 170, "561", "33401 WEST PALM BEACH, 33431 33432 33486 BOCA RATON"),
        ("328", 140, "407", "32801 32803 32806 ORLANDO"),
        ("327", 50, "407", "32789 WINTER PARK"),
        ("336", 110, "813", "33602 33606 33609 TAMPA"),
        ("337", 70, "727", "33701 33704 SAINT PETERSBURG"),
        ("342", 70, "941", "34231 34236 SARASOTA"),
        ("341", 50, "239", "34102 34103 NAPLES"),
        ("322", 50, "904", "32204 32207 JACKSONVILLE"),
        ("326", 40, "352", "32601 32605 GAINESVILLE"),
    ],
    "TX": [
        ("787", 260, "512 737", "78701 78703 78704 78731 78745 78757 AUSTIN"),
        ("770", 270, "713 832", "77002 77005 77006 77019 77025 77098 HOUSTON"),
        ("752", 160, "214 469", "75201 75204 75206 75214 75230 DALLAS"),
        ("782", 90, "210", "78209 78212 78216 SAN ANTONIO"),
        ("761", 50, "817", "76107 76109 FORT WORTH"),
        ("750", 50, "972", "75024 75093 PLANO"),
        ("799", 20, "915", "79902 79912 EL PASO"),
    ],
    "WA": [
        ("981", 430, "206", "98101 98102 98103 98105 98107 98109 98112 98115 98117 98122 "
         "98144 SEATTLE"),
        ("980", 130, "425", "98004 98005 BELLEVUE, 98033 KIRKLAND, 98052 REDMOND"),
        ("984", 60, "253", "98402 98403 98405 TACOMA"),
        ("985", 60, "360", "98501 98502 98506 OLYMPIA"),
        ("982", 70, "360", "98225 98226 BELLINGHAM"),
        ("992", 60, "509", "99201 99203 99223 SPOKANE"),
        ("983", 40, "360", "98368 PORT TOWNSEND, 98310 BREMERTON"),
    ],
    "NJ": [
        ("070", 220, "973 201", "07030 HOBOKEN, 07042 MONTCLAIR, 07052 WEST ORANGE, "
         "07040 MAPLEWOOD"),
        ("076", 120, "201", "07601 HACKENSACK, 07666 TEANECK, 07670 TENAFLY"),
        ("073", 90, "201", "07302 07306 07310 JERSEY CITY"),
        ("079", 80, "973 908", "07901 SUMMIT, 07960 MORRISTOWN"),
        ("085", 70, "609", "08540 08542 PRINCETON"),
        ("088", 60, "732", "08820 EDISON, 08873 SOMERSET"),
    ],
    "CO": [
        ("802", 280, "303 720", "80202 80203 80205 80206 80210 80218 DENVER"),
        ("803", 130, "303", "80301 80302 80304 BOULDER"),
        ("805", 70, "970", "80501 LONGMONT, 80521 80524 FORT COLLINS"),
        ("809", 50, "719", "80903 80907 COLORADO SPRINGS"),
        ("816", 20, "970", "81611 ASPEN"),
    ],
    "OR": [
        ("972", 300, "503 971", "97201 97202 97205 97209 97210 97211 97212 97214 97215 97232 "
         "PORTLAND"),
        ("974", 80, "541", "97401 97402 97405 EUGENE"),
        ("975", 50, "541", "97520 ASHLAND, 97501 MEDFORD"),
        ("977", 50, "541", "97701 97702 BEND"),
        ("973", 40, "503", "97301 97302 SALEM"),
    ],
    "MA": [
        ("021", 250, "617 857", "02108 02115 02116 02118 BOSTON, 02130 JAMAICA PLAIN, "
         "02138 02139 02140 CAMBRIDGE, 02143 02144 SOMERVILLE"),
        ("024", 120, "617 781", "02445 02446 BROOKLINE, 02453 WALTHAM, 02459 NEWTON, "
         "02474 ARLINGTON"),
        ("010", 50, "413", "01002 AMHERST, 01060 NORTHAMPTON"),
        ("016", 40, "508 774", "01602 01609 WORCESTER"),
        ("019", 40, "978 351", "01960 PEABODY, 01970 SALEM"),
    ],
    "IL": [
        ("606", 280, "312 773", "60610 60614 60618 60622 60625 60640 60657 CHICAGO"),
        ("602", 60, "847", "60201 60202 EVANSTON"),
        ("605", 60, "630", "60521 HINSDALE, 60540 NAPERVILLE"),
        ("601", 30, "630", "60187 WHEATON, 60148 LOMBARD"),
        ("618", 30, "217", "61801 URBANA, 61820 CHAMPAIGN"),
    ],
    "HI": [
        ("968", 260, "808", "96813 96814 96815 96816 96817 96826 HONOLULU"),
        ("967", 130, "808", "96720 HILO, 96740 KAILUA KONA, 96753 KIHEI, 96734 KAILUA"),
    ],
    "NM": [
        ("871", 170, "505", "87102 87104 87106 87108 87110 ALBUQUERQUE"),
        ("875", 140, "505", "87501 87505 87507 SANTA FE, 87571 TAOS"),
        ("880", 30, "575", "88001 88005 LAS CRUCES"),
    ],
    "MD": [
        ("208", 140, "301 240", "20814 20815 BETHESDA, 20850 20852 ROCKVILLE"),
        ("212", 100, "410 443", "21201 21202 21211 21218 BALTIMORE"),
        ("210", 50, "410", "21044 21045 COLUMBIA"),
        ("214", 40, "410", "21401 21403 ANNAPOLIS"),
    ],
    "AZ": [
        ("850", 110, "602", "85004 85016 85018 PHOENIX"),
        ("852", 110, "480", "85251 85258 SCOTTSDALE, 85281 TEMPE"),
        ("857", 70, "520", "85705 85716 85719 TUCSON"),
        ("860", 30, "928", "86001 86004 FLAGSTAFF"),
    ],
    "PA": [
        ("191", 150, "215 267", "19103 19104 19106 19107 19123 19147 PHILADELPHIA"),
        ("152", 80, "412", "15206 15213 15217 15232 PITTSBURGH"),
        ("190", 50, "610 484", "19003 ARDMORE, 19010 BRYN MAWR, 19041 HAVERFORD"),
        ("189", 30, "215", "18901 DOYLESTOWN, 18938 NEW HOPE"),
    ],
    "NC": [
        ("277", 60, "919", "27701 27705 DURHAM"),
        ("275", 50, "919", "27510 CARRBORO, 27514 27516 CHAPEL HILL"),
        ("276", 60, "919 984", "27601 27605 27607 27609 RALEIGH"),
        ("288", 60, "828", "28801 28803 28804 ASHEVILLE"),
        ("282", 40, "704 980", "28202 28203 28204 28207 CHARLOTTE"),
    ],
    "VA": [
        ("222", 60, "703 571", "22201 22203 22207 ARLINGTON"),
        ("221", 50, "703", "22101 22102 MCLEAN, 22180 22182 VIENNA"),
        ("223", 50, "703", "22301 22304 22314 ALEXANDRIA"),
        ("229", 40, "434", "22901 22902 22903 CHARLOTTESVILLE"),
        ("232", 40, "804", "23220 23221 23226 RICHMOND"),
        ("234", 30, "757", "23451 23454 VIRGINIA BEACH"),
    ],
    "GA": [
        ("303", 130, "404 678", "30305 30306 30307 30308 30309 ATLANTA"),
        ("300", 60, "770 678", "30030 DECATUR, 30060 30067 MARIETTA"),
        ("314", 30, "912", "31401 31405 SAVANNAH"),
    ],
    "MN": [
        ("554", 120, "612", "55403 55404 55405 55406 55408 55410 MINNEAPOLIS"),
        ("551", 80, "651", "55102 55104 55105 55116 SAINT PAUL"),
        ("558", 20, "218", "55802 55805 DULUTH"),
    ],
    "MI": [
        ("481", 70, "734", "48103 48104 48105 ANN ARBOR"),
        ("480", 50, "248", "48009 BIRMINGHAM, 48067 ROYAL OAK"),
        ("482", 30, "313", "48201 48226 DETROIT"),
        ("495", 30, "616", "49503 49506 GRAND RAPIDS"),
    ],
    "CT": [
        ("061", 50, "860", "06103 06105 06106 HARTFORD"),
        ("065", 50, "203", "06510 06511 NEW HAVEN"),
        ("068", 40, "203", "06810 DANBURY, 06851 NORWALK"),
        ("069", 40, "203", "06901 06902 STAMFORD"),
    ],
    "NV": [
        ("891", 120, "702 725", "89102 89117 89123 89128 89144 LAS VEGAS"),
        ("895", 50, "775", "89501 89502 89509 RENO"),
    ],
    "OH": [
        ("432", 60, "614", "43201 43202 43214 43215 COLUMBUS"),
        ("441", 50, "216", "44106 44113 CLEVELAND, 44118 CLEVELAND HEIGHTS"),
        ("452", 40, "513", "45202 45208 45219 CINCINNATI"),
    ],
    "UT": [
        ("841", 90, "801 385", "84102 84103 84105 84106 84111 SALT LAKE CITY"),
        ("840", 30, "435 801", "84060 PARK CITY, 84010 BOUNTIFUL"),
        ("846", 20, "801", "84601 84604 PROVO"),
    ],
    "WI": [
        ("537", 70, "608", "53703 53704 53705 53711 53715 MADISON"),
        ("532", 50, "414", "53202 53211 53212 MILWAUKEE"),
    ],
    "DC": [
        ("200", 120, "202", "20001 20002 20003 20005 20008 20009 20010 20016 20036 WASHINGTON"),
    ],
    "VT": [
        ("054", 50, "802", "05401 BURLINGTON, 05403 SOUTH BURLINGTON"),
        ("056", 20, "802", "05602 MONTPELIER"),
        ("053", 20, "802", "05301 BRATTLEBORO"),
    ],
    "ME": [
        ("041", 50, "207", "04101 04102 04103 PORTLAND"),
        ("040", 25, "207", "04011 BRUNSWICK, 04032 FREEPORT"),
        ("044", 15, "207", "04401 BANGOR"),
    ],
    "NH": [
        ("038", 30, "603", "03801 PORTSMOUTH"),
        ("033", 20, "603", "03301 CONCORD"),
        ("031", 20, "603", "03101 03104 MANCHESTER"),
        ("037", 10, "603", "03755 HANOVER"),
    ],
    "RI": [
        ("029", 50, "401", "02903 02906 02908 PROVIDENCE"),
        ("028", 20, "401", "02840 NEWPORT, 02818 EAST GREENWICH"),
    ],
    "MO": [
        ("631", 40, "314", "63104 63108 63110 SAINT LOUIS"),
        ("641", 30, "816", "64111 64112 KANSAS CITY"),
    ],
    "TN": [
        ("372", 45, "615", "37203 37204 37205 37212 NASHVILLE"),
        ("379", 15, "865", "37902 37919 KNOXVILLE"),
        ("381", 15, "901", "38104 38117 MEMPHIS"),
    ],
    "SC": [
        ("294", 35, "843", "29401 29403 29407 CHARLESTON, 29464 MOUNT PLEASANT"),
        ("292", 15, "803", "29201 29205 COLUMBIA"),
        ("296", 15, "864", "29601 29605 GREENVILLE"),
    ],
    "MT": [
        ("598", 25, "406", "59801 59802 MISSOULA"),
        ("597", 25, "406", "59715 59718 BOZEMAN"),
        ("591", 10, "406", "59101 59102 BILLINGS"),
    ],
    "ID": [
        ("837", 40, "208", "83702 83706 BOISE"),
        ("838", 15, "208", "83814 COEUR D'ALENE"),
    ],
    "KS": [
        ("662", 30, "913", "66204 66210 66211 OVERLAND PARK"),
        ("660", 15, "785", "66044 LAWRENCE"),
    ],
    "KY": [
        ("402", 30, "502", "40202 40204 40205 LOUISVILLE"),
        ("405", 15, "859", "40502 40503 LEXINGTON"),
    ],
    "LA": [
        ("701", 30, "504", "70112 70115 70118 70130 NEW ORLEANS"),
        ("708", 15, "225", "70806 70808 BATON ROUGE"),
    ],
    "IN": [
        ("462", 30, "317", "46202 46205 46220 INDIANAPOLIS"),
        ("474", 15, "812", "47401 47404 BLOOMINGTON"),
    ],
    "IA": [
        ("503", 20, "515", "50309 50312 DES MOINES"),
        ("522", 15, "319", "52240 52245 IOWA CITY"),
    ],
    "AK": [
        ("995", 30, "907", "99501 99503 99508 ANCHORAGE"),
        ("997", 10, "907", "99701 99709 FAIRBANKS"),
    ],
    "NE": [
        ("681", 20, "402", "68102 68114 OMAHA"),
        ("685", 10, "402", "68502 68508 LINCOLN"),
    ],
    "OK": [
        ("731", 15, "405", "73102 73103 73118 OKLAHOMA CITY"),
        ("741", 10, "918", "74103 74105 74114 TULSA"),
    ],
    "AL": [
        ("352", 15, "205", "35203 35205 35209 BIRMINGHAM"),
        ("358", 10, "256", "35801 35802 HUNTSVILLE"),
    ],
    "DE": [
        ("198", 15, "302", "19801 19803 WILMINGTON"),
        ("197", 10, "302", "19711 NEWARK"),
    ],
    "AR": [
        ("722", 12, "501", "72201 72205 LITTLE ROCK"),
        ("727", 8, "479", "72701 72703 FAYETTEVILLE"),
    ],
    "WY": [
        ("830", 15, "307", "83001 JACKSON"),
        ("820", 5, "307", "82001 CHEYENNE"),
    ],
    "WV": [
        ("265", 10, "304", "26501 26505 MORGANTOWN"),
        ("253", 5, "304", "25301 CHARLESTON"),
    ],
    "MS": [("392", 10, "601", "39202 39211 JACKSON")],
    "SD": [("571", 10, "605", "57104 57105 SIOUX FALLS")],
    "ND": [("581", 10, "701", "58102 58103 FARGO")],
}

# How each state's board writes an acupuncture license number; "{5}" is five random digits.
LICENSE_FORMATS = {
    "CA": "AC{5}", "NY": "00{4}", "WA": "AC{8}", "FL": "AP{4}", "TX": "AC{5}", "CO": "ACU.{7}",
    "OR": "AC{6}", "MA": "{5}", "IL": "016.{6}", "HI": "ACU-{4}", "NM": "DOM{4}",
    "NJ": "25MZ{8}", "MD": "U{5}", "AZ": "AC{4}", "PA": "AU{6}", "VA": "0123{6}", "NV": "OMD{3}",
}
DEFAULT_LICENSE_FORMATS = ("LAC.{7}", "AC{5}", "{5}", "LAC{4}")

# Taxonomies seen beside Acupuncturist, with the license format of that profession.
OTHER_TAXONOMIES = [
    ("111N00000X", "Chiropractor", "DC{5}"),
    ("207R00000X", "Internal Medicine", "A{6}"),
    ("207Q00000X", "Family Medicine", "G{5}"),
    ("363LF0000X", "Nurse Practitioner, Family", "NP{6}"),
    ("225700000X", "Massage Therapist", "MT{5}"),
    ("175F00000X", "Naturopath", "ND{4}"),
    ("225100000X", "Physical Therapist", "PT{5}"),
]
OTHER_CREDENTIALS = {
    "111N00000X": ["D.C., L.Ac.", "DC", "D.C."],
    "207R00000X": ["M.D., L.Ac.", "MD", "M.D."],
    "207Q00000X": ["M.D.", "MD, LAc", "D.O."],
    "363LF0000X": ["FNP-C, L.Ac.", "NP", "APRN"],
    "225700000X": ["LMT, L.Ac.", "LMT", "L.Ac., LMT"],
    "175F00000X": ["N.D., L.Ac.", "ND", "NMD"],
    "225100000X": ["DPT, L.Ac.", "PT", "D.P.T."],
}
CREDENTIALS = [
    ("L.Ac.", 30), ("LAC", 12), ("L.AC", 8), ("L.AC.", 8), ("LAc", 6), ("L.Ac", 5),
    ("DAOM, L.Ac.", 4), ("MSOM, L.Ac.", 5), ("L.Ac., MSTOM", 3), ("DACM, L.Ac.", 3),
    ("Dipl. Ac.", 3), ("L.Ac., Dipl. O.M.", 3), ("D.A.O.M.", 2), ("DOM", 2), ("R.Ac.", 1),
    ("", 3), (None, 2),  # None: no credential key at all, as the API omits empty fields
]

FEMALE_FIRST = (
    "JENNIFER SARAH JESSICA EMILY MICHELLE AMANDA LISA KAREN LAURA MARY ELIZABETH ANNA REBECCA "
    "RACHEL HANNAH JULIA MEI LING YAN HUI JING XIAO SOO MIN JI YOUNG HYUN THUY LAN MAI MARIA ANA "
    "ELENA SOFIA ISABEL KATHERINE CHRISTINE NICOLE STEPHANIE HEATHER MEGAN ALISON CLAIRE NATALIE "
    "DANIELLE LEAH MIRIAM NAOMI AMY SUSAN YUKI AIKO PRIYA ANJALI"
).split()
MALE_FIRST = (
    "MICHAEL DAVID JAMES JOHN ROBERT DANIEL MATTHEW ANDREW CHRISTOPHER JOSEPH THOMAS WILLIAM BRIAN "
    "KEVIN ERIC STEVEN PAUL MARK JASON RYAN WEI JUN MING HAO LEI TAO JIN SUNG JAE DONG MINH TUAN "
    "HUNG CARLOS JOSE LUIS ALEJANDRO PETER BENJAMIN SAMUEL NATHAN AARON ADAM JONATHAN GREGORY "
    "ALEXANDER PATRICK SEAN TIMOTHY RICHARD KENJI RAJ"
).split()
LAST_NAMES = (
    "CHEN WANG LI ZHANG LIU YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO LIN HE GAO LUO KIM LEE "
    "PARK CHOI JUNG KANG CHO YOON JANG LIM NGUYEN TRAN LE PHAM HOANG WONG CHAN CHANG CHENG HO "
    "TANAKA SATO SUZUKI WATANABE SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ "
    "MARTINEZ HERNANDEZ LOPEZ GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN THOMPSON "
    "WHITE HARRIS CLARK LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT GREEN BAKER ADAMS "
    "NELSON HILL CAMPBELL MITCHELL ROBERTS CARTER PHILLIPS EVANS TURNER COHEN GOLDBERG SHAPIRO "
    "KAPLAN MURPHY SULLIVAN KELLY O'BRIEN O'CONNOR O'NEILL D'ANGELO MCDONALD FITZGERALD SCHMIDT "
    "MUELLER ROSSI RUSSO PATEL SHAH SINGH SMITH-JONES GARCIA-LOPEZ LEE-PARK"
).split(" ")
STREETS = (
    "MAIN ST|MARKET ST|MISSION ST|VALENCIA ST|BROADWAY|COLLEGE AVE|UNIVERSITY AVE|WILSHIRE BLVD|"
    "OCEAN AVE|PARK AVE|LAKE ST|OAK ST|PINE ST|ELM ST|MAPLE AVE|CEDAR ST|WASHINGTON ST|LINCOLN AVE|"
    "JEFFERSON ST|CENTRAL AVE|HIGHLAND AVE|CHURCH ST|SPRING ST|1ST AVE|2ND ST|3RD ST|4TH AVE|"
    "5TH AVE|MILL RD|RIVER RD|HILLSIDE DR|SUNSET BLVD|CENTER ST|GRAND AVE|PROSPECT ST|UNION ST|"
    "WALNUT ST|CHESTNUT ST|MARTIN LUTHER KING JR WAY|EL CAMINO REAL"
).split("|")
ORG_WORDS = (
    "GOLDEN LOTUS|JADE MOUNTAIN|BAMBOO|WILLOW|BLUE HERON|FIVE ELEMENTS|HARMONY|BALANCE POINT|"
    "TRUE QI|YIN YANG|TRANQUIL WATERS|PACIFIC|EAST WEST|RED CRANE|WHITE TIGER|LOTUS BLOSSOM|"
    "STILL POINT|CEDAR TREE|NORTH STAR|GINKGO"
).split("|")
ORG_KINDS = [
    "ACUPUNCTURE", "ACUPUNCTURE CLINIC", "ACUPUNCTURE & WELLNESS", "ORIENTAL MEDICINE",
    "TRADITIONAL CHINESE MEDICINE CENTER", "HEALING ARTS", "INTEGRATIVE HEALTH",
    "ACUPUNCTURE & HERBS",
]
ORG_SUFFIXES = [
    " LLC", ", LLC", " INC", ", INC.", " PC", " PLLC", " A PROFESSIONAL CORPORATION", "",
]
OFFICIAL_TITLES = ["OWNER", "PRESIDENT", "CEO", "MANAGING MEMBER", "DIRECTOR", "L.AC., OWNER"]


def npi_check_digit(first9: str) -> int:
    """The NPI check digit: Luhn over the 9 digits prefixed with "80840" (ISO 7812 card issuer
    prefix for US health), as the NPI standard specifies."""
    if len(first9) != 9 or not first9.isdigit():
        raise ValueError(f"an NPI starts with 9 digits, not {first9!r}")
    total = 0
    # With the check digit still to come, the rightmost digit here is doubled.
    for position, char in enumerate(reversed("80840" + first9)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_npi(value: object) -> bool:
    """True for a 10-digit NPI starting with 1 or 2 whose check digit is right."""
    text = str(value)
    return (
        len(text) == 10
        and text.isdigit()
        and text[0] in "12"
        and npi_check_digit(text[:9]) == int(text[9])
    )


def _parse_places(spec: str) -> list[tuple[str, str]]:
    """'94501 ALAMEDA, 94549 94556 LAFAYETTE' -> [('94501', 'ALAMEDA'), ('94549', 'LAFAYETTE'),
    ('94556', 'LAFAYETTE')]"""
    places = []
    for group in spec.split(","):
        words = group.split()
        zips = [word for word in words if word.isdigit()]
        city = " ".join(word for word in words if not word.isdigit())
        places.extend((zip5, city) for zip5 in zips)
    return places


class _Prefix:
    def __init__(self, state: str, prefix: str, weight: int, area_codes: str, places: str):
        self.state = state
        self.prefix = prefix
        self.weight = weight
        self.area_codes = area_codes.split()
        self.places = _parse_places(places)
        for zip5, _ in self.places:
            if len(zip5) != 5 or not zip5.startswith(prefix):
                raise ValueError(f"{state} {prefix}: ZIP {zip5} is not under the prefix")


PREFIXES = [
    _Prefix(state, *entry) for state, entries in GEOGRAPHY.items() for entry in entries
]
STATES = list(GEOGRAPHY)
PREFIXES_BY_STATE = {
    state: [prefix for prefix in PREFIXES if prefix.state == state] for state in STATES
}


def _apportion(weights: list[int], total: int) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), summing exactly to `total`."""
    whole = sum(weights)
    shares = [weight * total / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _epoch(day: dt.date) -> int:
    return calendar.timegm(day.timetuple())


class _Generator:
    """Draws one provider at a time from a seeded random.Random; holds no other state."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_npis: set[int] = set()
        self.state_weights = [
            sum(prefix.weight for prefix in PREFIXES_BY_STATE[state]) for state in STATES
        ]
        # Each prefix favours some of its ZIPs, as real neighbourhoods do.
        self.zip_weights = {
            id(prefix): [rng.uniform(0.5, 2.0) for _ in prefix.places] for prefix in PREFIXES
        }

    # -- small draws -------------------------------------------------------------------------

    def digits(self, count: int) -> str:
        return f"{self.rng.randrange(10**count):0{count}d}"

    def npi(self) -> int:
        while True:
            first9 = str(self.rng.randint(100_000_000, 299_999_999))
            number = int(first9 + str(npi_check_digit(first9)))
            if number not in self.used_npis:
                self.used_npis.add(number)
                return number

    def phone(self, prefix: _Prefix) -> str:
        area = self.rng.choice(prefix.area_codes)
        return f"{area}-{self.rng.randint(200, 999)}-{self.digits(4)}"

    def date_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def other_state_prefix(self, state: str) -> _Prefix:
        while True:
            other = self.rng.choices(STATES, weights=self.state_weights)[0]
            if other != state:
                return self.rng.choice(PREFIXES_BY_STATE[other])

    def license_number(self, state: str) -> str:
        pattern = LICENSE_FORMATS.get(state) or self.rng.choice(DEFAULT_LICENSE_FORMATS)
        number = self._fill(pattern)
        # Self-reported: people write the same number many ways.
        roll = self.rng.random()
        letters = number.rstrip("0123456789.-")
        digits = number[len(letters):].lstrip(".-")
        if roll < 0.05:
            return number.lower()
        if roll < 0.09 and letters:
            return f"{letters} {digits}"
        if roll < 0.12 and letters:
            return f"{letters.lower()}-{digits}"
        if roll < 0.16 and letters:
            return digits  # the board prefix left out
        if roll < 0.19:
            return f"{letters} 0{digits}" if letters else "0" + digits
        if roll < 0.21:
            return f"LAC.00{digits}"
        if roll < 0.22:
            return ""
        return number

    def _fill(self, pattern: str) -> str:
        out, i = [], 0
        while i < len(pattern):
            if pattern[i] == "{":
                end = pattern.index("}", i)
                out.append(self.digits(int(pattern[i + 1:end])))
                i = end + 1
            else:
                out.append(pattern[i])
                i += 1
        return "".join(out)

    def street(self) -> tuple[str, str]:
        line1 = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        roll = self.rng.random()
        if roll < 0.35:
            return line1, f"STE {self.rng.randint(1, 9) * 100 + self.rng.randint(0, 20)}"
        if roll < 0.5:
            return f"{line1} STE {self.rng.randint(100, 599)}", ""
        if roll < 0.55:
            return line1, f"# {self.rng.randint(1, 30)}"
        return line1, ""

    def postal_code(self, zip5: str) -> str:
        # Most records hold ZIP+4 as nine digits, some only five.
        return zip5 + self.digits(4) if self.rng.random() < 0.85 else zip5

    def address(self, prefix: _Prefix, purpose: str | None, with_fax: bool) -> dict:
        zip5, city = self.rng.choices(prefix.places, self.zip_weights[id(prefix)])[0]
        line1, line2 = self.street()
        address = {
            "country_code": "US",
            "country_name": "United States",
            "address_purpose": purpose,
            "address_type": "DOM",
            "address_1": line1,
            "address_2": line2,
            "city": city,
            "state": prefix.state,
            "postal_code": self.postal_code(zip5),
            "telephone_number": self.phone(prefix),
        }
        if with_fax:
            address["fax_number"] = self.phone(prefix)
        return address

    def practice_location(self, prefix: _Prefix, first: dt.date, last: dt.date) -> dict:
        # practiceLocations have their own key order and no address_purpose (see the samples).
        address = self.address(prefix, None, with_fax=self.rng.random() < 0.4)
        location = {
            "address_type": "DOM",
            "address_1": address["address_1"],
            "address_2": address["address_2"],
            "city": address["city"],
            "state": address["state"],
            "postal_code": address["postal_code"],
            "country_code": "US",
            "country_name": "United States",
        }
        if "fax_number" in address:
            location["fax_number"] = address["fax_number"]
        location["telephone_number"] = address["telephone_number"]
        when = self.date_between(first, last)
        location["update_date"] = (
            f"{when.isoformat()} {self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"
        )
        return location

    def mailing(self, location: dict, prefix: _Prefix, moved: bool) -> dict:
        if moved:  # a MAILING address in another state than the practice
            return self.address(self.other_state_prefix(prefix.state), "MAILING", False)
        roll = self.rng.random()
        if roll < 0.6:  # the same address
            mailing = {k: v for k, v in location.items() if k != "fax_number"}
            mailing["address_purpose"] = "MAILING"
            return mailing
        mailing = self.address(prefix, "MAILING", False)
        if roll < 0.8:
            mailing.update(
                address_1=f"PO BOX {self.rng.randint(1, 99999)}",
                address_2="",
                city=location["city"],
                postal_code=location["postal_code"][:5] + self.digits(4),
            )
        return mailing

    def person_name(self, female: bool) -> tuple[str, str, str]:
        first = self.rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        if self.rng.random() < 0.03:
            last = f"{self.rng.choice(LAST_NAMES)}-{self.rng.choice(LAST_NAMES)}"
        else:
            last = self.rng.choice(LAST_NAMES)
        roll = self.rng.random()
        if roll < 0.45:
            middle = self.rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        elif roll < 0.6:
            middle = self.rng.choice("ABCDEFGHJKLMNPRSTW")
        else:
            middle = ""
        return first, last, middle

    # -- whole records -----------------------------------------------------------------------

    def dates(self) -> tuple[dt.date, dt.date]:
        enumerated = self.date_between(FIRST_ENUMERATION, LAST_ENUMERATION)
        updated = self.date_between(enumerated, DATA_AS_OF)
        return enumerated, updated

    def envelope(self, kind: str, number: int, enumerated: dt.date, updated: dt.date) -> dict:
        seconds = self.rng.randint(0, 86_399) if self.rng.random() < 0.5 else 0
        return {
            "enumeration_type": kind,
            "number": number,
            "last_updated_epoch": _epoch(updated) + seconds,
            "created_epoch": _epoch(enumerated),
        }

    def addresses(self, prefix: _Prefix, enumerated: dt.date, updated: dt.date) -> dict:
        location = self.address(prefix, "LOCATION", with_fax=self.rng.random() < 0.5)
        mailing = self.mailing(location, prefix, moved=self.rng.random() < 0.10)
        # The API does not promise an order; most records list LOCATION first.
        addresses = [location, mailing] if self.rng.random() < 0.85 else [mailing, location]
        practice_locations = []
        if self.rng.random() < 0.10:
            for _ in range(self.rng.choice((1, 1, 2))):
                where = prefix if self.rng.random() < 0.5 else (
                    self.rng.choice(PREFIXES_BY_STATE[prefix.state])
                    if self.rng.random() < 0.6 else self.other_state_prefix(prefix.state)
                )
                practice_locations.append(self.practice_location(where, enumerated, updated))
        return {"addresses": addresses, "practice_locations": practice_locations}

    def identifiers(self, state: str) -> list[dict]:
        if self.rng.random() >= 0.05:
            return []
        if self.rng.random() < 0.7:
            return [{"code": "05", "desc": "MEDICAID", "issuer": "", "identifier": self.digits(7),
                     "state": state}]
        return [{"code": "01", "desc": "Other", "issuer": self.rng.choice(
            ["BLUE CROSS", "AETNA", "KAISER PERMANENTE"]), "identifier": self.digits(9),
            "state": state}]

    def individual(self, prefix: _Prefix) -> dict:
        rng = self.rng
        number = self.npi()
        enumerated, updated = self.dates()
        female = rng.random() < 0.68
        first, last, middle = self.person_name(female)
        state = prefix.state

        taxonomies = [{"code": ACUPUNCTURIST_CODE, "desc": ACUPUNCTURIST_DESC, "primary": True,
                       "state": state, "license": self.license_number(state)}]
        roll = rng.random()
        if roll < 0.08:  # licensed in 2 or 3 states
            states, wanted = [state], rng.choice((2, 2, 3))
            while len(states) < wanted:
                other = self.other_state_prefix(state).state
                if other not in states:
                    states.append(other)
            taxonomies += [{"code": ACUPUNCTURIST_CODE, "desc": ACUPUNCTURIST_DESC,
                            "primary": False, "state": other, "license": self.license_number(other)}
                           for other in states[1:]]
        credential = rng.choices([c for c, _ in CREDENTIALS], [w for _, w in CREDENTIALS])[0]
        roll = rng.random()
        if roll < 0.13:  # another profession beside acupuncture
            code, desc, pattern = rng.choice(OTHER_TAXONOMIES)
            other = {"code": code, "desc": desc, "primary": False, "state": state,
                     "license": self._fill(pattern)}
            if roll < 0.10:  # Acupuncturist as the secondary taxonomy
                other["primary"] = True
                for taxonomy in taxonomies:
                    taxonomy["primary"] = False
                credential = rng.choice(OTHER_CREDENTIALS[code])
                taxonomies.insert(0 if rng.random() < 0.7 else len(taxonomies), other)
            else:
                taxonomies.append(other)

        basic: dict = {}
        if rng.random() < 0.10:
            basic["name_prefix"] = rng.choice(
                ["DR.", "DR.", "MS.", "MRS."] if female else ["DR.", "DR.", "MR."])
        basic["first_name"] = first
        basic["last_name"] = last
        if middle:
            basic["middle_name"] = middle
        if rng.random() < 0.02:
            basic["name_suffix"] = rng.choice(["JR.", "SR.", "II", "III"])
        if credential is not None:
            basic["credential"] = credential
        basic["sole_proprietor"] = "YES" if rng.random() < 0.4 else "NO"
        basic["gender"] = "F" if female else "M"
        basic["enumeration_date"] = enumerated.isoformat()
        basic["last_updated"] = updated.isoformat()
        if rng.random() < 0.02 and (updated - enumerated).days > 60:  # deactivated, then back
            deactivated = self.date_between(enumerated, updated - dt.timedelta(days=30))
            reactivated = self.date_between(deactivated + dt.timedelta(days=1), updated)
            basic["deactivation_date"] = deactivated.isoformat()
            basic["reactivation_date"] = reactivated.isoformat()
        basic["status"] = "A"
        basic["name"] = f"{last} {first}"

        other_names = []
        if rng.random() < 0.05:
            former = {"type": "Former Name", "code": "1", "first_name": first,
                      "last_name": rng.choice(LAST_NAMES), "middle_name": middle,
                      "prefix": "", "suffix": "", "credential": ""}
            if rng.random() < 0.2:
                former.update(type="Professional Name", code="2",
                              first_name=rng.choice(FEMALE_FIRST if female else MALE_FIRST))
            other_names.append(former)

        places = self.addresses(prefix, enumerated, updated)
        record = self.envelope("NPI-1", number, enumerated, updated)
        record.update(
            basic=basic,
            other_names=other_names,
            addresses=places["addresses"],
            taxonomies=taxonomies,
            identifiers=self.identifiers(state),
            practiceLocations=places["practice_locations"],
        )
        return record

    def organization(self, prefix: _Prefix) -> dict:
        rng = self.rng
        number = self.npi()
        enumerated, updated = self.dates()
        female = rng.random() < 0.6
        first, last, middle = self.person_name(female)
        name_roll = rng.random()
        if name_roll < 0.4:
            base = rng.choice(ORG_WORDS)
        elif name_roll < 0.7:
            base = last
        else:
            base = rng.choice(prefix.places)[1]
        organization_name = f"{base} {rng.choice(ORG_KINDS)}{rng.choice(ORG_SUFFIXES)}"

        basic: dict = {
            "organization_name": organization_name,
            "organizational_subpart": "YES" if rng.random() < 0.05 else "NO",
            "enumeration_date": enumerated.isoformat(),
            "last_updated": updated.isoformat(),
            "status": "A",
        }
        if rng.random() < 0.8:
            basic["authorized_official_credential"] = rng.choice(["L.AC.", "LAC", "DAOM", "MSOM"])
        basic["authorized_official_first_name"] = first
        basic["authorized_official_last_name"] = last
        if middle:
            basic["authorized_official_middle_name"] = middle
        basic["authorized_official_telephone_number"] = self.phone(prefix)
        basic["authorized_official_title_or_position"] = rng.choice(OFFICIAL_TITLES)
        if rng.random() < 0.2:
            basic["authorized_official_name_prefix"] = "DR."
        basic["name"] = organization_name

        # Organizations report no license on the taxonomy (see the NPI-2 sample).
        group = SINGLE_SPECIALTY_GROUP if rng.random() < 0.4 else ""
        taxonomies = [{"code": ACUPUNCTURIST_CODE, "desc": ACUPUNCTURIST_DESC, "primary": True,
                       "state": prefix.state if rng.random() < 0.3 else "", "license": "",
                       "taxonomy_group": group}]
        other_names = []
        if rng.random() < 0.3:
            other_names.append({"organization_name": f"{rng.choice(ORG_WORDS)} ACUPUNCTURE",
                                "type": "Doing Business As", "code": "3"})

        places = self.addresses(prefix, enumerated, updated)
        record = self.envelope("NPI-2", number, enumerated, updated)
        record.update(
            basic=basic,
            other_names=other_names,
            addresses=places["addresses"],
            taxonomies=taxonomies,
            identifiers=self.identifiers(prefix.state),
            practiceLocations=places["practice_locations"],
        )
        return record


def generate_providers(n: int = 20_000, seed: int = 2026) -> list[dict]:
    """`n` fictional acupuncturist records shaped as NPPES API v2.1 results, sorted by NPI.

    Providers are spread over the states and ZIP prefixes of `GEOGRAPHY` in proportion to their
    weights (for n=20,000 the weights are the counts of primary locations); then `SPREAD_SHARE`
    of them move to other real ZIPs of their state (see `_spread`).
    """
    rng = random.Random(seed)
    providers = _draw(_Generator(rng), rng, n)

    # A self-reported last name holding markup, for the escaping tests of the published site.
    individuals = [p for p in providers if p["enumeration_type"] == "NPI-1"]
    if individuals:
        target = individuals[len(individuals) // 3]["basic"]
        target["last_name"] = f"O'HARA{XSS_TEXT}"
        target["name"] = f"{target['last_name']} {target['first_name']}"
    _add_placeholders(individuals, random.Random(f"{seed}-placeholders"))
    _spread(providers, random.Random(f"{seed}-spread"))
    return providers


def grow_providers(providers: list[dict], share: float = 0.1, seed: int = 1) -> list[dict]:
    """New providers, `share` of `providers` more (rounded), drawn and spread as
    `generate_providers` draws them, with NPIs none of `providers` holds: the registry a month
    later. Returns the new ones only (sorted by NPI); a caller adds them to its list."""
    rng = random.Random(f"grow-{seed}-{len(providers)}")
    generator = _Generator(rng)
    generator.used_npis.update(int(p["number"]) for p in providers)
    added = _draw(generator, rng, round(len(providers) * share))
    _add_placeholders([p for p in added if p["enumeration_type"] == "NPI-1"],
                      random.Random(f"grow-{seed}-placeholders"))
    _spread(added, random.Random(f"grow-{seed}-spread"))
    return added


def _draw(generator: _Generator, rng: random.Random, n: int) -> list[dict]:
    counts = _apportion([prefix.weight for prefix in PREFIXES], n)
    providers = []
    for prefix, count in zip(PREFIXES, counts, strict=True):
        for _ in range(count):
            if rng.random() < 0.05:
                providers.append(generator.organization(prefix))
            else:
                providers.append(generator.individual(prefix))
    providers.sort(key=lambda provider: provider["number"])
    return providers


# Share of the providers whose primary location moves out of the curated city ZIPs to any
# real ZIP of their state: acupuncturists cluster in cities, but not all of them, and a
# scraper that splits a state by ZIP must meet the small towns too.
SPREAD_SHARE = 0.15
DENSITY_CELL = 0.2  # degrees: a ZIP's weight counts the ZIPs in its cell and the 8 around it


@cache
def state_zip_weights() -> dict[str, tuple[list[dict], list[int]]]:
    """Per state, its delivery ZIPs (kind STANDARD, with a place) from the `zipcodes` package's
    data, and a weight for each: how many ZIPs of any kind lie within about 20 km. The data
    hold no population; ZIPs are drawn small where people are many, so their local density
    stands in for it (a Manhattan ZIP weighs ~100, a Wyoming ranch ZIP 1-3)."""
    import zipcodes

    placed = [z for z in zipcodes.list_all() if z.get("lat") and z.get("long")
              and (float(z["lat"]), float(z["long"])) != (0.0, 0.0)]

    def cell(z: dict) -> tuple[int, int]:
        return (int(float(z["lat"]) // DENSITY_CELL), int(float(z["long"]) // DENSITY_CELL))

    per_cell = Counter(cell(z) for z in placed)
    out: dict[str, tuple[list[dict], list[int]]] = {}
    for z in placed:
        if z["zip_code_type"] != "STANDARD" or not z["active"] or z["state"] not in GEOGRAPHY:
            continue
        row, col = cell(z)
        weight = sum(per_cell[(row + dr, col + dc)] for dr in (-1, 0, 1) for dc in (-1, 0, 1))
        zips, weights = out.setdefault(z["state"], ([], []))
        zips.append(z)
        weights.append(weight)
    return out


def _spread(providers: list[dict], rng: random.Random) -> None:
    """Move `SPREAD_SHARE` of the providers' primary locations to a ZIP of the same state
    drawn by `state_zip_weights` (with that ZIP's city and area code; a mailing address that
    was the practice's, or a PO box beside it, moves along)."""
    table = state_zip_weights()
    for provider in providers:
        if rng.random() >= SPREAD_SHARE:
            continue
        location = primary_location(provider)
        zips, weights = table[location["state"]]
        place = rng.choices(zips, weights)[0]
        old_zip, old_city = location["postal_code"][:5], location["city"]
        for address in provider["addresses"]:
            if address is not location and (
                    address["state"] != location["state"] or address["city"] != old_city
                    or address["postal_code"][:5] != old_zip):
                continue
            address["postal_code"] = place["zip_code"] + address["postal_code"][5:]
            address["city"] = place["city"].upper()
            area = (place.get("area_codes") or [None])[0]
            if area and address.get("telephone_number"):
                address["telephone_number"] = f"{area}{address['telephone_number'][3:]}"


NAME_PLACEHOLDER, LICENSE_PLACEHOLDER = "--", "NA"
BOARD_STATES = ("WA", "CO", "CT", "TX", "IL")  # the states of the socrata_data boards


def _add_placeholders(individuals: list[dict], rng: random.Random) -> None:
    """Put in the API's "--" and "NA" (after everything else, with a random stream of their
    own, so the rest of the data is the same as without them)."""
    for provider in individuals:
        basic = provider["basic"]
        for key in ("name_prefix", "name_suffix"):
            if key not in basic and rng.random() < 0.9:
                basic[key] = NAME_PLACEHOLDER
        for taxonomy in provider["taxonomies"]:
            if taxonomy["state"] not in BOARD_STATES and rng.random() < 0.03:
                taxonomy["license"] = LICENSE_PLACEHOLDER


def primary_location(provider: dict) -> dict:
    """The LOCATION entry of a record's `addresses` (the API's "PRIMARY" address)."""
    return next(a for a in provider["addresses"] if a["address_purpose"] == "LOCATION")
