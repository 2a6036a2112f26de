"""The board's live lists in headless chromium: a list takes in a new stay without a reload, a
refresh after the session ended leads to sign-in, and the pages work with the keyboard alone.

The lists refresh every second in the tests that wait for a refresh (`quick_refresh`), so that
waiting stays short; every wait is on a condition, never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from overgang.board import live_routes
from tests.board import add_person, admit, plan_sent, start_leave
from tests.browser.test_board_browser import choose_password, heading, replaced, sign_in
from tests.conftest import Api
from tests.stays import COPENHAGEN, Citizen, not_ready

ANNE = "anne@aalborg.dk"
UNANSWERED = Citizen("0303754321", "Ulla", "Svar")
NOT_READY = Citizen("0606454321", "Ib", "Ikkeklar")
ON_LEAVE = Citizen("1203854321", "Jens", "Dal")
SATURDAY = Citizen("0404654321", "Lis", "Lørdag")
PAGES = {
    "/board": "Indlagt nu",
    "/board/udskrivninger": "Forventede udskrivninger",
    "/board/venter": "Venter på kommunen",
    "/board/beskeder": "Beskeder uden levering eller kvittering",
}


@pytest.fixture
def quick_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_routes, "REFRESH_SECONDS", 1)


def anne_on_the_board(browser: webdriver.Chrome, base_url: str, database_url: str) -> None:
    secret = add_person(database_url, email=ANNE, org="0851", name="Anne Holm")
    sign_in(browser, base_url, ANNE, secret)
    choose_password(browser)
    assert heading(browser) == "Indlagt nu"


def main_text(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def shows(text: str) -> Callable[[webdriver.Chrome], bool]:
    return lambda browser: text in main_text(browser)


def count_swaps(browser: webdriver.Chrome) -> None:
    """Count htmx's swaps of the list in `window.swaps` (the test's own script, not the page's)."""
    browser.execute_script(
        "window.swaps = 0;"
        "document.body.addEventListener('htmx:afterSettle', () => { window.swaps += 1; });"
    )


def swapped_since(count: int) -> Callable[[webdriver.Chrome], bool]:
    return lambda browser: int(browser.execute_script("return window.swaps")) > count


@pytest.mark.usefixtures("quick_refresh")
def test_a_list_takes_in_a_new_stay_without_a_reload(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    admit(api)
    anne_on_the_board(browser, base_url, database_url)
    browser.get(f"{base_url}/board/venter")
    assert "010190-4321" not in main_text(browser)  # answered: waits for nobody
    page = browser.find_element(By.TAG_NAME, "html")
    browser.execute_script("window.sameDocument = true")

    plan_sent(api, citizen=UNANSWERED, discharge_at=datetime.now(UTC) - timedelta(days=2))

    WebDriverWait(browser, 15).until(shows("030375-4321"))
    assert browser.execute_script("return window.sameDocument") is True  # no reload
    assert not replaced(page)(browser)
    assert "<strong>1</strong> udskrivningsplaner uden svar" in browser.page_source
    refused = [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []  # htmx runs under the pages' CSP: no inline style, no eval


@pytest.mark.usefixtures("quick_refresh")
def test_a_refresh_after_the_session_ended_leads_to_sign_in(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    admit(api)
    anne_on_the_board(browser, base_url, database_url)
    assert "010190-4321" in main_text(browser)
    page = browser.find_element(By.TAG_NAME, "html")

    browser.delete_cookie("__Host-overgang-session")

    WebDriverWait(browser, 15).until(replaced(page))
    WebDriverWait(browser, 15).until(lambda b: b.current_url.endswith("/login"))
    assert heading(browser) == "Log ind"
    assert "010190" not in browser.page_source


@pytest.mark.usefixtures("quick_refresh")
def test_the_lists_are_usable_with_the_keyboard_and_keep_focus_through_a_refresh(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    admit(api)
    anne_on_the_board(browser, base_url, database_url)
    body = browser.find_element(By.TAG_NAME, "body")

    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Gå til sideindhold"
    menu = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert menu[:4] == ["Indlagt nu", "Forventede udskrivninger", "Venter på kommunen", "Beskeder"]
    for path, title in PAGES.items():
        tab_to(browser, lambda el, path=path: el.get_attribute("href") == f"{base_url}{path}")
        page = browser.find_element(By.TAG_NAME, "html")
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        WebDriverWait(browser, 10).until(replaced(page))
        assert heading(browser) == title
        caption = browser.find_elements(By.CSS_SELECTOR, "main table caption")
        headers = browser.find_elements(By.CSS_SELECTOR, "main thead th")
        assert all(c.text for c in caption) and all(h.get_attribute("scope") for h in headers)

    browser.get(f"{base_url}/board")
    count_swaps(browser)
    tab_to(browser, lambda el: el.text == "010190-4321")
    focused = browser.switch_to.active_element.get_attribute("id")
    WebDriverWait(browser, 15).until(swapped_since(0))
    assert browser.switch_to.active_element.get_attribute("id") == focused  # focus kept
    page = browser.find_element(By.TAG_NAME, "html")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(replaced(page))
    assert heading(browser) == "Ophold: 010190-4321"


def tab_to(browser: webdriver.Chrome, wanted: Callable[..., bool], most: int = 60) -> None:
    """Press Tab until the focused element is the wanted one."""
    for _ in range(most):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if wanted(browser.switch_to.active_element):
            return
    raise AssertionError("Tab never reached the element")


def test_screenshots_of_the_live_lists(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome, screenshots: Path
) -> None:
    admit(api)
    start_leave(api, admit(api, citizen=ON_LEAVE), citizen=ON_LEAVE)
    today = datetime.now(COPENHAGEN).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    plan_sent(
        api,
        citizen=SATURDAY,
        discharge_at=datetime(saturday.year, saturday.month, saturday.day, 10, tzinfo=COPENHAGEN),
    )
    plan_sent(api, citizen=UNANSWERED, discharge_at=datetime.now(UTC) - timedelta(days=2))
    plan_sent(
        api,
        citizen=NOT_READY,
        discharge_at=datetime.now(UTC) - timedelta(days=4),
        readiness=not_ready("Ingen plejebolig endnu"),
    )
    anne_on_the_board(browser, base_url, database_url)
    browser.set_window_size(1280, 1400)

    for path, name in (  # board-admitted-now.png and board-stay.png: test_board_browser
        ("/board/udskrivninger", "board-expected-discharges.png"),
        ("/board/venter", "board-waiting.png"),
        ("/board/beskeder", "board-messages.png"),
    ):
        browser.get(f"{base_url}{path}")
        assert heading(browser) == PAGES[path]
        browser.save_screenshot(str(screenshots / name))
