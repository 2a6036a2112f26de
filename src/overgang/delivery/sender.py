"""One webhook delivery attempt: POST the signed bytes and say what happened.

Following Standard Webhooks: only a 2xx counts as delivered; a redirect is a failure (the
endpoint's URL should be updated instead, and following it would walk around the SSRF check);
410 Gone means the receiver wants no more messages, so the caller disables the endpoint. Network
trouble is an outcome to record and retry, never an exception.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

CONTENT_TYPE = "application/fhir+json"
USER_AGENT = "Overgang-Webhooks/1"
EXCERPT_CHARS = 500
# Enough bytes for 500 characters of any UTF-8 text; the rest of the response is never read, so
# a receiver cannot make us buffer a huge body.
EXCERPT_BYTES = 4 * EXCERPT_CHARS

_OWN_HEADERS = frozenset({"content-type", "accept-encoding"})

OutcomeKind = Literal["delivered", "failed", "gone"]


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt ended in, as recorded on the delivery attempt."""

    kind: OutcomeKind
    status_code: int | None
    duration_ms: float
    response_excerpt: str
    # "timeout", "connect-error", "redirect", or an httpx exception class name; None when the
    # status code says it all.
    error_class: str | None
    # The raw Retry-After header (429, 503), for `backoff.parse_retry_after`.
    retry_after: str | None


def make_client(*, connect_timeout: float, read_timeout: float) -> httpx.Client:
    """An HTTP client for webhook sends: bounded timeouts, no redirects, a connection pool."""
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        # Proxy and certificate settings come from the code, not from whatever environment
        # the worker happens to run in.
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


def send(
    *, client: httpx.Client, url: str, body: bytes, headers: Mapping[str, str]
) -> AttemptOutcome:
    """POST `body` with `headers` to `url` once and classify the result; never raises for I/O."""
    # Ours win, whatever case the caller spelled theirs in.
    request_headers = {
        **{name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS},
        "Content-Type": CONTENT_TYPE,
        # A compressed reply would be decompressed before we could cap it.
        "Accept-Encoding": "identity",
    }
    started = time.perf_counter()
    try:
        with client.stream(
            "POST", url, content=body, headers=request_headers, follow_redirects=False
        ) as response:
            excerpt = _read_excerpt(response)
    except httpx.TimeoutException:
        return _network_failure("timeout", started)
    except httpx.ConnectError:
        return _network_failure("connect-error", started)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return _network_failure(type(error).__name__, started)
    kind, error_class = classify_status(response.status_code)
    return AttemptOutcome(
        kind=kind,
        status_code=response.status_code,
        duration_ms=_elapsed_ms(started),
        response_excerpt=excerpt,
        error_class=error_class,
        retry_after=response.headers.get("Retry-After"),
    )


def classify_status(status_code: int) -> tuple[OutcomeKind, str | None]:
    """The outcome kind and error class for an HTTP status."""
    if 200 <= status_code < 300:
        return "delivered", None
    if status_code == 410:
        return "gone", None
    if 300 <= status_code < 400:
        return "failed", "redirect"
    return "failed", None


def _read_excerpt(response: httpx.Response) -> str:
    collected = bytearray()
    try:
        for chunk in response.iter_raw():
            collected += chunk
            if len(collected) >= EXCERPT_BYTES:
                break
    except httpx.HTTPError:
        # The status line has arrived, and it is what the receiver decided; a body that stalls
        # or breaks off afterwards does not undo a 2xx.
        pass
    return _decode(bytes(collected[:EXCERPT_BYTES]), response.charset_encoding)[:EXCERPT_CHARS]


def _decode(raw: bytes, charset: str | None) -> str:
    # The excerpt is for people reading the inbox: replace what does not decode, and a
    # character cut in half at the byte limit, rather than failing. A made-up or non-text
    # charset falls back to UTF-8 instead of hiding what the receiver said.
    if charset:
        try:
            return raw.decode(charset, errors="replace")
        except LookupError:
            pass
    return raw.decode("utf-8", errors="replace")


def _network_failure(error_class: str, started: float) -> AttemptOutcome:
    return AttemptOutcome(
        kind="failed",
        status_code=None,
        duration_ms=_elapsed_ms(started),
        response_excerpt="",
        error_class=error_class,
        retry_after=None,
    )


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
