"""Webhook endpoints and the push outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer

from overgang.cli.common import fail, load_settings, municipality_named, parse_since
from overgang.errors import OvergangError
from overgang.service import webhooks
from overgang.service.database import sessions_for
from overgang.storage import deliveries as delivery_store
from overgang.storage.db import transaction

webhook_app = typer.Typer(no_args_is_help=True, help="Municipalities' webhook endpoints.")
deliveries_app = typer.Typer(no_args_is_help=True, help="Pushes to webhooks: inspect and replay.")


@webhook_app.command("add")
def webhook_add(
    municipality: Annotated[str, typer.Option(help="Municipality code, e.g. 0851.")],
    url: Annotated[str, typer.Option(help="https URL of the municipality's receiver.")],
) -> None:
    """Register a webhook endpoint; prints its id, then the signing secret alone on the last line."""
    settings = load_settings()
    try:
        with transaction(sessions_for(settings)) as session:
            endpoint, secret = webhooks.register_endpoint(
                session=session,
                municipality=municipality_named(session, municipality),
                url=url,
                settings=settings,
                now=datetime.now(UTC),
            )
            typer.echo(f"endpoint {endpoint.id} registered; its signing secret follows:")
            typer.echo(secret)
    except OvergangError as error:
        fail(error.detail)


@webhook_app.command("list")
def webhook_list(
    municipality: Annotated[str, typer.Option(help="Municipality code, e.g. 0851.")],
) -> None:
    """A municipality's endpoints and their health."""
    with transaction(sessions_for(load_settings())) as session:
        organisation = municipality_named(session, municipality)
        typer.echo("id\tactive\thealth\tfailures\turl")
        for endpoint in webhooks.list_endpoints(session=session, municipality_id=organisation.id):
            typer.echo(
                f"{endpoint.id}\t{endpoint.active}\t{endpoint.health}\t"
                f"{endpoint.consecutive_failures}\t{endpoint.url}"
            )


DELIVERY_STATES = {
    "pending": ("pending",),
    "failing": ("pending",),
    "dead": ("dead",),
    "delivered": ("delivered",),
    "cancelled": ("cancelled",),
}


@deliveries_app.command("list")
def deliveries_list(
    state: Annotated[
        str | None,
        typer.Option(help="pending, failing (pending after a failed try), dead, delivered."),
    ] = None,
    municipality: Annotated[str | None, typer.Option(help="Municipality code.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """The outbox, for the operator: one tab-separated line per delivery."""
    if state is not None and state not in DELIVERY_STATES:
        fail(f"--state must be one of {', '.join(DELIVERY_STATES)}")
    with transaction(sessions_for(load_settings())) as session:
        organisation = municipality_named(session, municipality) if municipality else None
        rows = delivery_store.list_deliveries(
            session=session,
            states=DELIVERY_STATES[state] if state else None,
            municipality_id=organisation.id if organisation else None,
            limit=limit,
        )
        if state == "failing":
            rows = [row for row in rows if row.attempts > 0]
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
    """Send dead-lettered deliveries again, from their first attempt."""
    if not delivery_id and not municipality:
        fail("give --id or --municipality")
    try:
        ids = [uuid.UUID(value) for value in delivery_id or []]
        start = parse_since(since) if since else None
    except ValueError:
        fail("--id takes a delivery id; --since an ISO date/datetime or a duration like 24h")
        return
    try:
        with transaction(sessions_for(load_settings())) as session:
            organisation = municipality_named(session, municipality) if municipality else None
            rows = webhooks.replay(
                session=session,
                now=datetime.now(UTC),
                delivery_ids=ids or None,
                municipality_id=organisation.id if organisation else None,
                since=start,
            )
            typer.echo(f"{len(rows)} deliveries queued again")
    except OvergangError as error:
        fail(error.detail)
