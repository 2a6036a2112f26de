"""Who is calling: an API client acting for one organisation, found from its bearer token."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain.ownership import owner_of
from overgang.errors import Forbidden, Unauthenticated
from overgang.storage import partners
from overgang.storage.db import transaction

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

    def require_hospital(self) -> str:
        """The hospital's owner, which scopes everything it sends and reads."""
        if self.kind != "hospital" or self.owner is None:
            raise Forbidden("only a hospital client may do this")
        return self.owner

    def require_municipality(self) -> None:
        if self.kind != "municipality":
            raise Forbidden("only a municipality client may do this")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, token: str) -> Caller:
    return _caller_of(session=session, token_hash=hash_token(token))


def _caller_of(*, session: Session, token_hash: str) -> Caller:
    found = partners.find_client_by_token_hash(session=session, token_hash=token_hash)
    if found is None:
        raise Unauthenticated("the bearer token is unknown or revoked")
    client, organisation = found
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


def authenticate_cached(
    *, sessions: sessionmaker[Session], cache: CallerCache, token: str
) -> Caller:
    """The caller of a bearer token: remembered for a few seconds, else looked up."""
    token_hash = hash_token(token)
    caller = cache.get(token_hash)
    if caller is None:
        with transaction(sessions) as session:
            caller = _caller_of(session=session, token_hash=token_hash)
        cache.put(token_hash, caller)
    return caller
