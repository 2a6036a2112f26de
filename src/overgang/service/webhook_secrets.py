"""Endpoint signing secrets: issued sealed, rotated with an overlap, resealed under the current
key, and checked before a server or sender starts. The clear secret exists only in the answer
to its municipality (shown once) and, for a moment, in the sender that signs with it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.secret_keys import SecretKeyError, SecretKeys, open_stored
from overgang.delivery.signing import new_signing_secret, public_key_of
from overgang.delivery.states import SigningScheme
from overgang.errors import OvergangError
from overgang.storage import deliveries as delivery_store
from overgang.storage.db import transaction
from overgang.storage.models import WebhookEndpoint

log = logging.getLogger("overgang.delivery")

# Long enough for a municipality to deploy its new secret; a rotation cannot keep an old
# (perhaps leaked) secret signing for longer than this.
MAX_OVERLAP = timedelta(days=7)


class SecretKeysMissing(OvergangError):
    """Webhook secrets cannot be sealed or opened: OVERGANG_SECRET_KEYS is unset or lacks a key."""

    status = 503
    title = "Service not configured"
    issue_code = "transient"


def keys_of(settings: Settings) -> SecretKeys:
    keys = settings.keys_for_secrets
    if keys is None:
        raise SecretKeysMissing(
            "webhook secrets cannot be stored: OVERGANG_SECRET_KEYS is not set (see README)"
        )
    return keys


def issue_secret(*, endpoint: WebhookEndpoint, scheme: SigningScheme, keys: SecretKeys) -> str:
    """A fresh secret of `scheme`, sealed onto the endpoint; returns what its municipality is
    shown once: the `whsec_` secret, or for ed25519 the `whpk_` public key."""
    secret = new_signing_secret(scheme)
    sealed = keys.seal(secret, endpoint_id=endpoint.id)
    endpoint.scheme = scheme
    endpoint.sealed_secret, endpoint.secret_key_id = sealed.data, sealed.key_id
    endpoint.public_key = public_key_of(secret)
    return endpoint.public_key or secret


def rotate_secret(
    *, endpoint: WebhookEndpoint, overlap: timedelta, keys: SecretKeys, now: datetime
) -> str:
    """A new secret of the endpoint's scheme; the old one also signs for `overlap` (0: not at
    all). A secret replaced during an earlier overlap is dropped at once."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise ValueError(f"the overlap must be between 0 and {MAX_OVERLAP.days} days")
    previous = (endpoint.secret_key_id, endpoint.sealed_secret)
    shown = issue_secret(endpoint=endpoint, scheme=SigningScheme(endpoint.scheme), keys=keys)
    if overlap:
        endpoint.previous_secret_key_id, endpoint.previous_sealed_secret = previous
        endpoint.previous_secret_until = now + overlap
    else:
        _forget_previous(endpoint)
    return shown


def _forget_previous(endpoint: WebhookEndpoint) -> None:
    endpoint.previous_secret_key_id = None
    endpoint.previous_sealed_secret = None
    endpoint.previous_secret_until = None


@dataclass(frozen=True)
class Resealed:
    """What `reencrypt` did: secrets sealed under `key_id`, of them `were_clear` in the clear."""

    key_id: str
    secrets: int
    were_clear: int


def reencrypt(*, sessions: sessionmaker[Session], settings: Settings, now: datetime) -> Resealed:
    """Seal every stored secret (current and, during an overlap, previous) under the current
    key, in one transaction: a secret that does not open leaves everything as it was."""
    keys = keys_of(settings)
    with transaction(sessions) as session:
        return _reseal_all(session=session, keys=keys, now=now, only_clear=False)


def _reseal_all(*, session: Session, keys: SecretKeys, now: datetime, only_clear: bool) -> Resealed:
    count = clear = 0
    for endpoint in delivery_store.endpoints_with_secrets(session=session):
        if endpoint.previous_secret_until is not None and endpoint.previous_secret_until <= now:
            _forget_previous(endpoint)  # its overlap is over: nothing signs with it any more
        slots = [("secret_key_id", "sealed_secret")]
        if endpoint.previous_sealed_secret is not None:
            slots.append(("previous_secret_key_id", "previous_sealed_secret"))
        for key_attr, data_attr in slots:
            key_id = getattr(endpoint, key_attr)
            if only_clear and key_id is not None:
                continue
            try:
                secret = open_stored(
                    keys, key_id=key_id, data=getattr(endpoint, data_attr), endpoint_id=endpoint.id
                )
            except SecretKeyError as error:
                raise SecretKeysMissing(f"endpoint {endpoint.id}: {error}") from None
            sealed = keys.seal(secret, endpoint_id=endpoint.id)
            setattr(endpoint, key_attr, sealed.key_id)
            setattr(endpoint, data_attr, sealed.data)
            count += 1
            clear += key_id is None
    return Resealed(keys.current_id, count, clear)


def prepare_secrets(*, sessions: sessionmaker[Session], settings: Settings, now: datetime) -> None:
    """Before `serve` or `worker` starts: refuse when stored secrets could not be opened (no
    keys, or a key id no longer configured), and seal any still stored in the clear."""
    keys = settings.keys_for_secrets
    with transaction(sessions) as session:
        in_use = delivery_store.secret_key_ids_in_use(session=session)
        if not in_use:
            return
        if keys is None:
            raise SecretKeysMissing(
                f"{sum(in_use.values())} webhook secrets are stored but OVERGANG_SECRET_KEYS "
                "is not set: set it (see README, Push delivery)"
            )
        unknown = sorted(key_id for key_id in in_use if key_id and key_id not in keys.ids)
        if unknown:
            raise SecretKeysMissing(
                f"webhook secrets are sealed under key ids {', '.join(unknown)}, which "
                "OVERGANG_SECRET_KEYS does not hold: add them back, then run "
                "`overgang secrets reencrypt` before removing them"
            )
        if None in in_use:
            done = _reseal_all(session=session, keys=keys, now=now, only_clear=True)
            log.warning(
                "webhook secrets stored in the clear were sealed",
                extra={"count": done.secrets, "key_id": done.key_id},
            )
