"""Finding a citizen on the board by CPR number, through HTTP: only among the viewer's own
citizens (profile §9), another's citizen answered exactly as an unknown one, a malformed number
refused before anything is looked up, never by GET, and every search audited without the number."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_audit_trail import trail  # noqa: F401 - a fixture
from tests.api.test_board import ANNE, anne, site  # noqa: F401 - site is a fixture
from tests.api.test_board_live import KK_CITIZEN, copenhagen_plan_unanswered, signed_in
from tests.board import (
    AALBORG_CITIZEN,
    Browser,
    admit,
    discharged_earlier,
    search,
    stay_id,
)
from tests.conftest import Api
from tests.messages import HOSPITAL_SOR, MEDCOM_SENDER_SOR

Trail = Callable[[], tuple[list[dict[str, str]], str]]
NOBODY = "0909094321"  # a CPR number no episode has
NOT_FOUND = "Ingen ophold fundet blandt jeres borgere"
MALFORMED = "Skriv et gyldigt CPR-nummer: 10 cifre"
_TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')


def main(page: str) -> str:
    """The page's main content, with the number searched for (in its heading) left out."""
    content = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"[0-9]{6}-?[0-9]{4}", "<cpr>", _TOKEN.sub("", content))


def stay_links(page: str) -> list[str]:
    return re.findall(r'href="(/board/ophold/[^"]+)"', page)


