"""The scopes a SMART Backend Services client may be granted (profile §8), in the SMART
`system/` form: each names one area of the API and whether it is read or written.

A role gets only what it needs: a hospital sends messages and reads its episodes; a
municipality reads and answers its inbox, reads episodes addressed to it and manages its
webhooks. A static token carries every scope of its role.
"""

from __future__ import annotations

import re

MESSAGES_WRITE = "system/overgang.messages.write"
EPISODES_READ = "system/overgang.episodes.read"
INBOX_READ = "system/overgang.inbox.read"
INBOX_WRITE = "system/overgang.inbox.write"
WEBHOOKS_READ = "system/overgang.webhooks.read"
WEBHOOKS_WRITE = "system/overgang.webhooks.write"

BY_ROLE: dict[str, tuple[str, ...]] = {
    "hospital": (MESSAGES_WRITE, EPISODES_READ),
    "municipality": (INBOX_READ, INBOX_WRITE, EPISODES_READ, WEBHOOKS_READ, WEBHOOKS_WRITE),
}
ALL = tuple(dict.fromkeys(scope for scopes in BY_ROLE.values() for scope in scopes))

# (method, path pattern, the scopes of which a token needs one). A route missing here is open
# to static tokens only: a SMART token is refused until someone decides which scope it needs.
_ROUTES: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = tuple(
    (method, re.compile(pattern), frozenset(scopes))
    for method, pattern, scopes in (
        # A hospital's messages, and a municipality's FHIR Acknowledgement of an inbox message.
        ("POST", r"/fhir/\$process-message", (MESSAGES_WRITE, INBOX_WRITE)),
        ("POST", r"/api/v1/events", (MESSAGES_WRITE,)),
        ("GET", r"/api/v1/episodes/[^/]+(/readiness)?", (EPISODES_READ,)),
        ("POST", r"/api/v1/episodes/[^/]+/readiness", (INBOX_WRITE,)),
        ("GET", r"/api/v1/inbox(/[^/]+)?", (INBOX_READ,)),
        ("POST", r"/api/v1/inbox/[^/]+/ack", (INBOX_WRITE,)),
        ("GET", r"/api/v1/(webhooks|deliveries)", (WEBHOOKS_READ,)),
        ("POST", r"/api/v1/webhooks", (WEBHOOKS_WRITE,)),
        ("DELETE", r"/api/v1/webhooks/[^/]+", (WEBHOOKS_WRITE,)),
        ("POST", r"/api/v1/deliveries/[^/]+/replay", (WEBHOOKS_WRITE,)),
    )
)


class ScopeRefused(ValueError):
    """The request asks for a scope the client may not have; the message says which."""


def grant(requested: str | None, *, role: str) -> tuple[str, ...]:
    """The scopes to grant for a token request: exactly those asked for, all allowed to the role.

    Refused rather than narrowed (RFC 6749 §3.3 allows either), so a partner that asks for too
    much learns it at once instead of at its first 403.
    """
    if not requested or not requested.strip():
        # RFC 6749 §3.3: without a default, a request with no scope fails as invalid_scope.
        raise ScopeRefused(f"ask for one or more of: {' '.join(BY_ROLE.get(role, ()))}")
    allowed = BY_ROLE.get(role, ())
    asked = tuple(dict.fromkeys(requested.split()))
    refused = [scope for scope in asked if scope not in allowed]
    if refused:
        # Only Overgang's own scope names are quoted back, never what the client made up.
        known = [scope for scope in refused if scope in ALL]
        what = f"not granted to a {role}: {' '.join(known)}" if known else "an unknown scope"
        raise ScopeRefused(f"{what}; a {role} may have: {' '.join(allowed)}")
    return asked


def required(method: str, path: str) -> frozenset[str]:
    """The scopes of which an access token needs one to call `method path` (none: no token may)."""
    for route_method, pattern, scopes in _ROUTES:
        if route_method == method and pattern.fullmatch(path):
            return scopes
    return frozenset()
