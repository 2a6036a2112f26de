"""Webhook endpoints, their secrets, and the push outbox."""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from overgang.cli.common import fail, load_settings, parse_since
from overgang.config import Settings
from overgang.delivery.secret_keys import new_key
from overgang.delivery.states import ReplayOutcome, SigningScheme
from overgang.errors import OvergangError
from overgang.service import webhook_secrets, webhooks
from overgang.service.database import sessions_for

webhook_app = typer.Typer(no_args_is_help=True, help="Municipalities' webhook endpoints.")
deliveries_app = typer.Typer(no_args_is_help=True, help="Pushes to webhooks: inspect and replay.")
log = logging.getLogger("overgang.cli")
secrets_app = typer.Typer(
    no_args_is_help=True, help="Webhook secrets at rest: keys and re-encryption."
)
# What the operator reads for each replay outcome, and which ones mean "could not".
UNREPLAYABLE = {ReplayOutcome.NO_ACTIVE_ENDPOINT, ReplayOutcome.NOT_FOUND}


def prepare_webhook_secrets(settings: Settings) -> None:
    """Before `serve` or `worker`: stop with one line when stored secrets could not be opened;
    seal those still stored in the clear."""
    try:
        webhook_secrets.prepare_secrets(
            sessions=sessions_for(settings), settings=settings, now=datetime.now(UTC)
        )
    except OvergangError as error:
        fail(error.detail)
    except SQLAlchemyError as error:
        # Not migrated yet, or the database is not up: start as before; /readyz says so, and
        # a sender without keys records its attempts as failed with secret-key-error.
        log.warning(
            "webhook secrets not checked at start-up", extra={"error_type": type(error).__name__}
        )


def _endpoint_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail("--id takes an endpoint id (see `overgang webhook list`)")


def _parse_overlap(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd]?)", value.strip())
    if not match:
        fail("--overlap takes a duration such as 24h, 90m, 2d or 0")
    unit = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    return timedelta(**{unit[match.group(2)]: int(match.group(1))})


@webhook_app.command("add")
def webhook_add(
    municipality: Annotated[str, typer.Option(help="Municipality code, e.g. 0851.")],
    url: Annotated[str, typer.Option(help="https URL of the municipality's receiver.")],
    scheme: Annotated[
        SigningScheme,
        typer.Option(help="hmac-sha256 (a shared whsec_ secret) or ed25519 (a whpk_ public key)."),
    ] = SigningScheme.HMAC_SHA256,
) -> None:
    """Register a webhook endpoint; prints its id, then alone on the last line the signing
    secret (whsec_...) or, for ed25519, the public key (whpk_...)."""
    settings = load_settings()
    try:
        endpoint, shown = webhooks.register_endpoint(
            sessions=sessions_for(settings),
            municipality=municipality,
            url=url,
            settings=settings,
            now=datetime.now(UTC),
            scheme=scheme,
        )
    except OvergangError as error:
        fail(error.detail)
    what = "public key" if endpoint.public_key else "signing secret"
    typer.echo(f"endpoint {endpoint.id} registered; its {what} follows:")
    typer.echo(shown)


