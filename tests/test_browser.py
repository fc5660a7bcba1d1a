"""The published directory in a real headless Chromium, against a real `datasette` server on
127.0.0.1 over the stand-ins scraped through the real command line: search a name, filter by
state and license status, open the practitioner and see the linked license and its status
history; follow the facial acupuncture link and open a practitioner's claim with its evidence;
a scraped name holding <script> shows as text and runs nothing.

Needs the Debian packages chromium and chromium-driver (.ci/run installs them). Without them the
test is skipped on a developer's machine, and fails in CI (CI=true).

The browser may reach 127.0.0.1 only: every other host name resolves to nothing
(--host-resolver-rules), so the map's tiles do not load, and nothing else leaves the machine.
Set BROWSER_SCREENSHOTS=/some/dir to keep screenshots of the table and practitioner pages.
The front door's tests (issue 13) search from the home page's form and save the README's pictures,
docs/front-door.png and docs/practitioner-page.png, every run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from datasette.utils import tilde_encode

from publish.app import datasette_argv
from scraper.geo import zip_point
from tests.sites.nppes_data import XSS_TEXT
from tests.test_publish_site import DB, scraped_site_db

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--no-proxy-server",
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    "--window-size=1280,1800",
]
# Runs before any script of a page: window.alert and friends only record that they were called.
RECORD_DIALOGS = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (...args) => { window.__dialogs.push([name, ...args.map(String)]); };
}
"""


def _missing_browser() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (Path(path).is_file() and os.access(path, os.X_OK)) and not shutil.which(path):
            return f"{path} not found: apt-get install {package}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"datasette exited with {process.returncode}")
        try:
            with opener.open(url + "/-/versions.json", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"datasette did not answer at {url} within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`datasette serve` as `practitioners serve` runs it, on a free port of 127.0.0.1."""
    missing = _missing_browser()
    if missing:
        if IN_CI:
            pytest.fail(f"CI must run the browser test: {missing}")
        pytest.skip(f"no headless browser here: {missing}")
    db_path = scraped_site_db(tmp_path_factory)
    port = _free_port()
    argv = datasette_argv(db_path, host="127.0.0.1", port=port)
    process = subprocess.Popen([sys.executable, "-m", "datasette", *argv],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process)
        yield {"url": url, "db": db_path}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager never downloads anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM) or CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.unhandled_prompt_behavior = "ignore"  # an alert must not be hidden by the driver
    service = Service(executable_path=shutil.which(CHROMEDRIVER) or CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_DIALOGS})
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, name: str) -> None:
    directory = os.environ.get("BROWSER_SCREENSHOTS")
    if directory:
        driver.save_screenshot(str(Path(directory) / name))


def _no_dialogs(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 (the property raises when no dialog is open)
    assert driver.execute_script("return window.__dialogs") == []


def _wait(driver, condition, timeout: float = 10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _facet_link(driver, column: str, value: str):
    from selenium.webdriver.common.by import By

    for link in driver.find_elements(By.CSS_SELECTOR, f'.facet-info[data-column="{column}"] li a'):
        if parse_qs(urlsplit(link.get_attribute("href")).query).get(column) == [value]:
            return link
    raise AssertionError(f"no facet link {column}={value}")


def test_search_filter_and_open_a_practitioner(server, browser):
    import sqlite3

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    db = sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)
    pid, name, state, last = db.execute(
        "select p.practitioner_id, p.display_name, p.state, p.last_name from practitioners p "
        "join practitioner_links l using (practitioner_id) where l.rule = 'license-number' "
        "and p.license_status = 'active' and l.record_id glob (p.state || ':*') "
        "and p.display_name not like '%<%' order by p.practitioner_id limit 1").fetchone()
    license_id, = db.execute("select record_id from practitioner_links where practitioner_id = ? "
                             "and record_table = 'licenses'", [pid]).fetchone()
    license_number, = db.execute("select license_number from licenses where license_id = ?",
                                 [license_id]).fetchone()

    browser.get(f"{server['url']}/{DB}/practitioners")
    assert "Practitioners" in browser.find_element(By.TAG_NAME, "h1").text
    # the map plugin draws its (tile-less) map from the page's own rows
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-container"))
    _screenshot(browser, "table.png")

    search = browser.find_element(By.CSS_SELECTOR, "input#_search")
    search.send_keys(last, Keys.ENTER)
    _wait(browser, lambda d: "_search=" in d.current_url)
    _facet_link(browser, "state", state).click()
    _wait(browser, lambda d: f"state={state}" in d.current_url)
    _facet_link(browser, "license_status", "active").click()
    _wait(browser, lambda d: "license_status=active" in d.current_url)

    cells = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns td.col-state")
    assert cells and {c.text for c in cells} == {state}
    statuses = browser.find_elements(By.CSS_SELECTOR, "td.col-license_status")
    assert {c.text for c in statuses} == {"active"}
    row_links = browser.find_elements(By.CSS_SELECTOR, "td.col-practitioner_id a")
    link = next(a for a in row_links if a.text == pid)
    link.click()

    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "li.source-record"))
    assert browser.find_element(By.TAG_NAME, "h1").text == name
    item = browser.find_element(By.CSS_SELECTOR,
                                f'li.source-record[data-record-id="{license_id}"]')
    assert license_number in item.text and "license-number" in item.text
    source_link = item.find_element(By.CSS_SELECTOR, "a.source-url")
    assert source_link.get_attribute("href").startswith("http://127.0.0.1:")
    assert item.find_element(By.CSS_SELECTOR, "time.as-of").text.startswith("20")
    # the license's status history: first seen active, on the date a run first saw it
    timeline = browser.find_element(By.CSS_SELECTOR,
                                    f'section.timeline[data-record-id="{license_id}"]')
    assert license_number in timeline.find_element(By.TAG_NAME, "h3").text
    first = timeline.find_element(By.CSS_SELECTOR, "li.event-first-seen")
    assert first.is_displayed() and "first seen, status active" in first.text
    _screenshot(browser, "practitioner.png")
    _no_dialogs(browser)


