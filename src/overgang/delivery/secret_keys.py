"""Webhook signing secrets at rest: sealed with AES-256-GCM under keys named by key id.

The keys come from `OVERGANG_SECRET_KEYS` ("k2:<base64 32 bytes>,k1:<...>"): the first seals
new secrets, every one of them opens stored ones, so a key can be replaced without downtime
(add the new key first, run `overgang secrets reencrypt`, then drop the old one). A sealed
secret is bound to its endpoint (the endpoint id is the associated data): a ciphertext copied
onto another endpoint's row does not open.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the size GCM is defined for; random, never reused in practice at this volume
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class SecretKeyError(ValueError):
    """A sealed secret cannot be opened: its key is not configured, or it was tampered with."""


@dataclass(frozen=True)
class Sealed:
    """A secret as stored: the id of the key that sealed it, and nonce + ciphertext in base64."""

    key_id: str
    data: str


class SecretKeys:
    """The configured keys, in order: the first seals, all open."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("no secret keys")
        self.current_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def seal(self, secret: str, *, endpoint_id: uuid.UUID) -> Sealed:
        nonce = secrets.token_bytes(NONCE_BYTES)
        data = self._ciphers[self.current_id].encrypt(
            nonce, secret.encode("utf-8"), endpoint_id.bytes
        )
        return Sealed(self.current_id, base64.b64encode(nonce + data).decode("ascii"))

    def open(self, sealed: Sealed, *, endpoint_id: uuid.UUID) -> str:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise SecretKeyError(f"secret key {sealed.key_id!r} is not configured")
        raw = base64.b64decode(sealed.data)
        try:
            clear = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], endpoint_id.bytes)
        except InvalidTag:
            raise SecretKeyError(
                f"a secret sealed under key {sealed.key_id!r} does not open"
            ) from None
        return clear.decode("utf-8")


def open_stored(
    keys: SecretKeys | None, *, key_id: str | None, data: str, endpoint_id: uuid.UUID
) -> str:
    """A stored secret in the clear: opened with its key, or as it is when stored before
    sealing existed (no key id)."""
    if key_id is None:
        return data
    if keys is None:
        raise SecretKeyError("OVERGANG_SECRET_KEYS is not set: stored secrets cannot be opened")
    return keys.open(Sealed(key_id, data), endpoint_id=endpoint_id)


def parse_secret_keys(spec: str) -> SecretKeys:
    """`k2:<base64>,k1:<base64>` → SecretKeys; errors never quote a key."""
    keys: list[tuple[str, bytes]] = []
    for item in (part.strip() for part in spec.split(",")):
        key_id, colon, encoded = item.partition(":")
        if not colon or not KEY_ID.fullmatch(key_id):
            raise ValueError(
                "must be comma-separated key-id:base64-key pairs (ids of letters, digits, - or _)"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError(f"key {key_id!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(
                f"key {key_id!r} must be {KEY_BYTES} bytes (base64 of 32 random bytes)"
            )
        if key_id in (known for known, _ in keys):
            raise ValueError(f"key id {key_id!r} is given twice")
        keys.append((key_id, key))
    return SecretKeys(keys)


@lru_cache(maxsize=4)
def secret_keys_from(spec: str) -> SecretKeys:
    """Parsed once per configuration (a sender opens a secret for every attempt)."""
    return parse_secret_keys(spec)


def new_key() -> str:
    """A fresh key in base64, for `overgang secrets new-key`."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
