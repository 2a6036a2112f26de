"""Operators unsticking delivery, as an operator would: a receiver that answers 410 and a new
endpoint, replays that say exactly what they queued, reactivation, and gauges an alert can
watch."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from overgang.cli import app as cli
from tests.api.conftest import Pusher, register
from tests.api.test_metrics import sample
from tests.conftest import TEST_SECRET_KEYS, Api
from tests.messages import example, with_fresh_ids
from tests.receiver import Receiver, loopback_receiver


@pytest.fixture
def operator(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    monkeypatch.setenv("OVERGANG_SECRET_KEYS", TEST_SECRET_KEYS)
    return CliRunner()


def kill_one_message(api: Api, pusher: Pusher) -> None:
    """A new message whose every attempt fails (the receiver answers 500): a dead letter."""
    api.send(with_fresh_ids(example("01-admission-STIN.json")))
    for seconds in (0, 13, 25):
        pusher.later(seconds)
        pusher.round()


def dead_then_gone(api: Api, pusher: Pusher, old: Receiver) -> None:
    """Two dead letters at the old endpoint, then it answers 410 to a third message."""
    kill_one_message(api, pusher)
    kill_one_message(api, pusher)
    api.send(with_fresh_ids(example("01-admission-STIN.json")))
    pusher.round()
    old.wait_for(7)


def answers(*statuses: int) -> Any:
    remaining = iter(statuses)
    return lambda _: (next(remaining, 200), {})


def test_after_a_410_and_a_new_endpoint_the_old_dead_letters_replay_to_the_new_one(
    api: Api, pusher: Pusher, operator: CliRunner
) -> None:
    with loopback_receiver(answers(*[500] * 6, 410)) as old, loopback_receiver() as new:
        register(api, old.url)
        dead_then_gone(api, pusher, old)
        register(api, new.url)
        replayed = operator.invoke(cli, ["deliveries", "replay", "--municipality", "0851"])
        for _ in range(3):  # one episode: its messages go one after another, in order
            pusher.round()
        arrived = new.wait_for(3)
        again = operator.invoke(cli, ["deliveries", "replay", "--municipality", "0851"])

    assert replayed.exit_code == 0, replayed.output
    lines = replayed.output.splitlines()
    assert lines[-1] == (
        "3 queued; 0 already-pending; 0 already-delivered; 0 no-active-endpoint; 0 not-found"
    )
    new_endpoint = api.client.get("/api/v1/webhooks", headers=api.auth(api.tokens.aalborg)).json()
    assert {line.split("\t")[3] for line in lines[1:-1]} == {new_endpoint[1]["id"]}
    inbox = {item["id"] for item in api.inbox().json()["items"]}
    assert {request.headers["webhook-id"] for request in arrived} == inbox
    states = sorted(delivery.state for delivery in pusher.deliveries())
    assert states == ["delivered"] * 3 + ["rerouted"] * 3
    # Nothing dead or cancelled is left to replay: a second replay queues nothing.
    assert again.output.splitlines()[-1].startswith("0 queued;")


def test_the_municipality_replays_an_old_dead_letter_through_the_api_to_its_new_endpoint(
    api: Api, pusher: Pusher
) -> None:
    with loopback_receiver(answers(*[500] * 6, 410)) as old, loopback_receiver() as new:
        register(api, old.url)
        dead_then_gone(api, pusher, old)
        dead = next(d for d in pusher.deliveries() if d.state == "dead")
        nowhere = api.client.post(
            f"/api/v1/deliveries/{dead.id}/replay", headers=api.auth(api.tokens.aalborg)
        )
        created = register(api, new.url)
        replayed = api.client.post(
            f"/api/v1/deliveries/{dead.id}/replay", headers=api.auth(api.tokens.aalborg)
        )
        pusher.round()
        [request] = new.wait_for(1)
        twice = api.client.post(
            f"/api/v1/deliveries/{dead.id}/replay", headers=api.auth(api.tokens.aalborg)
        )

    assert nowhere.status_code == 422  # no active endpoint yet: said so, nothing changed
    assert replayed.status_code == 200, replayed.text
    body = replayed.json()
    assert (body["outcome"], body["state"], body["replayed_from"]) == (
        "queued",
        "pending",
        str(dead.id),
    )
    assert body["endpoint_id"] == created["id"] and body["id"] != str(dead.id)
    assert request.headers["webhook-id"] == str(dead.inbox_message_id)
    # Replayed again once delivered: reported as delivered, not queued again.
    assert (twice.json()["outcome"], twice.json()["state"]) == ("already-delivered", "delivered")
    assert len(new.received) == 1


def test_a_replay_reports_each_delivery_and_one_that_cannot_be_replayed_stops_no_other(
    api: Api, pusher: Pusher, operator: CliRunner
) -> None:
    with loopback_receiver(answers(500, 500, 500)) as receiver:
        register(api, receiver.url)
        kill_one_message(api, pusher)
        api.send(with_fresh_ids(example("01-admission-STIN.json")))
        pusher.round()  # delivered at once
        receiver.wait_for(4)
    dead, delivered = pusher.deliveries()
    unknown = "00000000-0000-4000-8000-000000000000"

    result = operator.invoke(
        cli,
        ["deliveries", "replay", "--id", str(dead.id), "--id", unknown, "--id", str(delivered.id)],
    )

    assert result.exit_code == 1  # one could not be replayed: the others were
    assert result.output.splitlines() == [
        "delivery\toutcome\tnow_carried_by\tendpoint",
        f"{dead.id}\tqueued\t{dead.id}\t{dead.endpoint_id}",
        f"{unknown}\tnot-found\t-\t-",
        f"{delivered.id}\talready-delivered\t{delivered.id}\t{delivered.endpoint_id}",
        "1 queued; 0 already-pending; 1 already-delivered; 0 no-active-endpoint; 1 not-found",
    ]
    assert [d.state for d in pusher.deliveries()] == ["pending", "delivered"]


def test_a_bulk_replay_without_any_active_endpoint_reports_each_and_changes_nothing(
    api: Api, pusher: Pusher, operator: CliRunner
) -> None:
    with loopback_receiver(answers(*[500] * 6, 410)) as old:
        register(api, old.url)
        dead_then_gone(api, pusher, old)

    result = operator.invoke(cli, ["deliveries", "replay", "--municipality", "851"])

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "0 queued; 0 already-pending; 0 already-delivered; 3 no-active-endpoint; 0 not-found"
    )
    assert sorted(d.state for d in pusher.deliveries()) == ["cancelled", "dead", "dead"]


def test_a_disabled_endpoint_is_reactivated_through_the_api_and_the_cli(
    api: Api, pusher: Pusher, operator: CliRunner
) -> None:
    with loopback_receiver(answers(410)) as receiver:
        created = register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        receiver.wait_for(1)
        reactivated = api.client.post(
            f"/api/v1/webhooks/{created['id']}/reactivate", headers=api.auth(api.tokens.aalborg)
        )
        cancelled = next(d for d in pusher.deliveries() if d.state == "cancelled")
        replayed = operator.invoke(cli, ["deliveries", "replay", "--id", str(cancelled.id)])
        api.send(with_fresh_ids(example("01-admission-STIN.json")))
        pusher.round()
        pusher.round()  # the second message of the episode waits for the first
        receiver.wait_for(3)
        operator_too = operator.invoke(cli, ["webhook", "reactivate", "--id", created["id"]])

    assert reactivated.status_code == 200, reactivated.text
    body = reactivated.json()
    assert (body["active"], body["health"], body["disabled_reason"]) == (True, "healthy", None)
    assert replayed.exit_code == 0, replayed.output
    assert [d.state for d in pusher.deliveries()] == ["delivered", "delivered"]
    assert (operator_too.exit_code, operator_too.output) == (
        0,
        f"endpoint {created['id']} active (healthy)\n",
    )


def test_another_municipality_cannot_reactivate_an_endpoint(api: Api) -> None:
    created = register(api, "http://127.0.0.1:9/hook")

    response = api.client.post(
        f"/api/v1/webhooks/{created['id']}/reactivate", headers=api.auth(api.tokens.copenhagen)
    )

    assert response.status_code == 404


def test_outbox_gauges_read_zero_when_empty_and_dead_letters_have_a_count_and_an_age(
    api: Api, pusher: Pusher
) -> None:
    empty = api.client.get("/metrics").text
    with loopback_receiver(answers(500, 500, 500)) as receiver:
        register(api, receiver.url)
        kill_one_message(api, pusher)
        receiver.wait_for(3)
    stuck = api.client.get("/metrics").text

    for name in (
        "overgang_outbox_pending",
        "overgang_outbox_oldest_pending_seconds",
        "overgang_outbox_dead",
        "overgang_outbox_oldest_dead_seconds",
    ):
        for municipality in ("0851", "0101"):
            assert f'{name}{{municipality="{municipality}"}} 0.0' in empty, (name, municipality)
    assert sample(stuck, "overgang_outbox_pending", municipality="0851") == 0
    assert sample(stuck, "overgang_outbox_dead", municipality="0851") == 1
    assert sample(stuck, "overgang_outbox_oldest_dead_seconds", municipality="0851") > 0
    assert sample(stuck, "overgang_outbox_dead", municipality="0101") == 0


def test_a_rerouted_delivery_replayed_after_its_endpoint_is_reactivated_goes_there_again(
    api: Api, pusher: Pusher, operator: CliRunner
) -> None:
    with loopback_receiver(answers(*[500] * 6, 410)) as old, loopback_receiver() as new:
        first = register(api, old.url)
        dead_then_gone(api, pusher, old)
        second = register(api, new.url)
        operator.invoke(cli, ["deliveries", "replay", "--municipality", "0851"])
        api.client.delete(
            f"/api/v1/webhooks/{second['id']}", headers=api.auth(api.tokens.aalborg)
        )  # the new endpoint's copies are cancelled
        api.client.post(
            f"/api/v1/webhooks/{first['id']}/reactivate", headers=api.auth(api.tokens.aalborg)
        )
        rerouted = next(d for d in pusher.deliveries() if d.state == "rerouted")
        result = operator.invoke(cli, ["deliveries", "replay", "--id", str(rerouted.id)])
        pusher.round()
        old.wait_for(8)

    assert result.output.splitlines()[1] == (f"{rerouted.id}\tqueued\t{rerouted.id}\t{first['id']}")
    assert old.received[-1].headers["webhook-id"] == str(rerouted.inbox_message_id)
    assert not new.received
