"""Partner organisations and their API clients."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from overgang.cli.common import fail, load_settings
from overgang.errors import OvergangError
from overgang.service import partners
from overgang.service.database import sessions_for

org_app = typer.Typer(no_args_is_help=True, help="Partner organisations.")
client_app = typer.Typer(no_args_is_help=True, help="API clients and their tokens.")


@org_app.command("add-hospital")
def add_hospital(
    sor: Annotated[str, typer.Option(help="The ward's SOR id.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    gln: Annotated[str | None, typer.Option(help="The ward's GLN (13 digits).")] = None,
    region: Annotated[
        str | None,
        typer.Option(help="DK-81..DK-85: the region that owns the ward's episodes."),
    ] = None,
) -> None:
    """Register a hospital ward that may send messages."""
    try:
        hospital = partners.register_hospital(
            sessions=sessions_for(load_settings()),
            sor=sor,
            name=name,
            gln=gln,
            region=region,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    owner = f"region {hospital.region}" if hospital.region else "itself"
    typer.echo(f"hospital {hospital.sor} registered: {hospital.id} (owner: {owner})")


@org_app.command("add-municipality")
def add_municipality(
    code: Annotated[str, typer.Option(help="Municipality code, e.g. 0851.")],
    sor: Annotated[str, typer.Option(help="The receiving system's SOR id.")],
    gln: Annotated[str, typer.Option(help="The receiving system's GLN.")],
    name: Annotated[str | None, typer.Option(help="Defaults to '<name> Kommune'.")] = None,
) -> None:
    """Register a municipality that receives messages."""
    try:
        municipality = partners.register_municipality(
            sessions=sessions_for(load_settings()),
            code=code,
            sor=sor,
            gln=gln,
            name=name,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(f"municipality {municipality.municipality_code} registered: {municipality.id}")


@client_app.command("create")
def client_create(
    org: Annotated[str, typer.Option(help="The organisation's SOR id or municipality code.")],
    name: Annotated[str, typer.Option(help="What the client is, e.g. 'EPJ production'.")],
) -> None:
    """Create an API client; prints its bearer token alone on the last line (shown only once)."""
    try:
        client = partners.create_client(
            sessions=sessions_for(load_settings()), org=org, name=name, now=datetime.now(UTC)
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(f"client {client.id} created; its token follows and is not shown again:")
    typer.echo(client.token)
