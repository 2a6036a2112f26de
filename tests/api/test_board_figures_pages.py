"""The board's figures pages through HTTP, from stays sent through the real API, on SQLite and
PostgreSQL: the service's numbers on the page, small rates without a percentage, the grouping
in the URL, the CSV, the same figures for every organisation, no CPR number anywhere, and a new
discharge counted on the next page."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from overgang.api.app import create_app
from overgang.config import Settings
from overgang.domain.visibility import Scope
from overgang.figures.definitions import FIGURES
from overgang.service.figures import board_figures, figure_csv
from overgang.storage.db import create_db_engine, session_factory
from tests.board import Browser, add_person
from tests.conftest import Api, Partners
from tests.messages import HOSPITAL_SOR
from tests.stays import EXAMPLE_CITIZEN, Citizen, Stay, at, stay

OTHER = Citizen("0101802345", "Ida", "Holm")
CPR_NUMBERS = (EXAMPLE_CITIZEN.cpr, OTHER.cpr, "250947-9989", "010180-2345")


@pytest.fixture
def site(settings: Settings, tokens: Partners) -> Iterator[Api]:
    """The app on https (the board's cookies are Secure), used by the partners' systems."""
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield Api(client, tokens)


def browser(site: Api) -> Browser:
    """A browser of its own: its own cookies."""
    return Browser(TestClient(site.client.app, base_url="https://testserver"))


def send_stay(site: Api, one: Stay) -> None:
    for bundle in (one.admission, one.plan, one.discharge, one.handover):
        assert bundle is not None
        answer = site.send(bundle)
        assert answer.status_code == 200, answer.text


def signed_in(site: Api, database_url: str, *, email: str, org: str) -> Browser:
    person = browser(site)
    person.signed_in(email, add_person(database_url, email=email, org=org))
    return person


def main_of(page: str) -> str:
    """The page's content, without the header that names the person."""
    return page[page.index('<main id="indhold"') : page.index("</main>")]


def month_row(page: str, month: str) -> list[str]:
    """The cells of the first table row for `month` ('mar. 2025'), tags stripped."""
    row = re.search(rf"<tr[^>]*>\s*<th scope=\"row\">{re.escape(month)}.*?</tr>", page, re.S)
    assert row is not None, f"no row for {month}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in cells]


def csv_denominators(text: str) -> list[str]:
    return [row["denominator"] for row in csv.DictReader(io.StringIO(text))]


def test_the_figures_pages_show_the_services_numbers_to_everyone_alike(
    site: Api, database_url: str
) -> None:
    # Discharged Monday 3 March, back on Thursday 6 March (a readmission within 3 days).
    send_stay(site, stay(discharge_at=at(2025, 3, 3, 10)))
    send_stay(site, stay(discharge_at=at(2025, 3, 14, 10), admitted_at=at(2025, 3, 6, 9)))
    anne = signed_in(site, database_url, email="anne@aalborg.dk", org="0851")
    ward = signed_in(site, database_url, email="ole@hospital.dk", org=HOSPITAL_SOR)
    sessions = session_factory(create_db_engine(database_url))
    today = datetime.now(UTC).date()
    expected = board_figures(sessions=sessions, scope=Scope.everything(), today=today)

    overview = anne.get("/board/tal")
    assert overview.status_code == 200
    assert 'href="/board/tal"' in overview.text and "chart.umd.min.js" in overview.text
    assert overview.headers["cache-control"] == "no-store"
    page = anne.get("/board/tal/readmission-3d")
    assert page.status_code == 200
    [readmitted] = expected["readmission-3d"]
    assert (readmitted.numerator, readmitted.denominator) == (1, 2)
    # Numerator, denominator, and no percentage: 2 is under 10 (figures.md).
    assert month_row(page.text, "mar. 2025")[:4] == ["mar. 2025", "1", "2", "under 10"]
    assert "set af Overgang" in page.text
    assert '<script type="application/json" id="data-1">' in page.text

    # The same aggregate figures for a municipality and for the hospital (profile §9).
    for path in ("/board/tal", "/board/tal/readmission-3d", "/board/tal/checklist-item"):
        assert main_of(anne.get(path).text) == main_of(ward.get(path).text)

    download = ward.get("/board/tal/readmission-30d/csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text == figure_csv(
        sessions=sessions, scope=Scope.everything(), figure_id="readmission-30d", today=today
    )
    assert next(csv.DictReader(io.StringIO(download.text)))["municipality"] == "0851"

    everything = [
        anne.get(path).text + ward.get(path).text
        for path in (
            "/board/tal",
            *(f"/board/tal/{f}?gruppe={g}" for f in expected for g in ("kommune", "afdeling")),
            *(f"/board/tal/{f}/csv" for f in expected),
        )
    ]
    assert not any(number in text for text in everything for number in CPR_NUMBERS)


def test_the_grouping_and_part_are_in_the_url_and_unknown_ones_are_not_found(
    site: Api, database_url: str
) -> None:
    send_stay(site, stay(discharge_at=at(2025, 3, 3, 10)))
    anne = signed_in(site, database_url, email="anne@aalborg.dk", org="0851")

    by_municipality = anne.get("/board/tal/readmission-30d?gruppe=kommune").text
    assert "Aalborg Kommune (0851)" in by_municipality
    assert '<option value="kommune" selected>' in by_municipality
    by_ward = anne.get("/board/tal/readmission-30d?gruppe=afdeling").text
    assert f"(SOR {HOSPITAL_SOR})" in by_ward
    weekend = anne.get("/board/tal/weekend-discharge?del=agreed").text
    assert '<option value="agreed" selected>' in weekend

    for path in (
        "/board/tal/no-such-figure",
        "/board/tal/readmission-30d?gruppe=planet",
        "/board/tal/weekend-discharge?del=nothing",
        "/board/tal/no-such-figure/csv",
    ):
        missing = anne.get(path)
        assert missing.status_code == 404 and "Tallet findes ikke" in missing.text, path
    assert browser(site).get("/board/tal").headers["location"] == "/login"


def test_a_new_discharge_is_counted_on_the_next_page(site: Api, database_url: str) -> None:
    send_stay(site, stay(discharge_at=at(2025, 3, 3, 10)))
    anne = signed_in(site, database_url, email="anne@aalborg.dk", org="0851")
    for _ in range(2):  # the second from the cache
        assert month_row(anne.get("/board/tal/readmission-30d").text, "mar. 2025")[2] == "1"
        assert csv_denominators(anne.get("/board/tal/readmission-30d/csv").text) == ["1"]

    send_stay(site, stay(discharge_at=at(2025, 3, 20, 10), citizen=OTHER))

    assert month_row(anne.get("/board/tal/readmission-30d").text, "mar. 2025")[2] == "2"
    assert csv_denominators(anne.get("/board/tal/readmission-30d/csv").text) == ["2"]


def shown_text(page: str) -> str:
    """The words a reader sees in the page's content: no tags, no attributes (ids are in URLs)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main_of(page))))


def test_every_figure_is_explained_in_danish(site: Api, database_url: str) -> None:
    send_stay(site, stay(discharge_at=at(2025, 3, 3, 10)))
    anne = signed_in(site, database_url, email="anne@aalborg.dk", org="0851")
    english = ("index discharge", "discharges", "Appointment", "working days", "plans", "item")

    for figure_id, definition in FIGURES.items():
        text = shown_text(anne.get(f"/board/tal/{figure_id}").text)
        for wording in (definition.title, definition.numerator, definition.denominator):
            assert wording in text, (figure_id, wording)
        assert not [word for word in english if word in text], figure_id
    readmission = shown_text(anne.get("/board/tal/readmission-30d").text)
    assert "genindlæggelse inden for 30 dage" in readmission and "set af Overgang" in readmission
    assert "opfølgning booket inden for 7 dage" in shown_text(
        anne.get("/board/tal/follow-up-7d").text
    )

    # A checklist item is named by the checklist's Danish title, never by its id.
    items = shown_text(anne.get("/board/tal/checklist-item").text)
    catalog = site.client.app.state.checklists  # type: ignore[attr-defined]
    titles = {item.id: item.title_da for d in catalog.definitions for item in d.items}
    page = anne.get("/board/tal/checklist-item").text
    menu = page[page.index('<select class="form-select" id="del"') :]
    item_ids = re.findall(r'<option value="([^"]+)"', menu[: menu.index("</select>")])
    assert item_ids and all(titles[i] in items and i not in items for i in item_ids)


def test_a_month_without_discharges_is_shown_as_0_of_0_and_a_gap(
    site: Api, database_url: str
) -> None:
    send_stay(site, stay(discharge_at=at(2025, 3, 3, 10)))
    send_stay(site, stay(discharge_at=at(2025, 5, 5, 10), citizen=OTHER))
    anne = signed_in(site, database_url, email="anne@aalborg.dk", org="0851")

    page = anne.get("/board/tal/readmission-30d").text
    assert month_row(page, "apr. 2025")[:4] == ["apr. 2025", "0", "0", "–"]
    chart = re.search(r'id="data-1">(.*?)</script>', page, re.S)
    assert chart is not None
    assert '"months": ["2025-03", "2025-04", "2025-05"]' in html.unescape(chart.group(1))
    assert '"value": [null, null, null]' in html.unescape(chart.group(1))  # all under 10
