"""Sealing webhook secrets: the key configuration, and what a sealed secret does and refuses."""

from __future__ import annotations

import base64
import uuid

import pytest
from pydantic import ValidationError

from overgang.config import Settings
from overgang.delivery.secret_keys import (
    SecretKeyError,
    new_key,
    open_stored,
    parse_secret_keys,
)

ENDPOINT = uuid.UUID("6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b")


def test_the_first_key_seals_and_every_key_opens() -> None:
    k1 = new_key()
    old = parse_secret_keys(f"k1:{k1}")
    sealed_by_k1 = old.seal("whsec_x", endpoint_id=ENDPOINT)
    both = parse_secret_keys(f"k2:{new_key()}, k1:{k1}")

    sealed = both.seal("whsec_y", endpoint_id=ENDPOINT)

    assert (sealed.key_id, both.ids) == ("k2", ("k2", "k1"))
    assert both.open(sealed_by_k1, endpoint_id=ENDPOINT) == "whsec_x"
    assert both.open(sealed, endpoint_id=ENDPOINT) == "whsec_y"
    with pytest.raises(SecretKeyError, match="'k2' is not configured"):
        old.open(sealed, endpoint_id=ENDPOINT)


def test_a_sealed_secret_is_bound_to_its_endpoint_and_detects_tampering() -> None:
    keys = parse_secret_keys(f"k1:{new_key()}")
    sealed = keys.seal("whsec_x", endpoint_id=ENDPOINT)
    raw = bytearray(base64.b64decode(sealed.data))
    raw[-1] ^= 1

    with pytest.raises(SecretKeyError):
        keys.open(sealed, endpoint_id=uuid.uuid4())
    with pytest.raises(SecretKeyError):
        keys.open(
            type(sealed)(sealed.key_id, base64.b64encode(bytes(raw)).decode()),
            endpoint_id=ENDPOINT,
        )


def test_a_secret_from_before_sealing_is_used_as_stored_and_nothing_opens_without_keys() -> None:
    assert open_stored(None, key_id=None, data="whsec_clear", endpoint_id=ENDPOINT) == "whsec_clear"
    with pytest.raises(SecretKeyError, match="OVERGANG_SECRET_KEYS is not set"):
        open_stored(None, key_id="k1", data="AAAA", endpoint_id=ENDPOINT)


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("k1", "key-id:base64-key"),
        ("k 1:" + "A" * 44, "key-id:base64-key"),
        ("k1:not base64!", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "must be 32 bytes"),
        ("k1:{key},k1:{key}", "given twice"),
    ],
)
def test_a_bad_key_configuration_stops_start_up_without_echoing_the_key(
    spec: str, complaint: str
) -> None:
    key = new_key()

    with pytest.raises(ValidationError) as raised:
        Settings(secret_keys=spec.format(key=key))

    assert complaint in str(raised.value)
    assert key not in str(raised.value)
