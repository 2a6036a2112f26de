"""Finding a citizen on the board in headless chromium, with the keyboard alone: Aalborg's
coordinator finds no stay of another municipality's citizen, then her own citizen's, and opens it.
Every request the pages make is answered: no missing font, and no icon asked of the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.api.test_board_live import copenhagen_plan_unanswered
from tests.board import admit
from tests.browser.test_board_browser import heading, replaced
from tests.browser.test_live_browser import anne_on_the_board, main_text, tab_to
from tests.conftest import Api

NOT_FOUND = "Ingen ophold fundet blandt jeres borgere"


def type_and_enter(browser: webdriver.Chrome, text: str) -> None:
    """Type into the focused field in place of what it held, and press Enter: wait for the
    answer to replace the page."""
    page = browser.find_element(By.TAG_NAME, "html")
    field = browser.switch_to.active_element
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text, Keys.ENTER)
    WebDriverWait(browser, 10).until(replaced(page))


def has_id(wanted: str) -> Callable[[WebElement], bool]:
    return lambda element: element.get_attribute("id") == wanted


def test_a_coordinator_finds_only_her_own_citizen_and_opens_the_stay_with_the_keyboard(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome, screenshots: Path
) -> None:
    admit(api)
    copenhagen_plan_unanswered(api)  # 080825-4321, Copenhagen's
    anne_on_the_board(browser, base_url, database_url)

    tab_to(browser, has_id("find-borger"))
    type_and_enter(browser, "080825-4321")

    assert heading(browser) == "Find borger"
    assert NOT_FOUND in main_text(browser) and "/board/ophold/" not in browser.page_source
    assert browser.current_url == f"{base_url}/board/soeg"  # the number is in no URL

    tab_to(browser, has_id("cpr"))
    type_and_enter(browser, "0101904321")

    assert "Ophold for 010190-4321" in main_text(browser) and NOT_FOUND not in main_text(browser)
    browser.save_screenshot(str(screenshots / "board-search.png"))
    tab_to(browser, lambda element: (element.get_attribute("id") or "").startswith("ophold-"))
    page = browser.find_element(By.TAG_NAME, "html")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(replaced(page))
    assert heading(browser) == "Ophold: 010190-4321"
    failed = [e["message"] for e in browser.get_log("browser") if _failed_request(e)]
    assert failed == []


def _failed_request(entry: dict[str, str]) -> bool:
    """A request answered with an error (a missing font, an icon behind the API's guard), or
    one the pages' Content-Security-Policy refused."""
    return any(sign in entry["message"] for sign in ("Failed to load", "Content Security Policy"))
