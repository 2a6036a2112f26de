"""Managing webhook endpoints and replaying deliveries: for the municipality's API (the
functions that take `caller`) and for the operator's CLI (a municipality named by its code).
Each call is one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.outbox import disable_endpoint, reactivate_endpoint
from overgang.delivery.secret_keys import SecretKeys
from overgang.delivery.states import DeliveryState, EndpointHealth, ReplayOutcome, SigningScheme
from overgang.delivery.targets import UnsafeWebhookUrl, check_webhook_url
from overgang.errors import NotFound, Unprocessable
from overgang.service.audit import AuditContext, audited
from overgang.service.caller import Caller
from overgang.service.replaying import replay_deliveries
from overgang.service.webhook_results import DeliveryStatus, Endpoint, ReplayResult
from overgang.service.webhook_secrets import issue_secret, keys_of, rotate_secret
from overgang.storage import deliveries as delivery_store
from overgang.storage.db import transaction
from overgang.storage.models import Organisation, WebhookEndpoint
from overgang.storage.partners import find_municipality

# The operator's filters: "failing" is a pending delivery that has been tried at least once.
OPERATOR_DELIVERY_FILTERS = {
    "pending": (DeliveryState.PENDING,),
    "failing": (DeliveryState.PENDING,),
    "dead": (DeliveryState.DEAD,),
    "delivered": (DeliveryState.DELIVERED,),
    "cancelled": (DeliveryState.CANCELLED,),
    "rerouted": (DeliveryState.REROUTED,),
}


def register_endpoint(
    *,
    sessions: sessionmaker[Session],
    municipality: str,
    url: str,
    settings: Settings,
    now: datetime,
    scheme: SigningScheme = SigningScheme.HMAC_SHA256,
) -> tuple[Endpoint, str]:
    """A new active endpoint of the municipality with this code, and what verifies its
    signatures: the `whsec_` secret, or for ed25519 the `whpk_` public key."""
    with transaction(sessions) as session:
        return _add_endpoint(
            session=session,
            municipality=_municipality_named(session=session, code=municipality),
            url=url,
            settings=settings,
            now=now,
            scheme=scheme,
        )


def rotate(
    *,
    sessions: sessionmaker[Session],
    endpoint_id: uuid.UUID,
    overlap: timedelta,
    settings: Settings,
    now: datetime,
) -> tuple[Endpoint, str]:
    """A new secret for an endpoint (the old one also signs for `overlap`), and what verifies
    it: shown this once."""
    keys = keys_of(settings)
    with transaction(sessions) as session:
        endpoint = _endpoint(session=session, endpoint_id=endpoint_id, municipality_id=None)
        shown = _rotate(endpoint=endpoint, overlap=overlap, keys=keys, now=now)
        return Endpoint.of(endpoint), shown


def reactivate(
    *, sessions: sessionmaker[Session], endpoint_id: uuid.UUID, now: datetime
) -> Endpoint:
    """Push to a disabled endpoint again (after a 410 the receiver is back, or a mistake)."""
    with transaction(sessions) as session:
        endpoint = _endpoint(session=session, endpoint_id=endpoint_id, municipality_id=None)
        reactivate_endpoint(endpoint=endpoint, now=now)
        return Endpoint.of(endpoint)


def list_endpoints(*, sessions: sessionmaker[Session], municipality: str) -> list[Endpoint]:
    """The endpoints of the municipality with this code, oldest first."""
    with transaction(sessions) as session:
        found = _municipality_named(session=session, code=municipality)
        return _endpoints_of(session=session, municipality_id=found.id)


def list_deliveries(
    *,
    sessions: sessionmaker[Session],
    state: str | None,
    municipality: str | None,
    limit: int,
) -> list[DeliveryStatus]:
    """The outbox for the operator, filtered by one of OPERATOR_DELIVERY_FILTERS."""
    with transaction(sessions) as session:
        found = _municipality_named(session=session, code=municipality) if municipality else None
        rows = delivery_store.list_deliveries(
            session=session,
            states=OPERATOR_DELIVERY_FILTERS[state] if state else None,
            municipality_id=found.id if found else None,
            limit=limit,
        )
        if state == "failing":
            rows = [row for row in rows if row.attempts > 0]
        return [DeliveryStatus.of(row) for row in rows]


def replay(
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    delivery_ids: list[uuid.UUID] | None = None,
    municipality: str | None = None,
    since: datetime | None = None,
) -> list[ReplayResult]:
    """Send dead-lettered deliveries again: these, or the municipality's since a time; each
    with its own outcome (one that cannot be replayed does not stop the others)."""
    with transaction(sessions) as session:
        found = _municipality_named(session=session, code=municipality) if municipality else None
        replayed = replay_deliveries(
            session=session,
            now=now,
            delivery_ids=delivery_ids,
            municipality_id=found.id if found else None,
            since=since,
        )
        return [ReplayResult.of(item) for item in replayed]


def register_for_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    url: str,
    settings: Settings,
    now: datetime,
    scheme: SigningScheme = SigningScheme.HMAC_SHA256,
) -> tuple[Endpoint, str]:
    """A new endpoint of the calling municipality, and its secret or public key."""
    caller.require_municipality()
    with transaction(sessions) as session:
        return _add_endpoint(
            session=session,
            municipality=session.get_one(Organisation, caller.organisation_id),
            url=url,
            settings=settings,
            now=now,
            scheme=scheme,
        )


def rotate_for_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    endpoint_id: uuid.UUID,
    overlap: timedelta,
    settings: Settings,
    now: datetime,
) -> tuple[Endpoint, str]:
    """A new secret for one of the calling municipality's endpoints, shown this once."""
    caller.require_municipality()
    keys = keys_of(settings)
    with transaction(sessions) as session:
        endpoint = _endpoint(
            session=session, endpoint_id=endpoint_id, municipality_id=caller.organisation_id
        )
        shown = _rotate(endpoint=endpoint, overlap=overlap, keys=keys, now=now)
        return Endpoint.of(endpoint), shown


