"""A real browser against a real server: Debian's chromium, headless, driven by Selenium
through Debian's chromedriver, and the app served by uvicorn on a loopback port.

Skipped only where chromium or chromedriver is not installed; `.ci/run` installs both.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from overgang.api.app import create_app
from overgang.config import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(
        "the browser tests need Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver; .ci/run installs them)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402 - only once the browser is known to be there
from selenium.webdriver.chrome.service import Service  # noqa: E402


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: what a browser sees does not depend on the database (tests/api covers both)."""
    copy = tmp_path / "overgang.db"
    shutil.copy(sqlite_template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, addressed as localhost: a browser keeps
    Secure cookies for http://localhost, as for https."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    served = uvicorn.Server(uvicorn.Config(create_app(settings), log_config=None, access_log=False))
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not served.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert served.started, "the server did not start"
        yield f"http://localhost:{listening.getsockname()[1]}"
    finally:
        served.should_exit = True
        thread.join(timeout=30)
        listening.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Headless chromium with a new, empty profile."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the tests' screenshots go: OVERGANG_SCREENSHOTS (docs/screenshots to refresh the
    committed ones), else the test's temporary folder."""
    folder = Path(os.environ.get("OVERGANG_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
