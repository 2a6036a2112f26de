"""Single sign-on in headless chromium: the coordinator clicks the button on /login, the test
provider on loopback (tests/oidc_provider.py) sends her back, and she lands on her board without
a password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from overgang.config import Settings
from tests.board import AALBORG_CITIZEN, add_person, admit
from tests.conftest import TEST_SECRET_KEYS, Api
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider, serve_provider

ANNE = "anne@aalborg.dk"


@pytest.fixture
def provider() -> Iterator[TestProvider]:
    with serve_provider() as served:
        yield served


@pytest.fixture
def settings(database_url: str, provider: TestProvider) -> Settings:
    """The tests' settings with the test provider configured (served by conftest's base_url)."""
    return Settings(
        database_url=database_url,
        run_worker=False,
        allow_insecure_webhooks=True,
        secret_keys=TEST_SECRET_KEYS,
        sso_discovery_url=f"{provider.issuer}/.well-known/openid-configuration",
        sso_client_id=CLIENT_ID,
        sso_client_secret=SecretStr(CLIENT_SECRET),
        sso_button_label="Log ind med Region Nordjylland",
    )


def test_a_coordinator_clicks_the_button_and_lands_on_her_board(
    api: Api,
    database_url: str,
    provider: TestProvider,
    base_url: str,
    browser: webdriver.Chrome,
) -> None:
    admit(api)
    add_person(database_url, email=ANNE, org="0851", name="Anne Holm")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)

    browser.get(f"{base_url}/login")
    button = browser.find_element(By.ID, "sso")
    assert button.text == "Log ind med Region Nordjylland"
    button.click()
    WebDriverWait(browser, 20).until(lambda page: page.current_url == f"{base_url}/board")

    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Anne Holm" in browser.find_element(By.TAG_NAME, "body").text
    assert f"{AALBORG_CITIZEN.cpr[:6]}-{AALBORG_CITIZEN.cpr[6:]}" in page
    assert provider.tokens_issued == 1
