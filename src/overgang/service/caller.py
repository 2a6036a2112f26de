"""Who is calling: an API client acting for one organisation, found from its bearer token."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain.ownership import owner_of
from overgang.domain.visibility import Scope
from overgang.errors import Forbidden, Unauthenticated
from overgang.storage import clients, partners
from overgang.storage.db import transaction
from overgang.storage.models import ApiClient, Organisation

TOKEN_PREFIX = "ovg_"  # noqa: S105 - a prefix that makes leaked tokens easy to scan for


@dataclass(frozen=True)
class Caller:
    client_id: uuid.UUID
    organisation_id: uuid.UUID
    kind: str  # hospital | municipality
    sor: str
    municipality_code: str | None
    # A hospital's episodes belong to this owner (its region, else itself); None for others.
    owner: str | None = None
    # A SMART access token's scopes; None for a static token, which has every scope of its role.
    scopes: frozenset[str] | None = None

    def require_hospital(self) -> str:
        """The hospital's owner, which scopes everything it sends and reads."""
        if self.kind != "hospital" or self.owner is None:
            raise Forbidden("only a hospital client may do this")
        return self.owner

    def require_municipality(self) -> None:
        if self.kind != "municipality":
            raise Forbidden("only a municipality client may do this")

    def scope(self) -> Scope:
        """Whose episodes this partner reads (profile §7): a municipality its residents', a
        hospital its owner's; any other caller is refused."""
        if self.kind == "municipality":
            return Scope.residents_of(self.organisation_id)
        return Scope.owned_by(self.require_hospital())


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, token: str, now: datetime | None = None) -> Caller:
    return _caller_of(session=session, token_hash=hash_token(token), now=now or datetime.now(UTC))


def _caller_of(*, session: Session, token_hash: str, now: datetime) -> Caller:
    found = partners.find_client_by_token_hash(session=session, token_hash=token_hash)
    if found is None:
        # A token replaced by `overgang client rotate` works until its overlap ends.
        found = clients.find_client_by_previous_token_hash(session=session, token_hash=token_hash)
        if found is not None and not _before(now, found[0].previous_token_until):
            found = None
    if found is None:
        raise Unauthenticated("the bearer token is unknown or revoked")
    if found[0].token_expires_at is not None and not _before(now, found[0].token_expires_at):
        raise Unauthenticated("the bearer token has expired")
    return caller_of(*found)


def caller_of(client: ApiClient, organisation: Organisation) -> Caller:
    """The caller an API client of `organisation` is."""
    return Caller(
        client_id=client.id,
        organisation_id=organisation.id,
        kind=organisation.kind,
        sor=organisation.sor,
        municipality_code=organisation.municipality_code,
        owner=owner_of(region=organisation.region, sor=organisation.sor)
        if organisation.kind == "hospital"
        else None,
    )


class CallerCache:
    """Callers found by their token's hash, remembered for `ttl_seconds` (0: not at all).

    Spares most requests a database round trip; the price is that a revoked token keeps working
    in a running process for up to `ttl_seconds`. Only tokens that authenticated are kept, so
    unknown tokens cannot fill it.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Caller | None:
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, token_hash: str, caller: Caller) -> None:
        if self.ttl_seconds <= 0:
            return
        now = self._clock()
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries = {
                    key: entry for key, entry in self._entries.items() if entry[0] > now
                }
                if len(self._entries) >= self._max_entries:
                    self._entries.clear()
            self._entries[token_hash] = (now + self.ttl_seconds, caller)


def _before(now: datetime, until: datetime | None) -> bool:
    return until is not None and now < until


def authenticate_cached(
    *,
    sessions: sessionmaker[Session],
    cache: CallerCache,
    token: str,
    now: datetime | None = None,
) -> Caller:
    """The caller of a bearer token: remembered for a few seconds, else looked up."""
    token_hash = hash_token(token)
    caller = cache.get(token_hash)
    if caller is None:
        with transaction(sessions) as session:
            caller = _caller_of(
                session=session, token_hash=token_hash, now=now or datetime.now(UTC)
            )
        cache.put(token_hash, caller)
    return caller


def smart_caller_cached(
    *, sessions: sessionmaker[Session], cache: CallerCache, client_id: uuid.UUID
) -> Caller:
    """The caller of a verified access token's client, while the client is not revoked.

    Looked up like a static token (remembered for the cache's few seconds), so a revoked
    client's access tokens stop working as soon as its static token would, not at their expiry.
    """
    key = f"smart:{client_id}"
    caller = cache.get(key)
    if caller is None:
        with transaction(sessions) as session:
            found = clients.find_client(session=session, client_id=client_id)
        if found is None or found[0].kind != "smart" or found[0].revoked_at is not None:
            raise Unauthenticated("the access token's client is unknown or revoked")
        caller = caller_of(*found)
        cache.put(key, caller)
    return caller