def reactivate_for_caller(
    *, sessions: sessionmaker[Session], caller: Caller, endpoint_id: uuid.UUID, now: datetime
) -> Endpoint:
    """Push to one of the calling municipality's disabled endpoints again."""
    caller.require_municipality()
    with transaction(sessions) as session:
        endpoint = _endpoint(
            session=session, endpoint_id=endpoint_id, municipality_id=caller.organisation_id
        )
        reactivate_endpoint(endpoint=endpoint, now=now)
        return Endpoint.of(endpoint)


def endpoints_of_caller(*, sessions: sessionmaker[Session], caller: Caller) -> list[Endpoint]:
    caller.require_municipality()
    with transaction(sessions) as session:
        return _endpoints_of(session=session, municipality_id=caller.organisation_id)


def deactivate_for_caller(
    *, sessions: sessionmaker[Session], caller: Caller, endpoint_id: uuid.UUID, now: datetime
) -> Endpoint:
    """Stop pushing to an endpoint; what it did not get stays in the inbox for pulling."""
    caller.require_municipality()
    with transaction(sessions) as session:
        endpoint = _endpoint(
            session=session, endpoint_id=endpoint_id, municipality_id=caller.organisation_id
        )
        disable_endpoint(
            session=session, endpoint=endpoint, reason="deactivated by the municipality", now=now
        )
        return Endpoint.of(endpoint)


def deliveries_of_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    state: str | None,
    limit: int,
    audit: AuditContext,
) -> list[DeliveryStatus]:
    """The pushes of the calling municipality's messages. Audited: each names an episode."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="delivery.list",
        resource_type="delivery",
    ) as access:
        caller.require_municipality()
        rows = delivery_store.list_deliveries(
            session=access.session,
            states=(state,) if state else None,
            municipality_id=caller.organisation_id,
            limit=limit,
        )
        access.touches(*(row.episode_id for row in rows))
        return [DeliveryStatus.of(row) for row in rows]


def replay_for_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    delivery_id: uuid.UUID,
    audit: AuditContext,
    now: datetime,
) -> ReplayResult:
    """Push one of the calling municipality's deliveries again: its message goes out anew, to
    its endpoint or, when that is disabled, to the municipality's current one."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="delivery.replay",
        resource_type="delivery",
        resource_id=str(delivery_id),
    ) as access:
        caller.require_municipality()
        first = replay_deliveries(
            session=access.session,
            now=now,
            delivery_ids=[delivery_id],
            municipality_id=caller.organisation_id,
        )[0]
        if first.outcome == ReplayOutcome.NOT_FOUND:
            raise NotFound("no such delivery")
        if first.carrier is None:
            raise Unprocessable(
                "the municipality has no active webhook endpoint: reactivate one or register "
                "a new one, then replay"
            )
        access.touches(first.carrier.episode_id)
        return ReplayResult.of(first)


def _municipality_named(*, session: Session, code: str) -> Organisation:
    found = find_municipality(session=session, code=code.zfill(4))
    if found is None:
        raise NotFound(f"municipality {code} is not registered")
    return found


def _endpoint(
    *, session: Session, endpoint_id: uuid.UUID, municipality_id: uuid.UUID | None
) -> WebhookEndpoint:
    """The endpoint (of this municipality, when given); NotFound for another's."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or municipality_id not in (None, endpoint.municipality_organisation_id):
        raise NotFound("no such webhook endpoint")
    return endpoint


def _rotate(
    *, endpoint: WebhookEndpoint, overlap: timedelta, keys: SecretKeys, now: datetime
) -> str:
    try:
        return rotate_secret(endpoint=endpoint, overlap=overlap, keys=keys, now=now)
    except ValueError as error:
        raise Unprocessable(str(error)) from None


def _add_endpoint(
    *,
    session: Session,
    municipality: Organisation,
    url: str,
    settings: Settings,
    now: datetime,
    scheme: SigningScheme,
) -> tuple[Endpoint, str]:
    # The secret is returned this once and never shown again.
    keys = keys_of(settings)
    if municipality.kind != "municipality":
        raise Unprocessable("webhook endpoints belong to municipalities")
    try:
        check_webhook_url(
            url,
            allow_insecure_loopback=settings.allow_insecure_webhooks,
            allow_private=settings.allow_private_webhooks,
        )
    except UnsafeWebhookUrl as error:
        raise Unprocessable(f"the webhook URL is not allowed: {error}") from None
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),  # the sealed secret is bound to it
        municipality_organisation_id=municipality.id,
        url=url,
        active=True,
        health=EndpointHealth.HEALTHY,
        consecutive_failures=0,
        created_at=now,
    )
    shown = issue_secret(endpoint=endpoint, scheme=scheme, keys=keys)
    session.add(endpoint)
    session.flush()
    return Endpoint.of(endpoint), shown


def _endpoints_of(*, session: Session, municipality_id: uuid.UUID) -> list[Endpoint]:
    rows = session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.municipality_organisation_id == municipality_id)
        .order_by(WebhookEndpoint.created_at)
    )
    return [Endpoint.of(row) for row in rows]
