"""MedCom's own HospitalNotification examples, unchanged: each is taken and acknowledged as MedCom
shows, and together (one stay, in a sensible order) they give the episode the states they tell."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.messages import MEDCOM, TEST_CPR, header, load, medcom_examples, resources

# The README's table: file -> the notice it shows.
STIN = "Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json"
RE_STIN = "Bundle-bfab3e80-9584-11ec-b909-0242ac120002.json"
AN_STIN = "Bundle-c83671a4-9584-11ec-b909-0242ac120002.json"
STOR = "Bundle-d3128d9b-cede-4c7f-8904-809eab322d7d.json"
SLOR = "Bundle-e94de8ee-bd94-475e-b454-b8fbbef8a685.json"
SLHJ = "Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774.json"
MORS = "Bundle-g099bbf3-3fca-4722-a248-bfe1aa956410.json"
STAA = "Bundle-h1c8e4a8-6b45-4669-94ad-2a99ad96bf03.json"
SLHJ_EMER = "Bundle-kcab461b-f44e-4d97-a041-ef7e64800587.json"
MORS_EMER = "Bundle-ld31e08a-b91f-49c3-841a-ce80e6380517.json"
STIN_URN_UUID = "Bundle-m908i967-9ie3-9023-b9ec-98108695f01d.json"
STIN_TWO_IDS = "Bundle-n73ccf30-80b9-4bd2-bf50-1ac1914498f0.json"

NOTICE = {
    STIN: "STIN",
    RE_STIN: "RE_STIN",
    AN_STIN: "AN_STIN",
    STOR: "STOR",
    SLOR: "SLOR",
    SLHJ: "SLHJ",
    MORS: "MORS",
    STAA: "STAA",
    SLHJ_EMER: "SLHJ",
    MORS_EMER: "MORS",
    STIN_URN_UUID: "STIN",
    STIN_TWO_IDS: "STIN",
}
# Every example is about one episode, whatever form its identifier takes.
EPISODE = "bd481c38-a921-11ed-afa1-0242ac120002"
LPR3_EPISODE = "fc60e762-b13b-5773-865e-67f3907bdcc7"
LOCAL_SYSTEM = "https://sor2.sum.dsdn.dk/#id=265161000016000"
LPR3_SYSTEM = "https://www.esundhed.dk/Registre/Landspatientregisteret"


def medcom(name: str) -> dict[str, Any]:
    return load(MEDCOM / name)


def with_fresh_bundle_id(bundle: dict[str, Any]) -> dict[str, Any]:
    """The message in a new Bundle; its MessageHeader.id stays, as the Provenance chain cites it."""
    fresh = copy.deepcopy(bundle)
    fresh["id"] = str(uuid.uuid4())
    return fresh


def send(api: Api, bundle: dict[str, Any]) -> Any:
    return api.send(bundle, token=api.tokens.medcom_hospital)


def own_provenance(bundle: dict[str, Any]) -> dict[str, Any]:
    """The message's new Provenance: the one whose target is its own MessageHeader."""
    header_id = header(bundle)["id"]
    return next(
        p
        for p in resources(bundle, "Provenance")
        if p["target"][0]["reference"].endswith(f"MessageHeader/{header_id}")
    )


def ack_issues(ack: dict[str, Any]) -> list[dict[str, Any]]:
    return [issue for outcome in resources(ack, "OperationOutcome") for issue in outcome["issue"]]


def chain_warnings(ack: dict[str, Any]) -> list[str]:
    """What the acknowledgement says about the message's place in the Provenance chain."""
    return [
        issue["diagnostics"]
        for issue in ack_issues(ack)
        if issue["severity"] == "warning" and issue.get("expression") == ["Provenance.entity.what"]
    ]


def episode_of(api: Api, identifier: str = EPISODE) -> dict[str, Any]:
    response = api.episode(identifier, token=api.tokens.medcom_hospital)
    assert response.status_code == 200, response.text
    episode: dict[str, Any] = response.json()
    return episode


def test_the_examples_are_all_here_with_distinct_ids() -> None:
    bundles = [load(path) for path in medcom_examples()]

    assert {path.name for path in medcom_examples()} == set(NOTICE)
    assert len({bundle["id"] for bundle in bundles}) == len(bundles)
    assert len({header(bundle)["id"] for bundle in bundles}) == len(bundles)


