"""Webhook secrets: sealed at rest, resealed under a new key, rotated with an overlap, and
ed25519 endpoints whose municipality holds only the public key. Each push goes through a real
loopback receiver and is verified as the municipality would."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import SecretStr
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from typer.testing import CliRunner

from overgang.cli import app as cli
from overgang.delivery.secret_keys import (
    Sealed,
    SecretKeyError,
    new_key,
    parse_secret_keys,
)
from overgang.storage.db import transaction
from overgang.storage.models import WebhookEndpoint
from tests.api.conftest import Pusher, register
from tests.conftest import TEST_SECRET_KEYS, Api
from tests.messages import example, with_fresh_ids
from tests.receiver import Received, loopback_receiver


def stored_endpoint(pusher: Pusher) -> WebhookEndpoint:
    with transaction(pusher.sessions) as session:
        return session.scalars(select(WebhookEndpoint)).one()


def signed_by(secret: str, request: Received) -> bool:
    """Whether `webhook-signature` holds the v1 signature `secret` makes of this request,
    computed by the standardwebhooks library (no timestamp tolerance: the test moves time)."""
    at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(
        msg_id=request.headers["webhook-id"], timestamp=at, data=request.body.decode("utf-8")
    )
    return expected in request.headers["webhook-signature"].split(" ")


def verify_v1a(public_key: str, request: Received) -> None:
    """The receiver's check of an ed25519 signature, per the spec: `{id}.{timestamp}.{body}`
    signed, `v1a,<base64>` in the header; raises InvalidSignature when none verifies."""
    key = Ed25519PublicKey.from_public_bytes(
        base64.b64decode(public_key.removeprefix("whpk_"), validate=True)
    )
    content = (
        f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
        + request.body
    )
    signatures = [
        base64.b64decode(item.removeprefix("v1a,"))
        for item in request.headers["webhook-signature"].split(" ")
        if item.startswith("v1a,")
    ]
    for signature in signatures:
        try:
            key.verify(signature, content)
            return
        except InvalidSignature:
            continue
    raise InvalidSignature(f"none of {len(signatures)} v1a signatures verifies")


def rotate(api: Api, endpoint_id: str, **body: Any) -> dict[str, Any]:
    response = api.client.post(
        f"/api/v1/webhooks/{endpoint_id}/rotate-secret",
        json=body or None,
        headers=api.auth(api.tokens.aalborg),
    )
    assert response.status_code == 200, response.text
    rotated: dict[str, Any] = response.json()
    return rotated


def test_the_stored_secret_is_sealed_and_opens_only_with_the_key(api: Api, pusher: Pusher) -> None:
    created = register(api, "http://127.0.0.1:9/hook")

    row = stored_endpoint(pusher)

    assert row.secret_key_id == "test1"
    assert created["secret"] not in row.sealed_secret
    assert created["secret"].removeprefix("whsec_") not in row.sealed_secret
    sealed = Sealed(row.secret_key_id, row.sealed_secret)
    keys = parse_secret_keys(TEST_SECRET_KEYS)
    assert keys.open(sealed, endpoint_id=row.id) == created["secret"]
    with pytest.raises(SecretKeyError):  # another key under the same id
        parse_secret_keys(f"test1:{new_key()}").open(sealed, endpoint_id=row.id)
    with pytest.raises(SecretKeyError):  # the same ciphertext copied onto another endpoint
        keys.open(sealed, endpoint_id=uuid.uuid4())


def test_reencrypt_under_a_new_key_keeps_deliveries_verifiable(
    api: Api, pusher: Pusher, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = f"k2:{new_key()}"
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    monkeypatch.setenv("OVERGANG_SECRET_KEYS", f"{new},{TEST_SECRET_KEYS}")
    with loopback_receiver() as receiver:
        created = register(api, receiver.url)

        result = CliRunner().invoke(cli, ["secrets", "reencrypt"])
        row = stored_endpoint(pusher)
        # The old key is gone: only the new one is configured for the sender.
        pusher.settings = pusher.settings.model_copy(update={"secret_keys": SecretStr(new)})
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        [request] = receiver.wait_for(1)

    assert result.exit_code == 0, result.output
    assert result.output == "1 secrets sealed under key k2 (0 of them were stored in the clear)\n"
    assert row.secret_key_id == "k2"
    Webhook(created["secret"]).verify(request.body, request.headers)


def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(
    api: Api, pusher: Pusher
) -> None:
    with loopback_receiver() as receiver:
        created = register(api, receiver.url)
        rotated = rotate(api, created["id"], overlap_seconds=3600)
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        pusher.later(3601)
        api.send(with_fresh_ids(example("01-admission-STIN.json")))
        pusher.round()
        during, after = receiver.wait_for(2)

    old, new = created["secret"], rotated["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated["previous_secret_until"] is not None
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(during.body, during.headers)  # a receiver holding either secret
    Webhook(old).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert signed_by(new, after)
    assert not signed_by(old, after)


def test_a_rotation_without_overlap_stops_the_old_secret_at_once_and_the_cli_rotates_too(
    api: Api, pusher: Pusher, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    monkeypatch.setenv("OVERGANG_SECRET_KEYS", TEST_SECRET_KEYS)
    with loopback_receiver() as receiver:
        created = register(api, receiver.url)
        result = CliRunner().invoke(
            cli, ["webhook", "rotate", "--id", created["id"], "--overlap", "0"]
        )
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        [request] = receiver.wait_for(1)

    assert result.exit_code == 0, result.output
    new = result.output.splitlines()[-1]
    assert "the old one no longer signs" in result.output
    Webhook(new).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(request.body, request.headers)


def test_an_ed25519_endpoint_is_verified_with_its_public_key_alone(
    api: Api, pusher: Pusher
) -> None:
    with loopback_receiver() as receiver:
        response = api.client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "scheme": "ed25519"},
            headers=api.auth(api.tokens.aalborg),
        )
        created = response.json()
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        [request] = receiver.wait_for(1)

    assert response.status_code == 201, response.text
    assert (created["scheme"], created["secret"]) == ("ed25519", None)
    assert created["public_key"].startswith("whpk_")
    assert request.headers["webhook-signature"].startswith("v1a,")
    verify_v1a(created["public_key"], request)
    tampered = Received(request.path, request.headers, request.body.replace(b"{", b"{ ", 1))
    with pytest.raises(InvalidSignature):
        verify_v1a(created["public_key"], tampered)
    row = stored_endpoint(pusher)
    assert row.sealed_secret != created["public_key"] and row.secret_key_id == "test1"
    listed = api.client.get("/api/v1/webhooks", headers=api.auth(api.tokens.aalborg)).json()
    assert listed[0]["public_key"] == created["public_key"]


def test_rotating_an_ed25519_endpoint_sends_both_key_pairs_signatures_during_the_overlap(
    api: Api, pusher: Pusher
) -> None:
    with loopback_receiver() as receiver:
        response = api.client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "scheme": "ed25519"},
            headers=api.auth(api.tokens.aalborg),
        )
        created = response.json()
        rotated = rotate(api, created["id"])  # the default overlap: 24 hours
        api.send(example("01-admission-STIN.json"))
        pusher.round()
        [request] = receiver.wait_for(1)

    assert rotated["public_key"] != created["public_key"]
    assert [item[:4] for item in request.headers["webhook-signature"].split(" ")] == [
        "v1a,",
        "v1a,",
    ]
    verify_v1a(rotated["public_key"], request)
    verify_v1a(created["public_key"], request)


def test_the_cli_registers_an_ed25519_endpoint_and_prints_its_public_key(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    monkeypatch.setenv("OVERGANG_SECRET_KEYS", TEST_SECRET_KEYS)
    monkeypatch.setenv("OVERGANG_ALLOW_INSECURE_WEBHOOKS", "1")

    result = CliRunner().invoke(
        cli,
        [
            "webhook", "add", "--municipality", "851", "--url", "http://127.0.0.1:9/hook",
            "--scheme", "ed25519",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "its public key follows" in result.output
    assert result.output.splitlines()[-1].startswith("whpk_")


def test_without_secret_keys_an_endpoint_is_refused_with_a_clear_answer(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    monkeypatch.delenv("OVERGANG_SECRET_KEYS", raising=False)

    result = CliRunner().invoke(
        cli, ["webhook", "add", "--municipality", "851", "--url", "http://127.0.0.1:9/hook"]
    )

    assert result.exit_code == 1
    assert "OVERGANG_SECRET_KEYS is not set" in result.output


def test_rotating_another_municipality_s_endpoint_is_not_found(api: Api) -> None:
    created = register(api, "http://127.0.0.1:9/hook")

    response = api.client.post(
        f"/api/v1/webhooks/{created['id']}/rotate-secret",
        headers=api.auth(api.tokens.copenhagen),
    )

    assert response.status_code == 404
