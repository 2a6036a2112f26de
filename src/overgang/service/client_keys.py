"""A SMART client's public keys: the JWKS stored at registration, or fetched from its https URL.

A fetched JWKS is kept for `jwks_cache_seconds` and fetched again when an assertion names a
`kid` it lacks (the client rotated its key), at most every `jwks_refetch_min_seconds`. The URL is
checked as a webhook URL is (overgang.delivery.targets), before registration and every fetch: a
partner must not make Overgang call into its own network.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from overgang.config import Settings
from overgang.delivery.targets import UnsafeWebhookUrl, check_webhook_url

MAX_JWKS_BYTES = 64 * 1024


class UnusableJwks(ValueError):
    """The JWKS cannot be used (not a JWKS, a private key in it, or not fetched); says why."""


def parse_jwks(document: Any) -> KeySet:
    """A JWKS of public RSA or EC keys, each with a `kid`; anything else is refused."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise UnusableJwks('a JWKS is a JSON object with a "keys" array')
    for key in document["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise UnusableJwks("every key must be an RSA or EC key (kty)")
        if "d" in key:
            raise UnusableJwks("the JWKS holds a private key: register the public keys only")
        if not isinstance(key.get("kid"), str) or not key["kid"]:
            raise UnusableJwks("every key needs a kid")
    try:
        return KeySet.import_key_set(cast(KeySetSerialization, document))
    except (JoseError, ValueError, TypeError) as error:
        raise UnusableJwks(f"a key does not parse: {type(error).__name__}") from None


def check_jwks_url(url: str, *, settings: Settings) -> None:
    """Raise UnusableJwks unless Overgang may fetch `url` (the webhook rules)."""
    try:
        check_webhook_url(
            url,
            allow_insecure_loopback=settings.allow_insecure_webhooks,
            allow_private=settings.allow_private_webhooks,
        )
    except UnsafeWebhookUrl as error:
        raise UnusableJwks(str(error)) from None


def fetch_jwks(url: str, *, settings: Settings) -> KeySet:
    check_jwks_url(url, settings=settings)
    try:
        with httpx.stream(
            "GET",
            url,
            timeout=settings.jwks_fetch_timeout,
            follow_redirects=False,  # a redirect could lead past the URL check
            headers={"Accept": "application/json"},
        ) as response:
            if response.status_code != 200:
                raise UnusableJwks(f"the JWKS URL answered {response.status_code}")
            content = b""
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > MAX_JWKS_BYTES:
                    raise UnusableJwks("the JWKS is too large")
    except httpx.HTTPError as error:
        raise UnusableJwks(f"the JWKS URL could not be fetched: {type(error).__name__}") from None
    try:
        document = json.loads(content)
    except ValueError:
        raise UnusableJwks("the JWKS URL did not answer JSON") from None
    return parse_jwks(document)


class ClientKeys:
    """Fetched JWKS of SMART clients, by client id, for one process."""

    def __init__(
        self,
        *,
        settings: Settings,
        monotonic: Callable[[], float] = time.monotonic,
        fetch: Callable[[str], KeySet] | None = None,
    ) -> None:
        self._settings = settings
        self._monotonic = monotonic
        self._fetch = fetch or (lambda url: fetch_jwks(url, settings=settings))
        self._fetched: dict[tuple[uuid.UUID, str], tuple[float, KeySet]] = {}
        self._lock = threading.Lock()

    def key_set(self, *, client_id: uuid.UUID, url: str, kid: str) -> KeySet:
        """The client's keys from `url`, fetched again when stale or lacking `kid`."""
        now = self._monotonic()
        cached = self._fetched.get((client_id, url))
        if cached is not None:
            fetched_at, keys = cached
            fresh = now - fetched_at < self._settings.jwks_cache_seconds
            known = any(key.kid == kid for key in keys.keys)
            if fresh and (known or now - fetched_at < self._settings.jwks_refetch_min_seconds):
                return keys
        keys = self._fetch(url)
        with self._lock:
            self._fetched[(client_id, url)] = (now, keys)
        return keys
