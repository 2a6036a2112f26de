"""MedCom's duplicate rules (brief.md §4): a MessageHeader.id is taken once and answered the same way
every time; a Bundle.id names one message; a refused message is judged afresh when sent again."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.api.test_medcom_examples import SLHJ, STIN, ack_issues, medcom, send
from tests.conftest import Api
from tests.messages import header, resources, with_fresh_ids

EPISODE = "bd481c38-a921-11ed-afa1-0242ac120002"


def answer(response: Any) -> tuple[int, str, str, list[tuple[str, str, str]]]:
    """What an acknowledgement says, leaving out what is new in every acknowledgement (its ids)."""
    ack = response.json()
    ack_header = header(ack)["response"]
    issues = [(i["severity"], i["code"], i["diagnostics"]) for i in ack_issues(ack)]
    return response.status_code, ack_header["identifier"], ack_header["code"], issues


def inbox_codes(api: Api) -> list[str]:
    return [item["notification_code"] for item in api.inbox().json()["items"]]


def timeline_length(api: Api) -> int:
    episode = api.episode(EPISODE, token=api.tokens.medcom_hospital).json()
    return len(episode["timeline"])


def test_the_same_bundle_sent_again_gets_the_same_answer_in_a_new_acknowledgement(
    api: Api,
) -> None:
    message = medcom(SLHJ)  # its ids are not UUIDs: the answer carries warnings to repeat

    first = send(api, message)
    again = send(api, message)

    assert answer(first) == answer(again)
    assert answer(first)[2] == "ok"
    assert answer(first)[3]  # the warnings, repeated
    assert first.json()["id"] != again.json()["id"]
    assert header(first.json())["id"] != header(again.json())["id"]
    assert inbox_codes(api) == ["SLHJ"]
    assert timeline_length(api) == 1


def test_a_resend_in_a_new_bundle_is_still_the_same_message(api: Api) -> None:
    message = medcom(STIN)
    resend = copy.deepcopy(message)
    resend["id"] = str(uuid.uuid4())
    resend["timestamp"] = "2022-12-07T12:30:01+02:00"

    first = send(api, message)
    again = send(api, resend)

    assert answer(first) == answer(again)
    assert first.json()["id"] != again.json()["id"]
    assert inbox_codes(api) == ["STIN"]
    assert timeline_length(api) == 1


def test_a_new_message_in_a_used_bundle_id_is_refused_and_not_stored(api: Api) -> None:
    message = medcom(STIN)
    reuse = with_fresh_ids(message)
    reuse["id"] = message["id"]
    send(api, message)

    refused = send(api, reuse)

    assert refused.status_code == 409
    ack_header = header(refused.json())
    assert ack_header["response"]["identifier"] == header(reuse)["id"]
    assert ack_header["response"]["code"] == "fatal-error"
    assert [i["severity"] for i in ack_issues(refused.json())] == ["error"]
    assert inbox_codes(api) == ["STIN"]
    assert timeline_length(api) == 1


def test_a_refused_bundle_id_reuse_is_refused_again_when_resent(api: Api) -> None:
    message = medcom(STIN)
    reuse = with_fresh_ids(message)
    reuse["id"] = message["id"]
    send(api, message)

    first = send(api, reuse)
    again = send(api, reuse)

    assert answer(first) == answer(again)
    assert answer(again)[:3] == (409, header(reuse)["id"], "fatal-error")


def test_two_different_messages_are_two_inbox_messages(api: Api) -> None:
    stin = medcom(STIN)

    send(api, stin)
    send(api, with_fresh_ids(stin))
    send(api, medcom(SLHJ))

    assert inbox_codes(api) == ["STIN", "STIN", "SLHJ"]
    assert timeline_length(api) == 3


def test_a_message_refused_as_invalid_is_validated_again_when_resent(api: Api) -> None:
    invalid = medcom(STIN)
    patient = resources(invalid, "Patient")[0]
    patient["identifier"][0]["value"] = "3102479989"  # 31 February does not exist

    first = send(api, invalid)
    again = send(api, invalid)

    assert first.status_code == 422
    assert answer(first) == answer(again)
    assert answer(again)[2] == "fatal-error"
    assert any(issue[0] == "error" for issue in answer(again)[3])
    assert inbox_codes(api) == []
    assert api.episode(EPISODE, token=api.tokens.medcom_hospital).status_code == 404


def test_a_corrected_message_after_a_refusal_is_taken(api: Api) -> None:
    valid = medcom(STIN)
    invalid = copy.deepcopy(valid)
    resources(invalid, "Patient")[0]["identifier"][0]["value"] = "3102479989"
    send(api, invalid)

    corrected = send(api, valid)

    assert answer(corrected)[:3] == (200, header(valid)["id"], "ok")
    assert inbox_codes(api) == ["STIN"]