@webhook_app.command("rotate")
def webhook_rotate(
    endpoint_id: Annotated[str, typer.Option("--id", help="Endpoint id.")],
    overlap: Annotated[
        str, typer.Option(help="How long the old secret also signs: 24h, 90m, 2d, 0.")
    ] = "24h",
) -> None:
    """A new secret for an endpoint, printed alone on the last line (shown once); during the
    overlap every message carries both signatures."""
    settings = load_settings()
    try:
        endpoint, shown = webhooks.rotate(
            sessions=sessions_for(settings),
            endpoint_id=_endpoint_id(endpoint_id),
            overlap=_parse_overlap(overlap),
            settings=settings,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    until = endpoint.previous_secret_until
    old = (
        f"the old one also signs until {until.isoformat()}"
        if until
        else "the old one no longer signs"
    )
    what = "public key" if endpoint.public_key else "signing secret"
    typer.echo(f"endpoint {endpoint.id}: {old}; its new {what} follows:")
    typer.echo(shown)


@webhook_app.command("reactivate")
def webhook_reactivate(
    endpoint_id: Annotated[str, typer.Option("--id", help="Endpoint id.")],
) -> None:
    """Push to a disabled endpoint again; replay what it missed with `deliveries replay`."""
    try:
        endpoint = webhooks.reactivate(
            sessions=sessions_for(load_settings()),
            endpoint_id=_endpoint_id(endpoint_id),
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(f"endpoint {endpoint.id} active ({endpoint.health})")


@webhook_app.command("list")
def webhook_list(
    municipality: Annotated[str, typer.Option(help="Municipality code, e.g. 0851.")],
) -> None:
    """A municipality's endpoints and their health."""
    try:
        endpoints = webhooks.list_endpoints(
            sessions=sessions_for(load_settings()), municipality=municipality
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo("id\tactive\thealth\tfailures\turl")
    for endpoint in endpoints:
        typer.echo(
            f"{endpoint.id}\t{endpoint.active}\t{endpoint.health}\t"
            f"{endpoint.consecutive_failures}\t{endpoint.url}"
        )


@deliveries_app.command("list")
def deliveries_list(
    state: Annotated[
        str | None,
        typer.Option(
            help="pending, failing (pending after a failed try), dead, delivered, cancelled, "
            "rerouted (replayed to another endpoint)."
        ),
    ] = None,
    municipality: Annotated[str | None, typer.Option(help="Municipality code.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """The outbox, for the operator: one tab-separated line per delivery."""
    if state is not None and state not in webhooks.OPERATOR_DELIVERY_FILTERS:
        fail(f"--state must be one of {', '.join(webhooks.OPERATOR_DELIVERY_FILTERS)}")
    try:
        rows = webhooks.list_deliveries(
            sessions=sessions_for(load_settings()),
            state=state,
            municipality=municipality,
            limit=limit,
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo("id\tstate\tattempts\tnext_attempt_at\tlast_error\tinbox_message")
    for row in rows:
        typer.echo(
            f"{row.id}\t{row.state}\t{row.attempts}\t{row.next_attempt_at.isoformat()}\t"
            f"{row.last_error or '-'}\t{row.inbox_message_id}"
        )


@deliveries_app.command("replay")
def deliveries_replay(
    delivery_id: Annotated[
        list[str] | None, typer.Option("--id", help="Delivery id (repeatable).")
    ] = None,
    municipality: Annotated[
        str | None, typer.Option(help="Replay this municipality's dead ones.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="With --municipality: created since (24h, 7d, date).")
    ] = None,
) -> None:
    """Send dead-lettered (or cancelled) deliveries again, from their first attempt: to their
    endpoint, or when it is disabled to the municipality's current one. One line per delivery
    says what was done; exit 1 when any could not be replayed (the others are)."""
    if not delivery_id and not municipality:
        fail("give --id or --municipality")
    try:
        ids = [uuid.UUID(value) for value in delivery_id or []]
        start = parse_since(since) if since else None
    except ValueError:
        fail("--id takes a delivery id; --since an ISO date/datetime or a duration like 24h")
    try:
        rows = webhooks.replay(
            sessions=sessions_for(load_settings()),
            now=datetime.now(UTC),
            delivery_ids=ids or None,
            municipality=municipality,
            since=start,
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo("delivery\toutcome\tnow_carried_by\tendpoint")
    for row in rows:
        carrier = row.carrier
        typer.echo(
            f"{row.delivery_id}\t{row.outcome}\t{carrier.id if carrier else '-'}\t"
            f"{carrier.endpoint_id if carrier else '-'}"
        )
    counts = Counter(row.outcome for row in rows)
    typer.echo("; ".join(f"{counts[outcome]} {outcome}" for outcome in ReplayOutcome))
    if any(row.outcome in UNREPLAYABLE for row in rows):
        raise typer.Exit(code=1)


@secrets_app.command("reencrypt")
def secrets_reencrypt() -> None:
    """Seal every stored webhook secret under the first key of OVERGANG_SECRET_KEYS (also
    those stored in the clear before sealing existed); then older keys can be removed."""
    settings = load_settings()
    try:
        done = webhook_secrets.reencrypt(
            sessions=sessions_for(settings), settings=settings, now=datetime.now(UTC)
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(
        f"{done.secrets} secrets sealed under key {done.key_id} "
        f"({done.were_clear} of them were stored in the clear)"
    )


@secrets_app.command("new-key")
def secrets_new_key(
    key_id: Annotated[str, typer.Option("--id", help="The new key's id, e.g. k2.")],
) -> None:
    """Print a fresh key as key-id:base64, to put first in OVERGANG_SECRET_KEYS."""
    typer.echo(f"{key_id}:{new_key()}")
