"""Endpoint secrets and the Standard Webhooks signature headers.

The signature covers `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256, so a receiver can
check both the content and that the attempt is fresh. The inbox message id is the `webhook-id`: it
stays the same across retries and lets the receiver drop duplicates.
"""

from __future__ import annotations

import base64
import math
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's marker for a symmetric secret, not a secret
# The spec asks for 24 to 64 random bytes; 32 is the size of the HMAC-SHA256 digest itself.
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh endpoint signing secret: `whsec_` followed by 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signed_headers(*, secret: str, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers for sending `body`."""
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
    # The library signs text; decoding the exact bytes we send (our bodies are UTF-8 JSON) and
    # letting it encode them again as UTF-8 gives back the same bytes.
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=moment, data=body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
