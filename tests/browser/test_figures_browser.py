"""The figures pages in headless chromium: the overview and one figure draw their charts (Chart.js
reports a chart and the canvas has pixels) beside their tables, reached with the keyboard alone;
screenshots of both for docs/screenshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.board import add_person
from tests.browser.test_board_browser import choose_password, heading, replaced, sign_in
from tests.conftest import Api
from tests.stays import Citizen, at, stay

ANNE = "anne@aalborg.dk"
# Of each month's ten discharges, these are readmitted within 30 days (a rise in the last).
READMITTED = {10: 2, 11: 3, 12: 2, 1: 2, 2: 3, 3: 7}

DRAWN = """
const canvas = arguments[0];
const chart = Chart.getChart(canvas);
const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
let painted = 0;
for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted += 1; } }
return [chart !== undefined && chart.data.datasets[0].data.length, painted];
"""


def half_a_year(api: Api) -> None:
    """Ten discharges a month from October 2024 to March 2025, some readmitted."""
    for month, readmitted in READMITTED.items():
        year = 2024 if month >= 10 else 2025
        for n in range(10):
            citizen = Citizen(f"{n + 10:02d}{month:02d}85{n:04d}", "Test", f"Borger {n}")
            discharged = at(year, month, 2 + 2 * n, 10)
            stays = [stay(discharge_at=discharged, citizen=citizen)]
            if n < readmitted:
                # Back ten days later for six hours: too short to be an index discharge itself.
                back = discharged + timedelta(days=10)
                again = stay(
                    discharge_at=back + timedelta(hours=6), admitted_at=back, citizen=citizen
                )
                stays.append(again)
            for one in stays:
                for message in (one.admission, one.plan, one.discharge):
                    assert message is not None
                    assert api.send(message).status_code == 200


def charts_drawn(browser: webdriver.Chrome) -> list[tuple[int, int]]:
    canvases = browser.find_elements(By.CSS_SELECTOR, "canvas[data-chart]")
    WebDriverWait(browser, 10).until(
        lambda b: all(c.get_attribute("data-drawn") == "ja" for c in canvases)
    )
    return [tuple(browser.execute_script(DRAWN, canvas)) for canvas in canvases]


def test_the_figures_draw_their_charts_beside_their_tables_and_are_reached_by_keyboard(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome, screenshots: Path
) -> None:
    half_a_year(api)
    sign_in(browser, base_url, ANNE, add_person(database_url, email=ANNE, org="0851"))
    choose_password(browser)

    browser.set_window_size(1280, 1700)  # the screenshots show a chart and its table
    browser.get(f"{base_url}/board/tal")
    assert heading(browser) == "Tal for overgange"
    drawn = charts_drawn(browser)
    assert len(drawn) >= 10 and all(months >= 1 and painted > 500 for months, painted in drawn)
    assert browser.find_elements(By.CSS_SELECTOR, "section.figure-card table tbody tr")
    browser.save_screenshot(str(screenshots / "figures-overview.png"))

    # From the top of the page, the tab key alone reaches the 30-day readmission figure.
    page = browser.find_element(By.TAG_NAME, "html")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(40):
        if (browser.switch_to.active_element.get_attribute("href") or "").endswith(
            "/board/tal/readmission-30d"
        ):
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(replaced(page))
    assert heading(browser) == "Genindlæggelse inden for 30 dage"

    [(months, painted)] = charts_drawn(browser)
    assert months == 6 and painted > 1000
    rows = browser.find_elements(By.CSS_SELECTOR, "table.figure-table tbody tr")
    assert len(rows) == 6
    march = rows[-1].find_elements(By.TAG_NAME, "td")
    assert [cell.text for cell in march[:3]] == ["7", "10", "70,0 %"]
    browser.save_screenshot(str(screenshots / "figures-readmission.png"))
    assert "Over" in march[-1].get_attribute("textContent"), march[-1].get_attribute("outerHTML")

    browser.get(f"{base_url}/board/tal/checklist-complete?gruppe=kommune")
    assert charts_drawn(browser) and "Aalborg Kommune (0851)" in browser.page_source
    browser.save_screenshot(str(screenshots / "figures-checklist-by-municipality.png"))
