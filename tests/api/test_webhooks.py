"""Push delivery through a real HTTP receiver on loopback: signed, retried, parked, replayed."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from typer.testing import CliRunner

from overgang.cli import app as cli
from overgang.config import Settings
from overgang.delivery.outbox import flag_unacknowledged
from overgang.service.worker import DeliveryWorker
from overgang.storage.db import create_db_engine, session_factory, transaction
from tests.api.conftest import Pusher, register
from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, example, resources, with_fresh_ids
from tests.receiver import Received, loopback_receiver


def test_a_message_is_pushed_signed_with_the_inbox_id_and_the_exact_bytes(
    api: Api, pusher: Pusher
) -> None:
    with loopback_receiver() as receiver:
        endpoint = register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))

        assert pusher.round() == 1
        request = receiver.wait_for(1)[0]

    item = api.inbox().json()["items"][0]
    assert request.headers["webhook-id"] == item["id"]
    assert request.body == api.inbox_message(item["id"], fhir=True).content
    assert request.headers["overgang-sequence"] == "1"
    Webhook(endpoint["secret"]).verify(request.body, request.headers)  # raises when wrong
    assert item["status"] == "delivered"
    assert endpoint["secret"].startswith("whsec_")
    listed = api.client.get("/api/v1/webhooks", headers=api.auth(api.tokens.aalborg)).json()
    assert "secret" not in listed[0]


def test_a_failing_receiver_gets_retries_then_the_message_is_dead_and_can_be_replayed(
    api: Api, pusher: Pusher
) -> None:
    answers = iter([500, 503, 500, 200])
    with loopback_receiver(lambda _: (next(answers), {})) as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))

        pusher.round()
        assert pusher.round() == 0  # not due yet: the first retry waits about 10 s
        pusher.later(13)
        pusher.round()
        pusher.later(25)
        pusher.round()
        dead = pusher.deliveries()[0]
        listed = api.client.get(
            "/api/v1/deliveries?state=dead", headers=api.auth(api.tokens.aalborg)
        )
        replayed = api.client.post(
            f"/api/v1/deliveries/{dead.id}/replay", headers=api.auth(api.tokens.aalborg)
        )
        pusher.round()
        requests = receiver.wait_for(4)

    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 3, "HTTP 500")
    assert [d["id"] for d in listed.json()] == [str(dead.id)]
    assert replayed.json()["state"] == "pending"
    assert pusher.deliveries()[0].state == "delivered"
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # the same id on every retry
    assert [a.status_code for a in pusher.attempts()] == [500, 503, 500, 200]
    assert api.inbox().json()["items"][0]["status"] == "delivered"


def test_the_operator_lists_dead_deliveries_and_replays_a_municipality_s_dead_ones(
    api: Api, pusher: Pusher, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    with loopback_receiver(lambda _: (500, {})) as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        for seconds in (0, 13, 25):
            pusher.later(seconds)
            pusher.round()
    [dead] = pusher.deliveries()
    runner = CliRunner()

    listed = runner.invoke(cli, ["deliveries", "list", "--state", "dead", "--municipality", "851"])
    replayed = runner.invoke(cli, ["deliveries", "replay", "--municipality", "0851"])
    unknown = runner.invoke(cli, ["deliveries", "replay", "--municipality", "461"])

    assert listed.exit_code == 0, listed.output
    header, line = listed.output.splitlines()
    assert header == "id\tstate\tattempts\tnext_attempt_at\tlast_error\tinbox_message"
    assert line.split("\t") == [
        str(dead.id),
        "dead",
        "3",
        dead.next_attempt_at.isoformat(),
        "HTTP 500",
        str(dead.inbox_message_id),
    ]
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.splitlines() == [
        "delivery\toutcome\tnow_carried_by\tendpoint",
        f"{dead.id}\tqueued\t{dead.id}\t{dead.endpoint_id}",
        "1 queued; 0 already-pending; 0 already-delivered; 0 no-active-endpoint; 0 not-found",
    ]
    assert pusher.deliveries()[0].state == "pending"
    assert (unknown.exit_code, unknown.output) == (
        1,
        "error: municipality 461 is not registered\n",
    )


def test_retry_after_from_the_receiver_sets_the_next_attempt(api: Api, pusher: Pusher) -> None:
    with loopback_receiver(lambda _: (429, {"Retry-After": "120"})) as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        pusher.round()

    delivery = pusher.deliveries()[0]
    # Never before the time asked for; a little later, so workers do not come back at once.
    assert 119 <= (delivery.next_attempt_at - pusher.now).total_seconds() <= 120 * 1.2 + 1


def test_410_disables_the_endpoint_and_the_inbox_still_works(api: Api, pusher: Pusher) -> None:
    with loopback_receiver(lambda _: (410, {})) as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        api.send(example("02-discharge-plan.json"))
        pusher.round()
        received = len(receiver.received)

    endpoint = api.client.get("/api/v1/webhooks", headers=api.auth(api.tokens.aalborg)).json()[0]
    assert (endpoint["active"], endpoint["health"]) == (False, "disabled")
    assert received == 1
    assert [d.state for d in pusher.deliveries()] == ["cancelled"]
    assert len(api.inbox().json()["items"]) == 2


def test_a_redirect_is_a_failure_and_is_not_followed(api: Api, pusher: Pusher) -> None:
    with loopback_receiver(lambda r: (302, {"Location": "/elsewhere"})) as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        paths = [r.path for r in receiver.received]

    assert paths == ["/hook"]
    assert pusher.deliveries()[0].last_error == "HTTP 302"


def test_a_refused_message_holds_back_its_own_episode_but_not_others(
    api: Api, pusher: Pusher
) -> None:
    stin = example("01-admission-STIN.json")
    other = with_fresh_ids(stin)
    resources(other, "Encounter")[0]["episodeOfCare"][0]["identifier"]["value"] = "another-episode"

    def refuse_first_episode(request: Received) -> tuple[int, dict[str, str]]:
        return (500, {}) if EXAMPLE_EPISODE.encode() in request.body else (200, {})

    with loopback_receiver(refuse_first_episode) as receiver:
        register(api, receiver.url)
        api.send(stin)
        api.send(example("02-discharge-plan.json"))  # same episode, after the refused STIN
        api.send(other)
        pusher.round()
        first_round = [(r.headers["overgang-sequence"]) for r in receiver.wait_for(2)]

    states = {d.sequence: d.state for d in pusher.deliveries()}
    assert sorted(first_round) == ["1", "3"]  # the plan (2) waits behind the STIN (1)
    assert states == {1: "pending", 2: "pending", 3: "delivered"}


def test_an_endpoint_that_keeps_failing_is_marked_once(
    api: Api, pusher: Pusher, caplog: Any
) -> None:
    with loopback_receiver(lambda _: (500, {})) as receiver:
        register(api, receiver.url)
        for _ in range(3):
            api.send(with_fresh_ids(example("01-admission-STIN.json")))
            pusher.round()
            pusher.later(60)
        receiver.wait_for(3)

    endpoint = api.client.get("/api/v1/webhooks", headers=api.auth(api.tokens.aalborg)).json()[0]
    assert endpoint["health"] == "failing"
    assert [r.message for r in caplog.records].count("webhook endpoint health changed") == 1


def test_unsafe_webhook_urls_are_refused(api: Api) -> None:
    for url in (
        "http://example.org/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/",
        "ftp://x",
    ):
        response = api.client.post(
            "/api/v1/webhooks", json={"url": url}, headers=api.auth(api.tokens.aalborg)
        )
        assert response.status_code == 422, url
        assert response.headers["content-type"] == "application/problem+json"


def test_a_delivered_message_not_acknowledged_in_time_is_flagged_for_the_ward(
    api: Api, pusher: Pusher
) -> None:
    with loopback_receiver() as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        receiver.wait_for(1)
    with transaction(pusher.sessions) as session:
        early = flag_unacknowledged(session=session, settings=pusher.settings, now=pusher.now)
    with transaction(pusher.sessions) as session:
        late = flag_unacknowledged(
            session=session, settings=pusher.settings, now=pusher.now + timedelta(minutes=31)
        )

    assert (early, late) == (0, 1)
    episode = api.episode(EXAMPLE_EPISODE).json()
    assert episode["messages_to_municipality"][0]["follow_up_flagged_at"] is not None


def test_only_municipalities_manage_webhooks(api: Api) -> None:
    response = api.client.post(
        "/api/v1/webhooks",
        json={"url": "https://x.example/hook"},
        headers=api.auth(api.tokens.hospital),
    )
    assert response.status_code == 403


@pytest.mark.parametrize("lanes", [2, 1])
def test_a_stalled_receiver_holds_up_one_lane_not_other_messages(
    api: Api, settings: Settings, lanes: int
) -> None:
    stin = example("01-admission-STIN.json")
    other = with_fresh_ids(stin)
    resources(other, "Encounter")[0]["episodeOfCare"][0]["identifier"]["value"] = "another-episode"
    release = threading.Event()

    def stall_first_episode(request: Received) -> tuple[int, dict[str, str]]:
        if EXAMPLE_EPISODE.encode() in request.body:
            release.wait(10)
        return 200, {}

    engine = create_db_engine(settings.database_url)
    worker = DeliveryWorker(
        sessions=session_factory(engine),
        settings=settings.model_copy(
            update={"worker_lanes": lanes, "worker_poll_seconds": 0.05, "webhook_read_timeout": 10}
        ),
    )
    with loopback_receiver(stall_first_episode) as receiver:
        register(api, receiver.url)
        worker.start()
        try:
            api.send(stin)
            receiver.wait_for(1)  # the first lane's round now waits on the stalled receiver
            api.send(other)
            try:
                receiver.wait_for(2, timeout=3)
                overtook = True
            except AssertionError:
                overtook = False
        finally:
            release.set()
            worker.stop()
            engine.dispose()

    # One lane waits for the round it is in; with two the other message goes at once.
    assert overtook is (lanes > 1)
