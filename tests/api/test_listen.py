"""`overgang listen`'s receiver and listener against the real API: a lost push is fetched by
pull, a restart picks up after the last sequence taken, each message is forwarded and
acknowledged once, in order, and no CPR number is printed unless asked for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from overgang.config import Settings
from overgang.listen.inbox import InboxApi
from overgang.listen.listener import Listener, forwarder
from overgang.listen.receiver import Pushed, WebhookReceiver
from overgang.listen.state import SequenceState
from tests.api.test_webhooks import Pusher
from tests.conftest import Api
from tests.messages import TEST_CPR
from tests.receiver import Receiver, loopback_receiver
from tests.stays import Stay, at, stay


@pytest.fixture
def pusher(settings: Settings) -> Iterator[Pusher]:
    """Overgang's webhook sender, its rounds run by the test."""
    sender = Pusher(settings)
    yield sender
    sender.close()


@pytest.fixture
def target() -> Iterator[tuple[Receiver, httpx.Client]]:
    """The case system's local URL that `--forward-to` names, and a client to reach it."""
    with loopback_receiver() as receiver, httpx.Client(timeout=5) as client:
        yield receiver, client


def send(api: Api, the_stay: Stay) -> None:
    for message in (the_stay.admission, the_stay.plan, the_stay.discharge, the_stay.handover):
        assert message is not None
        assert api.send(message).status_code == 200


def listener_for(
    api: Api, state: Path, lines: list[str], target: tuple[Receiver, httpx.Client], **more: Any
) -> Listener:
    receiver, client = target
    return Listener(
        inbox=InboxApi(api.client, api.tokens.aalborg),
        state=SequenceState.load(state),
        print_line=lines.append,
        forward=forwarder(client, receiver.url),
        **more,
    )


def forwarded_sequences(target: tuple[Receiver, httpx.Client]) -> list[str]:
    return [r.headers["overgang-sequence"] for r in target[0].received]


def test_a_lost_push_is_fetched_by_pull_and_each_message_is_taken_once_in_order(
    api: Api, pusher: Pusher, target: tuple[Receiver, httpx.Client], tmp_path: Path
) -> None:
    lines: list[str] = []
    listener = listener_for(api, tmp_path / "state.json", lines, target)
    receiver = WebhookReceiver()
    try:
        _, secret = listener.inbox.register_webhook(receiver.base_url + "/hook")
        # The push of message 2 is lost after it was answered (a crash, say).
        receiver.route(
            "/hook", secret=secret, take=lambda p: None if p.sequence == 2 else listener.push(p)
        )
        send(api, stay(discharge_at=at(2026, 3, 18)))
        while pusher.round():
            pass
        taken = listener.drain()
    finally:
        receiver.close()

    assert taken == 4
    assert forwarded_sequences(target) == ["1", "2", "3", "4"]
    assert (listener.counts.gaps, listener.counts.pull, listener.counts.webhook) == (1, 1, 3)
    assert [line.split()[0] for line in lines] == ["1", "2", "3", "4"]
    assert {item["status"] for item in api.inbox().json()["items"]} == {"acknowledged"}
    assert SequenceState.load(tmp_path / "state.json").last_sequence == 4


def test_after_a_restart_the_listener_takes_only_what_came_since(
    api: Api, target: tuple[Receiver, httpx.Client], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    first_lines: list[str] = []
    send(api, stay(discharge_at=at(2026, 3, 18)))
    assert listener_for(api, state, first_lines, target).catch_up() == 4

    send(api, stay(discharge_at=at(2026, 3, 25)))  # while the listener is down
    lines: list[str] = []
    again = listener_for(api, state, lines, target)

    assert again.state.last_sequence == 4
    assert again.catch_up() == 4
    assert forwarded_sequences(target) == [str(n) for n in range(1, 9)]
    assert [line.split()[0] for line in lines] == ["5", "6", "7", "8"]
    assert again.catch_up() == 0


def test_no_cpr_number_is_printed_unless_asked_for(
    api: Api, target: tuple[Receiver, httpx.Client], tmp_path: Path
) -> None:
    send(api, stay(discharge_at=at(2026, 3, 18)))
    hidden: list[str] = []
    listener_for(api, tmp_path / "hidden.json", hidden, target).catch_up()
    shown: list[str] = []
    listener_for(api, tmp_path / "shown.json", shown, target, show_cpr=True).catch_up()

    assert len(hidden) == 4
    assert not any(TEST_CPR[:6] in line or TEST_CPR[6:] in line for line in hidden)
    assert all(TEST_CPR in line for line in shown)
    assert "STIN" in hidden[0] and "SLHJ" in hidden[2]
    assert "missing:" in hidden[1] or "complete" in hidden[1]


def test_a_push_is_taken_once_by_webhook_id_and_a_forged_one_never() -> None:
    secret = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
    pushed: list[Pushed] = []
    receiver = WebhookReceiver()
    try:
        url = receiver.route("/hook", secret=secret, take=pushed.append)
        body = b'{"resourceType": "Bundle"}'
        now = datetime.now(UTC)
        headers = {
            "webhook-id": "msg-1",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign("msg-1", now, body.decode()),
            "overgang-sequence": "7",
            "overgang-kind": "handover",
        }
        with httpx.Client(timeout=5) as client:
            answers = [client.post(url, content=body, headers=headers).status_code for _ in "ab"]
            forged = client.post(url, content=body + b" ", headers=headers).status_code
    finally:
        receiver.close()

    assert answers == [204, 200]
    assert forged == 401
    assert pushed == [Pushed("msg-1", 7, "handover", body)]