def test_a_coordinator_finds_her_own_citizens_stays_newest_first_with_links(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    earlier = discharged_earlier(
        site, citizen=AALBORG_CITIZEN, admitted_at=datetime.now(UTC) - timedelta(days=60)
    )
    now = admit(site)  # admitted 10 days ago, still in hospital
    person = anne(site, database_url)

    found = search(person, "010190-4321")

    assert found.status_code == 200
    assert found.headers["cache-control"] == "no-store"
    assert stay_links(found.text) == [
        f"/board/ophold/{stay_id(database_url, now)}",
        f"/board/ophold/{stay_id(database_url, earlier)}",
    ]
    assert "Ophold for 010190-4321" in found.text and NOT_FOUND not in found.text
    current, past = found.text.split("<tbody>")[1].split("</tr>")[:2]
    assert "<td>Indlagt</td>" in current and "<td>–</td>" in current  # not discharged
    assert "<td>Udskrevet</td>" in past and "<td>Psyk S4</td>" in past
    assert "<td>Aalborg Kommune</td>" in current and "<td>Aalborg Kommune</td>" in past
    opened = person.get(stay_links(found.text)[0])
    assert opened.status_code == 200 and "Ophold: 010190-4321" in opened.text


@pytest.mark.parametrize(
    "typed", ["0101904321", "010190-4321", " 010190 4321 ", "01 01 90 - 43 21"]
)
def test_a_cpr_number_is_found_however_it_is_typed(
    site: Api,  # noqa: F811
    database_url: str,
    typed: str,
) -> None:
    stay = admit(site)

    found = search(anne(site, database_url), typed)

    assert found.status_code == 200 and stay_links(found.text) == [
        f"/board/ophold/{stay_id(database_url, stay)}"
    ]


def test_another_municipalitys_citizen_gets_the_same_answer_as_an_unknown_one(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)
    copenhagen_plan_unanswered(site)
    person = anne(site, database_url)

    theirs = search(person, "080825-4321")
    unknown = search(person, NOBODY)

    assert theirs.status_code == unknown.status_code == 200
    assert NOT_FOUND in theirs.text and stay_links(theirs.text) == []
    assert main(theirs.text) == main(unknown.text)
    copenhagen = signed_in(site, database_url, "bo@kk.dk", "0101")
    assert len(stay_links(search(copenhagen, KK_CITIZEN.cpr).text)) == 1  # it is there: theirs


def test_a_hospital_coordinator_finds_only_its_owners_stays(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    own = admit(site)
    ward = signed_in(site, database_url, "ward@psyk.dk", HOSPITAL_SOR)
    other_hospital = signed_in(site, database_url, "h@herlev.dk", MEDCOM_SENDER_SOR)

    found = search(ward, AALBORG_CITIZEN.cpr)
    not_theirs = search(other_hospital, AALBORG_CITIZEN.cpr)

    assert stay_links(found.text) == [f"/board/ophold/{stay_id(database_url, own)}"]
    assert NOT_FOUND in not_theirs.text and stay_links(not_theirs.text) == []


@pytest.mark.parametrize(
    "typed", ["", "010190-432", "01019043210", "310290-4321", "0101904321x", "٠١٠١٩٠٤٣٢١"]
)
def test_a_malformed_number_is_refused_next_to_the_field_and_nothing_is_looked_up(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
    typed: str,
) -> None:
    admit(site)

    refused = search(anne(site, database_url), typed)

    assert refused.status_code == 422
    assert refused.headers["cache-control"] == "no-store"
    field = refused.text[refused.text.index('<div class="form-group form-error">') :]
    field = field.split("</div>", maxsplit=1)[0]
    assert MALFORMED in field and 'class="form-error-message"' in field
    assert 'aria-invalid="true"' in field and 'href="#cpr"' in refused.text  # and in the summary
    assert "Ophold for" not in refused.text and stay_links(refused.text) == []
    rows, _ = trail()
    assert [row for row in rows if row["action"] == "board.search"] == []


def test_a_search_without_the_forms_token_is_refused_and_not_audited(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    admit(site)
    person = anne(site, database_url)

    missing = person.client.post("/board/soeg", data={"cpr": AALBORG_CITIZEN.cpr})
    wrong = person.client.post("/board/soeg", data={"cpr": AALBORG_CITIZEN.cpr, "csrf_token": "x"})

    for refused in (missing, wrong):
        assert refused.status_code == 403
        assert "Formularen kunne ikke sendes" in refused.text
        assert "010190" not in refused.text and stay_links(refused.text) == []
    rows, _ = trail()
    assert [row for row in rows if row["action"] == "board.search"] == []


def test_every_search_is_audited_with_the_stays_found_and_never_the_number(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    stay = admit(site)
    person = anne(site, database_url)
    caplog.set_level(logging.DEBUG)
    search(person, "010190-4321")
    search(person, NOBODY)
    search(person, "010190-432")  # malformed
    logged = caplog.text

    rows, output = trail()

    searches = [row for row in rows if row["action"] == "board.search"]
    assert [(row["client"], row["episodes"], row["outcome"]) for row in searches] == [
        (ANNE, stay.episode, "allowed"),
        (ANNE, "-", "allowed"),  # nothing found: still audited
    ]
    for number in (AALBORG_CITIZEN.cpr, NOBODY):
        for written in (output, logged):
            assert number not in written and f"{number[:6]}-{number[6:]}" not in written
    assert "010190-432" not in logged


def test_a_search_by_get_searches_nothing(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    admit(site)
    person = anne(site, database_url)

    page = person.get(f"/board/soeg?cpr={AALBORG_CITIZEN.cpr}")

    assert page.status_code == 200 and "<h1>Find borger</h1>" in page.text
    assert AALBORG_CITIZEN.cpr not in page.text and stay_links(page.text) == []
    rows, _ = trail()
    assert [row for row in rows if row["action"] == "board.search"] == []


def test_a_search_needs_a_signed_in_person(site: Api) -> None:  # noqa: F811
    stranger = Browser(site.client)

    answer = stranger.client.post(
        "/board/soeg", data={"cpr": AALBORG_CITIZEN.cpr}, follow_redirects=False
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_every_signed_in_page_has_the_search_form(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    stay = admit(site)
    person = anne(site, database_url)

    for path in (
        "/board",
        "/board/venter",
        "/board/tal",
        f"/board/ophold/{stay_id(database_url, stay)}",
    ):
        page = person.get(path).text
        form = page[page.index('<form class="board-search"') :].split("</form>", maxsplit=1)[0]
        assert 'method="post" action="/board/soeg"' in form
        assert '<label class="form-label" for="find-borger">Find borger</label>' in form
        assert 'name="csrf_token"' in form
