"""Endpoint secrets and the Standard Webhooks signature headers.

The signature covers `{webhook-id}.{webhook-timestamp}.{body}`, so a receiver can check both
the content and that the attempt is fresh. The inbox message id is the `webhook-id`: it stays
the same across retries and lets the receiver drop duplicates.

Two schemes, as the spec names them: HMAC-SHA256 with a shared `whsec_` secret (`v1,`
signatures), and ed25519 with a `whsk_` private key that stays here while the municipality
holds only the `whpk_` public key (`v1a,` signatures). A secret's prefix says its scheme.
During a rotation's overlap the message is signed with the new and the old secret, and both
signatures go in `webhook-signature`, space-separated.
"""

from __future__ import annotations

import base64
import math
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from standardwebhooks.webhooks import Webhook

from overgang.delivery.states import SigningScheme

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's marker for a symmetric secret, not a secret
PRIVATE_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
# The spec asks for 24 to 64 random bytes; 32 is the size of the HMAC-SHA256 digest itself.
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh endpoint signing secret: `whsec_` followed by 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_signing_secret(scheme: SigningScheme) -> str:
    """A fresh secret of the scheme: `whsec_...` (HMAC) or `whsk_...` (an ed25519 private key)."""
    if scheme == SigningScheme.HMAC_SHA256:
        return new_secret()
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return PRIVATE_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def public_key_of(secret: str) -> str | None:
    """The `whpk_...` public key of an ed25519 secret; None for an HMAC secret."""
    if not secret.startswith(PRIVATE_KEY_PREFIX):
        return None
    public = _private_key(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(public).decode("ascii")


def _private_key(secret: str) -> Ed25519PrivateKey:
    raw = base64.b64decode(secret.removeprefix(PRIVATE_KEY_PREFIX), validate=True)
    return Ed25519PrivateKey.from_private_bytes(raw)


def signed_headers(
    *, secrets: Sequence[str], message_id: str, body: bytes, at: datetime
) -> dict[str, str]:
    """The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers for sending `body`,
    with one signature per secret (the current one first)."""
    if not secrets:
        raise ValueError("a webhook needs at least one signing secret")
    if not message_id or "." in message_id:
        # The id is one of the dot-separated parts of the signed content; a dot in it would let
        # two different (id, timestamp) pairs produce the same signed string.
        raise ValueError(f"webhook message id must be non-empty and contain no '.': {message_id!r}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the signing time must be timezone-aware")
    # The library stamps the datetime as UTC without converting it, so an aware +01:00 time
    # would be signed an hour off from the header we send: convert first.
    moment = at.astimezone(UTC)
    timestamp = math.floor(moment.timestamp())
    signatures = [
        _sign(secret, message_id=message_id, timestamp=timestamp, moment=moment, body=body)
        for secret in secrets
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def _sign(secret: str, *, message_id: str, timestamp: int, moment: datetime, body: bytes) -> str:
    if secret.startswith(PRIVATE_KEY_PREFIX):
        content = f"{message_id}.{timestamp}.".encode("ascii") + body
        signature = _private_key(secret).sign(content)
        return "v1a," + base64.b64encode(signature).decode("ascii")
    # The library signs text; decoding the exact bytes we send (our bodies are UTF-8 JSON) and
    # letting it encode them again as UTF-8 gives back the same bytes.
    return Webhook(secret).sign(msg_id=message_id, timestamp=moment, data=body.decode("utf-8"))
