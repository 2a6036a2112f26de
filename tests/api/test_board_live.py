"""The board's live lists through HTTP, built from real messages posted through the API: what
each page shows, to whom (profile §9), the audit of every view and refresh, the list alone for
htmx's refresh, and a refresh whose session has ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from overgang.checklist.calendar import WorkCalendar
from tests.api.test_audit_trail import trail  # noqa: F401 - a fixture
from tests.api.test_board import ANNE, anne, browser, site  # noqa: F401 - site is a fixture
from tests.api.test_board_figures import to_copenhagen
from tests.board import AALBORG_CITIZEN, Browser, add_person, admit, plan_sent
from tests.conftest import Api
from tests.messages import HOSPITAL_SOR, MEDCOM_SENDER_SOR
from tests.stays import COPENHAGEN, Citizen, not_ready, stay

Trail = Callable[[], tuple[list[dict[str, str]], str]]
LISTS = ("/board", "/board/udskrivninger", "/board/venter", "/board/beskeder")
UNANSWERED = Citizen("0303754321", "Ulla", "Svar")  # plan sent, no answer, planned days ago
SATURDAY = Citizen("0404654321", "Lis", "Lørdag")
LATER = Citizen("0505554321", "Per", "Senere")
LATE_PLAN = Citizen("0707354321", "Bo", "Sen")
KK_CITIZEN = Citizen("0808254321", "Kim", "København")
HX = {"HX-Request": "true"}


def cpr(citizen: Citizen) -> str:
    return f"{citizen.cpr[:6]}-{citizen.cpr[6:]}"


def signed_in(site: Api, database_url: str, email: str, org: str) -> Browser:  # noqa: F811
    person = browser(site)
    person.signed_in(email, add_person(database_url, email=email, org=org))
    return person


def row(page: str, citizen: Citizen) -> str:
    """The table row that begins with the citizen's CPR number."""
    return page[page.index(cpr(citizen)) :].split("</tr>", maxsplit=1)[0]


def section(page: str, heading: str) -> str:
    """The page's text from the h2 `heading` to the next h2."""
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 1)
    return page[start : end if end != -1 else len(page)]


def next_working_day_at_ten() -> datetime:
    day = datetime.now(COPENHAGEN).date() + timedelta(days=1)
    while not WorkCalendar().is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=COPENHAGEN)


def next_saturday_at_ten() -> datetime:
    today = datetime.now(COPENHAGEN).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    return datetime(saturday.year, saturday.month, saturday.day, 10, tzinfo=COPENHAGEN)


def test_expected_discharges_list_the_coming_week_with_flags_in_words(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)  # planned in 5 days, Aalborg ready
    plan_sent(site, citizen=SATURDAY, discharge_at=next_saturday_at_ten())
    plan_sent(site, citizen=LATER, discharge_at=datetime.now(UTC) + timedelta(days=12))
    plan_sent(
        site,
        citizen=LATE_PLAN,
        discharge_at=next_working_day_at_ten(),
        plan_sent_at=datetime.now(UTC) - timedelta(minutes=5),
    )

    page = anne(site, database_url).get("/board/udskrivninger")

    assert page.status_code == 200
    assert cpr(AALBORG_CITIZEN) in page.text and cpr(SATURDAY) in page.text
    assert cpr(LATER) not in page.text  # beyond the week
    assert "<strong>3</strong> forventes udskrevet" in page.text
    assert "<strong>2</strong> med noget der mangler" in page.text
    saturday = row(page.text, SATURDAY)
    assert "Udskrivning lørdag" in saturday and 'class="badge' in saturday
    assert "Ingen udskrivning op til weekend eller helligdag" in saturday  # in Danish
    late = row(page.text, LATE_PLAN)
    assert "Planen kom for sent" in late and "Udskrivningsplan sendt i god tid" in late
    assert "Ingen</li>" in row(page.text, AALBORG_CITIZEN)
    assert "<caption>" in page.text and '<th scope="col">Opmærksomhed</th>' in page.text


