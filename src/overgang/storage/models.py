"""The tables. Every row that holds personal data names the episode it belongs to, for audit and retention."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from overgang.storage.types import JSONDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organisation(Base):
    """A partner: a hospital ward (by SOR) or a municipality (by its 4-digit code, with SOR and GLN)."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # hospital | municipality
    name: Mapped[str] = mapped_column(String(200))
    sor: Mapped[str] = mapped_column(String(18), unique=True)
    gln: Mapped[str | None] = mapped_column(String(13), unique=True)
    municipality_code: Mapped[str | None] = mapped_column(String(4), unique=True)
    # A hospital's region (DK-81..DK-85), when the region is the data controller of its episodes.
    region: Mapped[str | None] = mapped_column(String(5))
    # Last inbox sequence number handed out; bumped under a row lock so numbers have no gaps.
    inbox_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiClient(Base):
    """A system allowed to call the API as one organisation: with a static bearer token (only
    its SHA-256 is kept) or as a SMART Backend Services client (its public keys are kept)."""

    __tablename__ = "api_clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # static | smart
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # --- SMART clients and static-token lifetimes (issue 11, migration 0006) ---
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # After a rotation the replaced token keeps working until `previous_token_until`.
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_token_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A SMART client's public keys: a JWKS given at registration, or where to fetch it.
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    jwks_url: Mapped[str | None] = mapped_column(String(2000))


class UsedClientAssertion(Base):
    """A client assertion's `jti`, kept until the assertion expires so it is accepted only once,
    by every process that shares the database (RFC 7523 §3 item 7)."""

    __tablename__ = "used_client_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SigningKey(Base):
    """Overgang's own access-token signing key when none is configured (development): generated
    once and shared by every process on the database."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReceivedMessage(Base):
    """A message exactly as a hospital sent it, with the answer Overgang gave (for resends)."""

    __tablename__ = "received_messages"
    # Message identity is per sender (MedCom's duplicate rules): another sender's message with
    # the same ids is another message.
    __table_args__ = (
        UniqueConstraint("sender_organisation_id", "header_id"),
        Index("ix_received_messages_sender_bundle", "sender_organisation_id", "bundle_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bundle_id: Mapped[str] = mapped_column(String(128))
    header_id: Mapped[str] = mapped_column(String(128), index=True)
    event_code: Mapped[str] = mapped_column(String(64))
    notification_code: Mapped[str | None] = mapped_column(String(16))
    sender_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    episode_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("episodes.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    message_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    response_code: Mapped[str] = mapped_column(String(16))
    response_issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    # Retention (domain.retention): the body is emptied once no inbox message needs it.
    payload_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Episode(Base):
    """One stay, keyed by its episode-of-care identifiers (see EpisodeIdentifier)."""

    __tablename__ = "episodes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Who owns the episode (profile §7): the starting hospital's region, else its SOR.
    owner: Mapped[str] = mapped_column(String(18), index=True)
    hospital_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    municipality_organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    cpr: Mapped[str | None] = mapped_column(String(10), index=True)  # None once pseudonymised
    state: Mapped[str] = mapped_column(String(24), index=True)  # the board's open episodes
    encounter_class: Mapped[str | None] = mapped_column(String(8))
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_discharge_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The newest discharge-plan/handover content, as plain JSON (see domain.content).
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # The municipality's newest answer to the discharge plan (readiness to take over).
    readiness_ready: Mapped[bool | None] = mapped_column()
    readiness_from: Mapped[date | None] = mapped_column()
    readiness_reason: Mapped[str | None] = mapped_column(Text)
    readiness_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # figures cache
    # Retention: a closed episode loses its CPR number, content and identifiers; the keyed hash
    # of the CPR number (domain.retention.citizen_key) still links one citizen's episodes.
    citizen_key: Mapped[str | None] = mapped_column(String(64), index=True)
    pseudonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EpisodeIdentifier(Base):
    """An episode-of-care identifier (local SOR-based or national LPR3), normalised.

    Scoped to the episode's owner: the same value from another owner names another episode.
    """

    __tablename__ = "episode_identifiers"
    __table_args__ = (UniqueConstraint("owner", "system", "value"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"), index=True)
    owner: Mapped[str] = mapped_column(String(18))  # the episode's, repeated for the constraint
    system: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(128), index=True)


class EpisodeEvent(Base):
    """One entry in an episode's timeline, at the event's own time (not its arrival)."""

    __tablename__ = "episode_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"), index=True)
    received_message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("received_messages.id"))
    code: Mapped[str] = mapped_column(String(24), index=True)  # the board's discharges and plans
    header_id: Mapped[str] = mapped_column(String(128), index=True)
    target_header_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when a later correction or cancellation replaces this event.
    replaced_by_header_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class InboxMessage(Base):
    """What one municipality gets: a routed notice, a discharge plan or a handover."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        UniqueConstraint("municipality_organisation_id", "sequence"),
        Index(
            "ix_inbox_messages_municipality_sequence", "municipality_organisation_id", "sequence"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    municipality_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"), index=True)
    # Indexed for retention, which asks of each received message whether an inbox still holds it.
    received_message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("received_messages.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    notification_code: Mapped[str | None] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # the board's unacknowledged
    # The outbound FHIR message, exactly as delivered on pull and on push.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # For discharge-plan and handover: the checklist result the message was sent with.
    checklist: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Delivered but not acknowledged in time: flagged for follow-up, shown to the ward.
    follow_up_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Retention: not acknowledged after days, reported to the ward; the body emptied when due.
    undelivered_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payload_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChecklistEvaluation(Base):
    """One judgement of an episode: kept for ever, the newest is current."""

    __tablename__ = "checklist_evaluations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"), index=True)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trigger: Mapped[str] = mapped_column(String(32))  # discharge-plan, SLHJ, readiness, RE_SLHJ ...
    judged_time: Mapped[str] = mapped_column(String(8))  # planned | actual
    discharge_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checklist_id: Mapped[str] = mapped_column(String(64))
    checklist_version: Mapped[str] = mapped_column(String(16))
    complete: Mapped[bool] = mapped_column()
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class Acknowledgement(Base):
    """A municipality's business-level answer to an inbox message."""

    __tablename__ = "acknowledgements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    inbox_message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_messages.id"), index=True)
    api_client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(8))  # rest | fhir
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Who read or wrote which personal data, from where, when, and whether it was allowed
    (GDPR art. 9 accountability)."""

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    api_client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_clients.id"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(48))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(128))
    episode_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The TCP peer; behind a proxy, the proxy (a forwarded header is the client's to invent).
    client_address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed | denied | not-found | refused
    # A person on the board (migration 0010) instead of an API client.
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))


class WebhookEndpoint(Base):
    """Where a municipality wants its inbox messages pushed."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    municipality_organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # The signing secret (whsec_ or, for ed25519, the whsk_ private key), sealed with AES-GCM
    # under the configured key `secret_key_id` (delivery.secret_keys); never returned after
    # creation. A NULL key id marks a secret stored in the clear before revision 0007, which
    # start-up or `overgang secrets reencrypt` seals.
    sealed_secret: Mapped[str] = mapped_column(Text)
    secret_key_id: Mapped[str | None] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(16))  # hmac-sha256 | ed25519
    public_key: Mapped[str | None] = mapped_column(String(64))  # whpk_..., ed25519 only
    # After a rotation the old secret also signs until `previous_secret_until`.
    previous_sealed_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_key_id: Mapped[str | None] = mapped_column(String(32))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column()
    health: Mapped[str] = mapped_column(String(16))  # healthy | failing | disabled
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    health_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The outbox: one inbox message to one endpoint, written in the same transaction."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("inbox_message_id", "endpoint_id"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_order", "endpoint_id", "episode_id", "sequence"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    inbox_message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_messages.id"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"))
    municipality_organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"))
    sequence: Mapped[int] = mapped_column(Integer)  # the inbox message's: keeps episode order
    state: Mapped[str] = mapped_column(String(16))  # pending | delivered | dead | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker's claim: until then no other worker takes the row (a crash lets it expire).
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))