def test_facial_acupuncture_is_one_click_away_with_its_evidence(server, browser):

    from selenium.webdriver.common.by import By

    browser.get(f"{server['url']}/{DB}/practitioners")
    browser.find_element(By.LINK_TEXT, "Facial acupuncture").click()
    _wait(browser, lambda d: "_specialty=facial+acupuncture" in d.current_url)
    cells = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns td.col-specialties")
    # specialties read as a plain list ("facial acupuncture, pain"), not JSON
    assert cells and all("facial acupuncture" in c.text.split(", ") for c in cells)
    browser.find_element(By.CSS_SELECTOR, "td.col-practitioner_id a").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "li.specialty"))
    claim = browser.find_element(By.CSS_SELECTOR, 'li.specialty[data-tag="facial acupuncture"]')
    assert claim.find_element(By.CSS_SELECTOR, "q.snippet").text
    evidence = claim.find_element(By.CSS_SELECTOR, "a.evidence-url")
    assert evidence.get_attribute("href").startswith("http://127.0.0.1:")
    assert evidence.get_attribute("rel") == "nofollow noopener noreferrer"
    assert browser.find_element(By.CSS_SELECTOR, "h2#specialties").text == (
        "Specialties (self-reported)")
    _screenshot(browser, "specialties.png")
    _no_dialogs(browser)


def test_a_script_in_a_scraped_name_is_shown_not_run(server, browser):
    import sqlite3

    from selenium.webdriver.common.by import By

    db = sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)
    pid, = db.execute("select practitioner_id from practitioners where display_name like ?",
                      [f"%{XSS_TEXT}%"]).fetchone()
    row_path = pid.replace(":", "~3A")
    pages = [(f"/{DB}/practitioners/{row_path}", "h1"),
             (f"/{DB}/practitioners?_search=hara", "table.rows-and-columns"),
             (f"/{DB}/search?q={quote('hara')}", "table.rows-and-columns"),
             (f"/{DB}/providers/{pid.split(':')[1]}", "table.rows-and-columns")]
    for path, selector in pages:
        browser.get(server["url"] + path)
        shown = browser.find_element(By.CSS_SELECTOR, selector)
        assert XSS_TEXT in shown.text, path  # visible, as text
        assert not browser.find_elements(By.XPATH, "//script[contains(., 'alert(1)')]"), path
        _no_dialogs(browser)


# --- the front door (issue 13) --------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"  # the README's pictures, remade each run
FACIAL = "facial acupuncture"


def _picture(driver, name: str, max_height: int = 2400) -> None:
    """A screenshot of the whole page (up to max_height pixels) to docs/<name>, for the README;
    the window is put back to its size after."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    driver.set_window_size(width, 600)  # the page's height, not the window's
    page, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
    driver.set_window_size(width, min(max(page, 600), max_height) + chrome)
    DOCS.mkdir(exist_ok=True)
    driver.save_screenshot(str(DOCS / name))
    driver.set_window_size(width, height)


def _find_from_home(server, browser, what: str, where: str = "", good: bool = True):
    """Type into the home page's form and submit it, as a person does."""
    from selenium.webdriver.common.by import By

    browser.get(server["url"] + "/")
    browser.find_element(By.ID, "find-q").send_keys(what)
    if where:
        browser.find_element(By.ID, "find-where").send_keys(where)
    box = browser.find_element(By.ID, "find-good")
    assert box.is_selected()  # in good standing only, by default
    if not good:
        box.click()
    browser.find_element(By.CSS_SELECTOR, "form.find button[type=submit]").click()
    _wait(browser, lambda d: "/-/find?" in d.current_url)
    return browser.find_elements(By.CSS_SELECTOR, "li.result")


