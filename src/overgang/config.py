"""Settings, read once from the environment (prefix OVERGANG_) and passed to whoever needs them."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from overgang.delivery.backoff import parse_schedule
from overgang.delivery.secret_keys import SecretKeys, secret_keys_from


class Settings(BaseSettings):
    # hide_input_in_errors: a bad value is not echoed (secret keys, a database password).
    model_config = SettingsConfigDict(
        env_prefix="OVERGANG_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        default=f"sqlite:///{Path.cwd() / 'overgang.db'}",
        description="SQLAlchemy URL; the embedded default is a SQLite file in the working directory.",
    )
    # Overgang's own identity as the responder in MedCom acknowledgements.
    sor: str = "1000016000000000"
    gln: str | None = None
    name: str = "Overgang"
    public_base_url: str = "https://fhir.overgang.dk"

    checklist_dir: Path | None = Field(
        default=None,
        description="A directory of checklist files; by default the agreed ones in schemas/checklists.",
    )
    # Push delivery (profile.md §3). The schedule is seconds between attempts, comma-separated.
    webhook_retry_schedule: str | None = Field(
        default=None,
        description="Seconds between webhook attempts, comma-separated; by default about three "
        "days in twelve growing steps (overgang.delivery.backoff.DEFAULT_SCHEDULE).",
    )
    allow_insecure_webhooks: bool = Field(
        default=False, description="Allow plain-http loopback webhook URLs (development, tests)."
    )
    allow_private_webhooks: bool = Field(
        default=False, description="Allow webhook URLs on private networks (refused: SSRF)."
    )
    run_worker: bool = Field(default=True, description="`serve` runs the webhook sender too.")
    worker_poll_seconds: float = 0.2
    delivery_lease_seconds: int = Field(
        default=120,
        description="SQLite: how long a leased delivery is kept from other senders (above the "
        "longest send: connect plus read timeout).",
    )
    worker_batch_size: int = Field(
        default=50, description="Deliveries a sender claims, sends and records per round."
    )
    worker_concurrency: int = Field(
        default=8, description="Sends at a time, shared among the lanes of a sender."
    )
    worker_lanes: int = Field(
        default=2,
        ge=1,
        description="Rounds a sender runs side by side: a receiver that stalls a round holds "
        "up one lane, not every message.",
    )
    worker_linger_seconds: float = Field(
        default=0.05,
        ge=0,
        description="After a round that emptied the queue, how long a sender lets new messages "
        "gather before the next round: a little latency for far fewer claims and commits.",
    )
    webhook_connect_timeout: float = 5.0
    webhook_read_timeout: float = 15.0  # Standard Webhooks advises 15-30 s
    endpoint_failing_after: int = Field(
        default=5, description="Consecutive failures after which an endpoint is marked failing."
    )
    unacknowledged_after_seconds: int = Field(
        default=1800,
        description="Delivered but not acknowledged after this: flagged (MedCom 30 min).",
    )
    token_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long a process remembers an authenticated bearer token: a revoked "
        "token keeps working for up to this long. 0 looks every token up on every request.",
    )
    request_threads: int = Field(
        default=4,
        ge=1,
        description="Threads per process that run requests (the rest wait on the event loop).",
    )
    max_messages_in_progress: int = Field(
        default=32,
        ge=0,
        description="Messages one process works on or queues at once; beyond that a message is "
        "answered 503 with Retry-After at once (nothing stored). 0: no limit.",
    )
    busy_retry_after_seconds: int = Field(default=2, ge=1, description="Retry-After of that 503.")
    max_body_bytes: int = 5 * 1024 * 1024
    body_read_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a request may take to send its body; a slower one is answered "
        "408 and nothing of it is stored.",
    )
    max_messages_in_progress_per_client: int = Field(
        default=8,
        ge=0,
        description="Messages one API client may have in progress in a process, so one client "
        "cannot take every slot of max_messages_in_progress. 0: no per-client limit.",
    )
    # Retention (overgang.domain.retention: the periods and why these defaults).
    retention_delivered_days: int = Field(
        default=30, ge=1, description="Days an acknowledged message's payload is kept."
    )
    retention_undelivered_report_days: int = Field(
        default=5,
        ge=1,
        description="Days after which a message nobody acknowledged is reported to the ward.",
    )
    retention_undelivered_days: int = Field(
        default=30, ge=1, description="Days an unacknowledged message's payload is kept at most."
    )
    retention_episode_days: int = Field(
        default=90,
        ge=1,
        description="Days after a closed episode's last change before its CPR number, content "
        "and identifiers are removed (pseudonymised).",
    )
    retention_audit_days: int = Field(default=730, ge=1, description="Days audit rows are kept.")
    retention_every_hours: float = Field(
        default=24.0, gt=0, description="How often the sender (`overgang worker`) runs retention."
    )
    citizen_key: SecretStr | None = Field(
        default=None,
        description="Secret key (at least 32 characters) of the HMAC that links a citizen's "
        "pseudonymised episodes. Unset: closed episodes are not pseudonymised (retention runs "
        "count them as waiting). Never change it: episodes keyed before would no longer link.",
    )
    # Webhook secrets at rest (delivery.secret_keys). No default: a key in the code would be
    # a key in every installation; without keys endpoints cannot be registered, and serve and
    # worker refuse to start while secrets are stored.
    secret_keys: SecretStr | None = Field(
        default=None,
        description="Keys that seal webhook secrets: comma-separated key-id:base64-of-32-bytes "
        "pairs; the first seals, all open (`overgang secrets new-key` makes one).",
    )
    max_json_depth: int = 64
    max_future_skew_seconds: int = 300
    log_level: str = "INFO"

    # --- Trusted partners: SMART Backend Services, static tokens, rate limits (issue 11) ---
    static_tokens: bool = Field(
        default=True,
        description="Accept static `ovg_` bearer tokens; false leaves SMART access tokens only.",
    )
    access_token_seconds: int = Field(
        default=300, ge=1, le=300, description="Lifetime of a SMART access token (at most 300)."
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="PEM private key (EC P-256 or RSA) that signs access tokens. Unset: a key is "
        "generated once and kept in the database (development; every process shares it).",
    )
    signing_key_id: str | None = Field(
        default=None, description="The `kid` of signing_key_file's key; by default its thumbprint."
    )
    jwks_fetch_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to fetch a client's JWKS URL."
    )
    jwks_cache_seconds: float = Field(
        default=3600, ge=0, description="How long a fetched client JWKS is used before refetching."
    )
    jwks_refetch_min_seconds: float = Field(
        default=10, ge=0, description="An unknown `kid` refetches a JWKS at most this often."
    )
    rate_limit_per_second: float = Field(
        default=0,
        ge=0,
        description="Requests per second one API client may make to one process (token "
        "bucket); beyond it 429 with Retry-After. 0: no limit.",
    )
    rate_limit_burst: int = Field(
        default=20, ge=1, description="Requests a client may make at once above that rate."
    )

    # --- Single sign-on for people on the board (issue 13): one OpenID Connect provider ---
    sso_discovery_url: str | None = Field(
        default=None,
        description="The provider's discovery document (…/.well-known/openid-configuration). "
        "Unset: no single sign-on, people sign in with their password only.",
    )
    sso_client_id: str | None = Field(
        default=None, description="Overgang's client id at the provider."
    )
    sso_client_secret: SecretStr | None = Field(
        default=None, validate_default=True, description="Overgang's client secret at the provider."
    )
    sso_button_label: str = Field(
        default="Log ind med din organisations konto",
        description="The sign-in button's text, e.g. 'Log ind med Region Nordjylland'.",
    )
    sso_scopes: str = Field(
        default="openid email profile", description="Scopes asked for, space-separated."
    )
    sso_trust_email: bool = Field(
        default=False,
        description="Match people by an e-mail the provider has not marked email_verified "
        "(only for a provider that sets every e-mail itself).",
    )

    @property
    def sso_enabled(self) -> bool:
        return bool(self.sso_discovery_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def keys_for_secrets(self) -> SecretKeys | None:
        """The parsed OVERGANG_SECRET_KEYS, or None when unset."""
        if self.secret_keys is None or not self.secret_keys.get_secret_value():
            return None
        return secret_keys_from(self.secret_keys.get_secret_value())

    # Each setting is checked here, by the code that reads it later, so that a bad value stops
    # `serve` and `worker` at start-up rather than failing a sender round hours later.
    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: str) -> str:
        try:
            make_url(value)
        except (ArgumentError, ValueError):
            # Not quoted back: the URL may hold a password.
            raise ValueError(
                "is not a database URL such as sqlite:////var/lib/overgang/overgang.db or "
                "postgresql+psycopg://user:password@host/overgang"
            ) from None
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retry_schedule_parses(cls, value: str | None) -> str | None:
        if not value:
            return None  # empty: the default schedule
        parse_schedule(value)
        return value

    @field_validator("secret_keys")
    @classmethod
    def _secret_keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            secret_keys_from(value.get_secret_value())
        return value

    @field_validator(
        "worker_poll_seconds",
        "delivery_lease_seconds",
        "worker_batch_size",
        "worker_concurrency",
        "webhook_connect_timeout",
        "webhook_read_timeout",
        "endpoint_failing_after",
        "unacknowledged_after_seconds",
    )
    @classmethod
    def _more_than_zero(cls, value: float) -> float:
        if not (math.isfinite(value) and value > 0):
            raise ValueError("must be a number more than zero")
        return value

    @field_validator("citizen_key")
    @classmethod
    def _citizen_key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    # Checked on the secret, the last of the three, so the error names a variable.
    @field_validator("sso_client_secret")
    @classmethod
    def _sso_complete(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if info.data.get("sso_discovery_url") and not (
            info.data.get("sso_client_id") and value and value.get_secret_value()
        ):
            raise ValueError(
                "single sign-on (OVERGANG_SSO_DISCOVERY_URL) needs a client id and secret"
            )
        return value

    @field_validator("sso_scopes")
    @classmethod
    def _sso_scopes_ask_for_openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level_known(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value