class DeliveryAttempt(Base):
    """One try to push a delivery: what happened, for the operator and the municipality."""

    __tablename__ = "delivery_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed | gone
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column()
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    error_class: Mapped[str | None] = mapped_column(String(64))


# --- People on the transition board (issue 13, migration 0010) ---


class Person(Base):
    """Someone who signs in to the board with a browser (not an API client): a coordinator of one
    organisation, or of a region (DK-81..DK-85) that owns its hospitals' episodes."""

    __tablename__ = "people"
    # One account per identity at the provider (migration 0011).
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # coordinator
    # Exactly one of the two: an organisation, or a region with no row of its own.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    region: Mapped[str | None] = mapped_column(String(5))
    # argon2id hashes; the one-time secret works until a password is set or it expires.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    one_time_secret_hash: Mapped[str | None] = mapped_column(String(200))
    one_time_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Single sign-on: the provider's `iss` and `sub`, bound at the first SSO sign-in (found by
    # e-mail) and from then on the only way SSO finds the person, whatever their e-mail becomes.
    sso_issuer: Mapped[str | None] = mapped_column(String(255))
    sso_subject: Mapped[str | None] = mapped_column(String(255))


class PersonSession(Base):
    """A signed-in browser: only the SHA-256 of its cookie's random token is kept, so a copy of
    the database signs no one in; signing out deletes the row."""

    __tablename__ = "person_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Signed in with the one-time secret: nothing but choosing a password until it is chosen.
    must_set_password: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
