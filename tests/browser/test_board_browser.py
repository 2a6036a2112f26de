"""The transition board in headless chromium: a coordinator signs in with the one-time secret,
chooses a password, sees her citizens admitted now and opens a stay; another municipality's
coordinator cannot follow the link; signing out, a forged form and lockout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.board import AALBORG_CITIZEN, PASSWORD, add_person, admit, start_leave
from tests.conftest import Api
from tests.stays import Citizen

ANNE = "anne@aalborg.dk"
ON_LEAVE = Citizen("1203854321", "Jens", "Dal")


def replaced(page: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """The page has been replaced by the next one. Mid-navigation chromium may answer "node does
    not belong to the document" instead of "stale": both mean the old page is gone."""

    def gone(_: webdriver.Chrome) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return gone


def submit(browser: webdriver.Chrome, button: str) -> None:
    """Press the button and wait for the next page to replace this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, button).click()
    WebDriverWait(browser, 10).until(replaced(page))


def sign_in(browser: webdriver.Chrome, base_url: str, email: str, secret: str) -> None:
    browser.get(f"{base_url}/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "secret").send_keys(secret)
    submit(browser, "main button[type=submit]")


def choose_password(browser: webdriver.Chrome) -> None:
    assert browser.current_url.endswith("/login/adgangskode"), browser.current_url
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "repeated").send_keys(PASSWORD)
    submit(browser, "main button[type=submit]")


def sign_out(browser: webdriver.Chrome) -> None:
    submit(browser, "header button[type=submit]")
    assert "Du er logget ud" in heading(browser)


def heading(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "h1").text


def test_a_coordinator_signs_in_sees_her_citizens_and_opens_a_stay(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome, screenshots: Path
) -> None:
    admit(api)
    start_leave(api, admit(api, citizen=ON_LEAVE), citizen=ON_LEAVE)
    secret = add_person(database_url, email=ANNE, org="0851", name="Anne Holm")

    browser.get(f"{base_url}/login")
    browser.save_screenshot(str(screenshots / "login.png"))
    sign_in(browser, base_url, ANNE, secret)
    choose_password(browser)

    assert heading(browser) == "Indlagt nu"
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Anne Holm, Aalborg Kommune" in browser.find_element(By.TAG_NAME, "header").text
    assert "010190-4321" in page and "120385-4321" in page
    assert page.index("På orlov") < page.index("120385-4321")  # leave apart
    browser.save_screenshot(str(screenshots / "board-admitted-now.png"))

    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "010190-4321").click()
    WebDriverWait(browser, 10).until(replaced(page))
    assert heading(browser) == "Ophold: 010190-4321"
    stay = browser.find_element(By.TAG_NAME, "main").text
    for shown in ("Tidslinje", "Tjekliste", "Sendt til kommunen", "Udskrivningsplan", "Klar fra"):
        assert shown in stay
    browser.set_window_size(1280, 2600)
    browser.save_screenshot(str(screenshots / "board-stay.png"))


def test_another_municipalitys_coordinator_cannot_open_the_stay_by_its_link(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    admit(api)
    sign_in(browser, base_url, ANNE, add_person(database_url, email=ANNE, org="0851"))
    choose_password(browser)
    link = browser.find_element(By.LINK_TEXT, "010190-4321").get_attribute("href")
    sign_out(browser)
    sign_in(browser, base_url, "bo@kk.dk", add_person(database_url, email="bo@kk.dk", org="0101"))
    choose_password(browser)

    assert AALBORG_CITIZEN.cpr[:6] not in browser.find_element(By.TAG_NAME, "main").text
    browser.get(str(link))
    assert heading(browser) == "Opholdet findes ikke"
    assert "010190" not in browser.page_source


def test_after_signing_out_the_board_asks_for_sign_in_again(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    sign_in(browser, base_url, ANNE, add_person(database_url, email=ANNE, org="0851"))
    choose_password(browser)
    sign_out(browser)

    browser.get(f"{base_url}/board")

    assert heading(browser) == "Log ind"
    assert browser.get_cookie("__Host-overgang-session") is None


def test_a_form_without_its_csrf_token_is_refused(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    sign_in(browser, base_url, ANNE, add_person(database_url, email=ANNE, org="0851"))
    choose_password(browser)

    browser.execute_script(
        "document.querySelector('header input[name=csrf_token]').value = 'forged'"
    )
    submit(browser, "header button[type=submit]")

    assert heading(browser) == "Formularen kunne ikke sendes"
    browser.get(f"{base_url}/board")
    assert heading(browser) == "Indlagt nu"  # not signed out


def test_five_wrong_passwords_lock_sign_in(
    api: Api, database_url: str, base_url: str, browser: webdriver.Chrome
) -> None:
    secret = add_person(database_url, email=ANNE, org="0851")
    for attempt in range(5):
        sign_in(browser, base_url, ANNE, f"forkert {attempt}")
        assert "Du blev ikke logget ind" in browser.page_source

    sign_in(browser, base_url, ANNE, secret)

    assert heading(browser) == "Log ind"
    assert "midlertidigt spærret" in browser.find_element(By.CSS_SELECTOR, ".alert-error").text


def test_the_sign_in_page_is_usable_with_the_keyboard_and_labelled(
    base_url: str, browser: webdriver.Chrome
) -> None:
    browser.get(f"{base_url}/login")

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Gå til sideindhold"
    for field in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden])"):
        label = browser.find_element(By.CSS_SELECTOR, f"label[for={field.get_attribute('id')}]")
        assert label.text
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
