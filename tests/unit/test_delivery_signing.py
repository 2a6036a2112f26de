"""Standard Webhooks signature headers, checked with the standardwebhooks library's verifier."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from overgang.delivery.signing import (
    new_secret,
    new_signing_secret,
    public_key_of,
    signed_headers,
)
from overgang.delivery.states import SigningScheme

BODY = b'{"resourceType":"Bundle","id":"7f0c","note":"Forl\xc3\xb8b \xc3\xa6\xc3\xb8\xc3\xa5"}'
MESSAGE_ID = "3b6f2a9e-1c4d-4e8f-9a0b-5d6c7e8f9a0b"


def test_a_new_secret_is_whsec_and_32_random_bytes_in_base64() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_the_receivers_library_accepts_our_headers() -> None:
    secret = new_secret()
    at = datetime.now(UTC)

    headers = signed_headers(secrets=[secret], message_id=MESSAGE_ID, body=BODY, at=at)

    assert headers["webhook-id"] == MESSAGE_ID
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    Webhook(secret).verify(BODY, headers)


def test_a_copenhagen_winter_time_still_signs_the_utc_timestamp() -> None:
    secret = new_secret()
    at = datetime.now(UTC).astimezone(timezone(timedelta(hours=1)))

    headers = signed_headers(secrets=[secret], message_id=MESSAGE_ID, body=BODY, at=at)

    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    Webhook(secret).verify(BODY, headers)


def test_a_changed_body_fails_verification() -> None:
    secret = new_secret()
    headers = signed_headers(
        secrets=[secret], message_id=MESSAGE_ID, body=BODY, at=datetime.now(UTC)
    )

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"7f0c", b"7f0d"), headers)


def test_another_endpoints_secret_fails_verification() -> None:
    headers = signed_headers(
        secrets=[new_secret()], message_id=MESSAGE_ID, body=BODY, at=datetime.now(UTC)
    )

    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_a_naive_signing_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        signed_headers(
            secrets=[new_secret()], message_id=MESSAGE_ID, body=BODY, at=datetime(2026, 3, 2, 9)
        )


@pytest.mark.parametrize("message_id", ["", "abc.def"])
def test_a_message_id_that_would_blur_the_signed_content_is_refused(message_id: str) -> None:
    with pytest.raises(ValueError, match="message id"):
        signed_headers(
            secrets=[new_secret()], message_id=message_id, body=BODY, at=datetime.now(UTC)
        )


def test_during_a_rotation_both_secrets_sign_the_current_first() -> None:
    new, old = new_secret(), new_secret()

    headers = signed_headers(
        secrets=[new, old], message_id=MESSAGE_ID, body=BODY, at=datetime.now(UTC)
    )

    only_new = signed_headers(secrets=[new], message_id=MESSAGE_ID, body=BODY, at=datetime.now(UTC))
    first, second = headers["webhook-signature"].split(" ")
    assert first == only_new["webhook-signature"]
    assert second.startswith("v1,")
    Webhook(old).verify(BODY, headers)


def test_an_ed25519_secret_signs_v1a_over_id_timestamp_and_body() -> None:
    secret = new_signing_secret(SigningScheme.ED25519)
    public_key = public_key_of(secret)
    assert secret.startswith("whsk_") and public_key is not None

    headers = signed_headers(
        secrets=[secret], message_id=MESSAGE_ID, body=BODY, at=datetime.now(UTC)
    )

    scheme, signature = headers["webhook-signature"].split(",", 1)
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
    signed = f"{MESSAGE_ID}.{headers['webhook-timestamp']}.".encode() + BODY
    assert scheme == "v1a"
    key.verify(base64.b64decode(signature), signed)  # raises when wrong
    with pytest.raises(InvalidSignature):
        key.verify(base64.b64decode(signature), signed + b" ")
    assert public_key_of(new_secret()) is None