def test_front_door_facial_near_a_zip_in_good_standing_nearest_first(server, browser):
    import sqlite3

    from selenium.webdriver.common.by import By

    from tests.test_publish_site import haversine_miles

    db = sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)
    lat, lon = zip_point("98101")
    expected = {pid for pid, plat, plon in db.execute(
        "select p.practitioner_id, p.latitude, p.longitude from practitioners p "
        "join specialty_tags t on t.practitioner_id = p.practitioner_id and t.tag = ? "
        "where p.standing = 'good' and p.gone_at is null and p.latitude is not null", [FACIAL])
        if haversine_miles(lat, lon, plat, plon) <= 10}
    assert len(expected) >= 2  # the stand-ins put several around Seattle

    cards = _find_from_home(server, browser, "facial", "98101")
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query == {"q": ["facial"], "where": ["98101"], "miles": ["10"], "good": ["1"]}
    assert {c.get_attribute("data-practitioner-id") for c in cards} == expected
    miles = [float(c.get_attribute("data-distance")) for c in cards]
    assert miles == sorted(miles) and miles[-1] <= 10
    shown = [float(c.find_element(By.CSS_SELECTOR, ".distance").text.removesuffix(" mi"))
             for c in cards]
    assert shown == sorted(shown)
    for card in cards:
        assert card.get_attribute("data-standing") == "good"
        assert card.find_element(By.CSS_SELECTOR, ".standing-label").text == "In good standing"
        assert card.find_elements(By.CSS_SELECTOR, f'li.specialty[data-tag="{FACIAL}"]')
        assert re.fullmatch(r"\d{3}-\d{3}-\d{4}", card.find_element(By.CSS_SELECTOR, ".phone").text)
        verify = card.find_element(By.CSS_SELECTOR, "a.verify")
        assert verify.get_attribute("href").startswith(("https://", "http://"))
        assert verify.get_attribute("rel") == "nofollow noopener noreferrer"
        claim = card.find_element(By.CSS_SELECTOR, f'blockquote.claim[data-tag="{FACIAL}"]')
        assert claim.find_element(By.TAG_NAME, "a").get_attribute("href").endswith(
            "#specialty-facial-acupuncture")
    _picture(browser, "front-door.png")
    _no_dialogs(browser)

    # every card opens the practitioner's page
    first = cards[0]
    pid = first.get_attribute("data-practitioner-id")
    name = first.find_element(By.CSS_SELECTOR, "a.practitioner").text
    first.find_element(By.CSS_SELECTOR, "a.practitioner").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "li.source-record"))
    assert urlsplit(browser.current_url).path == f"/{DB}/practitioners/{tilde_encode(pid)}"
    assert browser.find_element(By.TAG_NAME, "h1").text == name
    _picture(browser, "practitioner-page.png", max_height=1800)
    _no_dialogs(browser)


def test_front_door_an_expired_license_shows_as_expired_with_its_date(server, browser):
    import sqlite3

    from selenium.webdriver.common.by import By

    db = sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)
    pid, name, expired_on = db.execute(
        "select p.practitioner_id, p.display_name, max(l.expires_on) from practitioners p "
        "join practitioner_links pl on pl.practitioner_id = p.practitioner_id "
        "and pl.record_table = 'licenses' join licenses l on l.license_id = pl.record_id "
        "where p.standing = 'expired' and p.gone_at is null and l.status_normalized = 'active' "
        "and p.display_name not like '%<%' and p.display_name in (select display_name "
        "from practitioners group by display_name having count(*) = 1) "
        "group by p.practitioner_id order by p.practitioner_id limit 1").fetchone()
    assert expired_on < date.today().isoformat()

    cards = _find_from_home(server, browser, name, good=False)
    card = next(c for c in cards if c.get_attribute("data-practitioner-id") == pid)
    assert card.get_attribute("data-standing") == "expired"
    standing = card.find_element(By.CSS_SELECTOR, "p.standing").text
    assert standing.startswith("License expired") and f"expired on {expired_on}" in standing
    assert "good standing" not in standing.lower()
    # in good standing only: not listed
    assert pid not in {c.get_attribute("data-practitioner-id")
                       for c in _find_from_home(server, browser, name)}
    _no_dialogs(browser)


def test_front_door_a_state_without_board_data_is_self_reported(server, browser):
    import sqlite3

    from selenium.webdriver.common.by import By
    from sqlite_utils import Database

    from scraper.link import board_states
    from scraper.standing import LABELS

    db = sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)
    boards = board_states(Database(db))
    pid, name, state = db.execute(
        "select practitioner_id, display_name, state from practitioners "
        "where standing = 'self-reported' and gone_at is null and display_name not like '%<%' "
        f"and state not in ({', '.join('?' for _ in boards)}) order by practitioner_id limit 1",
        sorted(boards)).fetchone()

    cards = _find_from_home(server, browser, name, good=False)
    card = next(c for c in cards if c.get_attribute("data-practitioner-id") == pid)
    assert card.find_element(By.CSS_SELECTOR, ".standing-label").text == LABELS["self-reported"]
    assert f"No board data for {state}" in card.find_element(By.CSS_SELECTOR, "p.standing").text
    assert not card.find_elements(By.CSS_SELECTOR, "a.verify")  # no board to verify with
    _no_dialogs(browser)