def test_waiting_for_the_municipality_shows_unanswered_plans_and_days_past_the_planned_date(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)  # answered: waits for nobody
    plan_sent(site, citizen=UNANSWERED, discharge_at=datetime.now(UTC) - timedelta(days=2))
    not_yet = Citizen("0606454321", "Ib", "Ikkeklar")
    plan_sent(
        site,
        citizen=not_yet,
        discharge_at=datetime.now(UTC) - timedelta(days=4),
        readiness=not_ready("Ingen plejebolig endnu"),
    )

    page = anne(site, database_url).get("/board/venter").text

    unanswered = section(page, "Udskrivningsplan sendt, intet svar")
    past = section(page, "Over planlagt udskrivning, kommunen ikke klar")
    assert cpr(UNANSWERED) in unanswered and cpr(not_yet) not in unanswered
    assert cpr(AALBORG_CITIZEN) not in page
    assert cpr(not_yet) in past and cpr(UNANSWERED) in past
    assert past.index(cpr(not_yet)) < past.index(cpr(UNANSWERED))  # longest wait first
    assert "4 dage" in past and "2 dage" in past and "Ikke klar" in past


def test_messages_list_those_not_acknowledged_until_the_municipality_answers(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)
    person = anne(site, database_url)
    before = person.get("/board/beskeder").text
    for item in site.inbox().json()["items"]:
        assert site.ack(item["id"], {"status": "accepted"}).status_code == 200

    after = person.get("/board/beskeder").text

    assert cpr(AALBORG_CITIZEN) in before and "Udskrivningsplan" in before
    assert "Ikke leveret" in before or "Leveret, ikke kvitteret" in before
    assert cpr(AALBORG_CITIZEN) not in after
    assert "Alle beskeder til kommunen er leveret og kvitteret" in after


def copenhagen_plan_unanswered(site: Api) -> None:  # noqa: F811
    """Copenhagen's citizen: admitted by the same hospital, plan sent, planned 2 days ago."""
    now = datetime.now(UTC)
    one = stay(
        discharge_at=now - timedelta(days=2),
        admitted_at=now - timedelta(days=10),
        plan_sent_at=now - timedelta(days=3),
        citizen=KK_CITIZEN,
        readiness="no answer",
    )
    assert one.admission is not None and one.plan is not None
    for bundle in (one.admission, one.plan):
        assert site.send(to_copenhagen(bundle)).status_code == 200


def test_a_municipality_and_a_hospital_see_only_their_own_citizens_on_every_list(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)
    plan_sent(site, citizen=UNANSWERED, discharge_at=datetime.now(UTC) - timedelta(days=2))
    copenhagen_plan_unanswered(site)
    aalborgs = {
        "/board": (AALBORG_CITIZEN, UNANSWERED),
        "/board/udskrivninger": (AALBORG_CITIZEN,),
        "/board/venter": (UNANSWERED,),
        "/board/beskeder": (AALBORG_CITIZEN, UNANSWERED),
    }
    copenhagens = {path: (KK_CITIZEN,) for path in LISTS if path != "/board/udskrivninger"}
    aalborg = anne(site, database_url)
    copenhagen = signed_in(site, database_url, "bo@kk.dk", "0101")
    ward = signed_in(site, database_url, "ward@psyk.dk", HOSPITAL_SOR)
    other_hospital = signed_in(site, database_url, "h@herlev.dk", MEDCOM_SENDER_SOR)
    everyone = (AALBORG_CITIZEN, UNANSWERED, KK_CITIZEN)

    for path in LISTS:
        for person, own in (
            (aalborg, aalborgs[path]),
            (copenhagen, copenhagens.get(path, ())),
            (ward, aalborgs[path] + copenhagens.get(path, ())),  # its owner's: both
            (other_hospital, ()),
        ):
            for answer in (person.get(path), person.get(path, headers=HX)):
                assert answer.status_code == 200
                shown = {c for c in everyone if cpr(c) in answer.text}
                assert shown == set(own), path
                assert not any(c.cpr in answer.text for c in everyone)  # never unformatted