@pytest.mark.parametrize("path", medcom_examples(), ids=lambda path: path.name[7:15])
def test_each_example_is_acknowledged_ok_and_reaches_aalborg(api: Api, path: Path) -> None:
    message = load(path)

    response = send(api, message)

    assert response.status_code == 200, response.text
    ack = response.json()
    ack_header = header(ack)
    assert ack_header["response"]["identifier"] == header(message)["id"]
    assert ack_header["response"]["code"] == "ok"
    assert ack_header["destination"][0]["endpoint"] == header(message)["source"]["endpoint"]
    provenances = resources(ack, "Provenance")
    assert len(provenances) == 2
    assert own_provenance(message) in provenances
    # Only the checklist's gaps (business-rule) may be errors in an ok answer: a discharge
    # without a plan is flagged, never refused.
    assert all(
        issue["severity"] in ("warning", "information") or issue["code"] == "business-rule"
        for issue in ack_issues(ack)
    )
    [item] = api.inbox().json()["items"]
    assert (item["kind"], item["notification_code"]) == ("hospital-notification", NOTICE[path.name])
    assert (item["episode"], item["cpr"]) == (EPISODE, TEST_CPR)


@pytest.mark.parametrize("name", [RE_STIN, AN_STIN])
def test_a_follower_of_a_message_never_received_is_taken_with_a_warning(
    api: Api, name: str
) -> None:
    response = send(api, medcom(name))

    assert header(response.json())["response"]["code"] == "ok"
    [warning] = chain_warnings(response.json())
    assert "not received" in warning


@pytest.mark.parametrize(
    ("names", "states"),
    [
        pytest.param(
            [STIN, STOR, SLOR, SLHJ],
            ["admitted", "on-leave", "admitted", "discharged"],
            id="leave-and-discharge",
        ),
        pytest.param([STIN, RE_STIN], ["admitted", "admitted"], id="corrected-admission"),
        pytest.param([STIN, AN_STIN], ["admitted", "cancelled"], id="cancelled-admission"),
        pytest.param([STIN, MORS], ["admitted", "deceased"], id="death"),
        pytest.param([STAA, SLHJ_EMER], ["admitted", "discharged"], id="acute-ambulatory"),
        pytest.param([STAA, MORS_EMER], ["admitted", "deceased"], id="acute-ambulatory-death"),
    ],
)
def test_the_examples_as_one_stay_give_the_states_they_tell(
    api: Api, names: list[str], states: list[str]
) -> None:
    seen = []
    for name in names:
        response = send(api, with_fresh_bundle_id(medcom(name)))
        assert response.status_code == 200, (name, response.text)
        assert chain_warnings(response.json()) == [], name
        seen.append(episode_of(api)["state"])

    assert seen == states
    items = api.inbox().json()["items"]
    assert [item["notification_code"] for item in items] == [NOTICE[name] for name in names]
    assert {item["episode"] for item in items} == {EPISODE}


def test_the_stay_keeps_its_times_and_follows_the_provenance_chain(api: Api) -> None:
    for name in (STIN, STOR, SLOR, SLHJ):
        send(api, with_fresh_bundle_id(medcom(name)))

    episode = episode_of(api)

    assert episode["admitted_at"] == "2022-12-07T10:00:00Z"
    assert episode["discharged_at"] == "2022-12-18T07:45:30Z"
    assert episode["encounter_class"] == "IMP"
    assert [(e["code"], e["follows_header_id"]) for e in episode["timeline"]] == [
        ("STIN", None),
        ("STOR", header(medcom(STIN))["id"]),
        ("SLOR", header(medcom(STOR))["id"]),
        ("SLHJ", header(medcom(STIN))["id"]),
    ]
    assert all(e["replaced_by_header_id"] is None for e in episode["timeline"])


@pytest.mark.parametrize(
    "names",
    [
        pytest.param([STIN, STIN_URN_UUID, STIN_TWO_IDS], id="plain-first"),
        pytest.param([STIN_TWO_IDS, STIN_URN_UUID, STIN], id="two-ids-first"),
    ],
)
def test_every_form_of_the_episode_identifier_names_one_episode(api: Api, names: list[str]) -> None:
    for name in names:
        assert send(api, medcom(name)).status_code == 200, name

    items = api.inbox().json()["items"]
    episode = episode_of(api)

    assert [item["notification_code"] for item in items] == ["STIN", "STIN", "STIN"]
    assert {item["episode"] for item in items} == {EPISODE}
    assert episode["episode"] == EPISODE  # the hospital's local identifier is preferred
    assert sorted((i["system"], i["value"]) for i in episode["identifiers"]) == [
        (LOCAL_SYSTEM, EPISODE),
        (LPR3_SYSTEM, LPR3_EPISODE),
    ]
    assert len(episode["timeline"]) == 3


@pytest.mark.parametrize(
    "identifier",
    [EPISODE, f"urn:uuid:{EPISODE}", EPISODE.upper(), LPR3_EPISODE, f"urn:uuid:{LPR3_EPISODE}"],
)
def test_the_episode_is_found_by_any_form_of_any_of_its_identifiers(
    api: Api, identifier: str
) -> None:
    send(api, medcom(STIN_TWO_IDS))

    assert episode_of(api, identifier)["episode"] == EPISODE
