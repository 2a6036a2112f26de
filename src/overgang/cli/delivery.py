"""Webhook endpoints and the push outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer

from overgang.cli.common import fail, load_settings, parse_since
from overgang.errors import OvergangError
from overgang.service import webhooks
from overgang.service.database import sessions_for

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
        endpoint, secret = webhooks.register_endpoint(
            sessions=sessions_for(settings),
            municipality=municipality,
            url=url,
            settings=settings,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(f"endpoint {endpoint.id} registered; its signing secret follows:")
    typer.echo(secret)


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
        typer.Option(help="pending, failing (pending after a failed try), dead, delivered."),
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
    """Send dead-lettered deliveries again, from their first attempt."""
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
    typer.echo(f"{len(rows)} deliveries queued again")