def test_every_list_view_and_refresh_is_audited_with_the_episodes_shown(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    stay = admit(site)
    person = anne(site, database_url)
    nobody = signed_in(site, database_url, "bo@kk.dk", "0101")
    for path in LISTS:
        person.get(path)
        person.get(path, headers=HX)
        nobody.get(path)

    rows, output = trail()

    actions = ["board.admitted-now", "board.expected-discharges", "board.waiting", "board.messages"]
    board_rows = [row for row in rows if row["action"].startswith("board.")]
    anne_rows = [(row["action"], row["episodes"]) for row in board_rows if row["client"] == ANNE]
    seen_by_anne = {"board.waiting": "-"}  # answered and not yet due: on no waiting list
    assert anne_rows == [
        (action, seen_by_anne.get(action, stay.episode)) for action in actions for _ in (1, 2)
    ]
    bo_rows = [
        (row["action"], row["episodes"]) for row in board_rows if row["client"] == "bo@kk.dk"
    ]
    assert bo_rows == [(action, "-") for action in actions]  # shown nobody: still audited
    assert all(row["outcome"] == "allowed" for row in rows if row["action"] in actions)
    assert "0101904321" not in output


def test_a_refresh_gets_the_list_alone_and_a_page_load_the_whole_page(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)
    person = anne(site, database_url)
    for path in LISTS:
        page = person.get(path)
        fragment = person.get(path, headers=HX)
        paused = person.get(f"{path}?opdater=nej")

        assert page.text.startswith("<!DOCTYPE html>")
        assert f'hx-get="{path}"' in page.text and 'hx-trigger="every 20s"' in page.text
        assert '<script src="/board/static/htmx/htmx.min.js"></script>' in page.text
        assert '"includeIndicatorStyles": false' in page.text
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert "board-counts" in fragment.text and "<nav" not in fragment.text
        assert fragment.headers["cache-control"] == "no-store"
        assert "hx-trigger" not in paused.text and "Opdatér automatisk" in paused.text
    assert cpr(AALBORG_CITIZEN) in person.get("/board", headers=HX).text
    assert person.get("/board/static/htmx/htmx.min.js").status_code == 200


def test_a_refresh_after_the_session_ended_sends_the_browser_to_sign_in(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    admit(site)
    person = anne(site, database_url)
    person.sign_out()

    for path in LISTS:
        refresh = person.get(path, headers=HX)
        load = person.get(path)

        assert refresh.status_code == 200 and refresh.headers["hx-redirect"] == "/login"
        assert refresh.text == "" and "Log ind" not in refresh.text
        assert load.status_code == 303 and load.headers["location"] == "/login"


def test_a_refresh_before_the_password_is_chosen_leads_to_choosing_it(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    person = browser(site)
    person.sign_in(ANNE, add_person(database_url, email=ANNE, org="0851"))

    refresh = person.get("/board/venter", headers=HX)

    assert refresh.headers["hx-redirect"] == "/login/adgangskode" and refresh.text == ""


def test_the_stay_shows_what_was_sent_and_what_the_municipality_did_with_it(
    site: Api,  # noqa: F811
    database_url: str,
) -> None:
    stay = admit(site)  # Aalborg answered "ready"; now answers again: not ready after all
    again = site.client.post(
        f"/api/v1/episodes/{stay.episode}/readiness",
        json=not_ready("Bostøtten er ikke på plads"),
        headers=site.auth(site.tokens.aalborg),
    )
    assert again.status_code == 200, again.text
    plan = next(i for i in site.inbox().json()["items"] if i["kind"] == "discharge-plan")
    assert site.ack(plan["id"], {"status": "rejected", "reason": "Mangler medicin"}).is_success
    person = anne(site, database_url)
    link = person.get("/board").text
    link = link[link.index("/board/ophold/") :].split('"')[0]

    page = person.get(link).text

    sent = section(page, "Sendt til kommunen")
    did = section(page, "Det gjorde kommunen")
    checklist = section(page, "Tjekliste")
    assert "Udskrivningsplan" in sent and "Afvist" in sent and "<caption>" in sent
    assert "Ikke klar: Bostøtten er ikke på plads" in did and "Tidligere svar" in did
    assert "Afvist" in did and "Mangler medicin" in did
    assert '<th scope="row">' in checklist and "Opfyldt" in checklist
