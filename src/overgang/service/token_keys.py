"""Overgang's own keys, which sign the access tokens it issues and verify them on every request.

In production the key comes from `OVERGANG_SIGNING_KEY_FILE` (a PEM private key the operator
keeps with the other secrets; rotate by deploying a new file: tokens signed with the old key die
within the access-token lifetime). Without it a P-256 key is generated on first use and kept in
the database's `signing_keys` table, so every process on that database signs and verifies with
the same key. That is for development and small sites: the private key then lies in the
database, and a database backup can mint tokens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.storage import clients
from overgang.storage.db import transaction
from overgang.storage.models import SigningKey

logger = logging.getLogger("overgang.oauth")

# RS256 for RSA keys and ES256 for P-256: what every JOSE library verifies. The assertion
# algorithms offered to clients (RS384, ES384) are the SMART ones; these only Overgang reads.
ALGORITHMS = {"RSA": "RS256", "EC": "ES256"}
# An unknown kid reloads the keys from the database at most this often (another process may
# have generated the key first); an attacker's made-up kids cannot turn into queries.
RELOAD_EVERY_SECONDS = 10.0


class TokenKeys:
    """The key that signs, and every key that verifies (the database may hold more than one)."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._signer: ECKey | RSAKey | None = None
        self._verifiers = KeySet([])

    def signer(self, *, now: datetime) -> tuple[ECKey | RSAKey, str]:
        """The signing key and its algorithm."""
        if self._signer is None:
            self._load(now=now)
        assert self._signer is not None
        return self._signer, ALGORITHMS[self._signer.key_type]

    def verifiers(self, *, kid: str, now: datetime) -> KeySet:
        """The public keys, reloaded first when none has `kid` (and no reload was recent)."""
        if self._signer is None or (
            not any(key.kid == kid for key in self._verifiers.keys)
            and self._settings.signing_key_file is None
            and self._monotonic() - (self._loaded_at or 0.0) >= RELOAD_EVERY_SECONDS
        ):
            self._load(now=now)
        return self._verifiers

    def public_jwks(self, *, now: datetime) -> dict[str, Any]:
        """The JWKS published at /.well-known/jwks.json."""
        self.signer(now=now)
        published = []
        for key in self._verifiers.keys:
            public = key.as_dict(private=False)
            public.update(use="sig", alg=ALGORITHMS[key.key_type])
            published.append(public)
        return {"keys": published}

    def _load(self, *, now: datetime) -> None:
        with self._lock:
            if self._settings.signing_key_file is not None:
                keys = [self._configured_key()]
            else:
                keys = self._database_keys(now=now)
            # The oldest-named key signs, so that processes which raced to generate one agree.
            self._signer = keys[0]
            self._verifiers = KeySet(list(keys))
            self._loaded_at = self._monotonic()

    def _configured_key(self) -> ECKey | RSAKey:
        path = self._settings.signing_key_file
        assert path is not None
        pem = path.read_bytes()
        kid = self._settings.signing_key_id
        parameters: KeyParameters | None = {"kid": kid} if kid else None
        key: ECKey | RSAKey
        try:
            key = ECKey.import_key(pem, parameters)
        except JoseError:
            key = RSAKey.import_key(pem, parameters)
        if not key.is_private or (isinstance(key, ECKey) and key.curve_name != "P-256"):
            raise ValueError(f"{path} must hold an EC P-256 or RSA private key in PEM")
        key.ensure_kid()  # by default the key's RFC 7638 thumbprint
        return key

    def _database_keys(self, *, now: datetime) -> list[ECKey | RSAKey]:
        with transaction(self._sessions) as session:
            stored = clients.signing_keys(session=session)
        if not stored:
            generated = ECKey.generate_key("P-256", auto_kid=True)
            logger.warning(
                "no OVERGANG_SIGNING_KEY_FILE: generated an access-token signing key and kept "
                "it in the database (development only)"
            )
            with transaction(self._sessions) as session:
                clients.add_signing_key(
                    session=session,
                    key=SigningKey(
                        kid=generated.kid,
                        private_jwk=generated.as_dict(private=True),
                        created_at=now,
                    ),
                )
            with transaction(self._sessions) as session:
                stored = clients.signing_keys(session=session)
        return [ECKey.import_key(dict(row.private_jwk)) for row in stored]
