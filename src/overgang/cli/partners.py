"""Partner organisations and their API clients."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from overgang.cli.common import fail, load_settings
from overgang.errors import OvergangError
from overgang.service import clients, oauth, partners
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
    jwks_file: Annotated[
        Path | None,
        typer.Option(help="SMART client: a JSON file with the client's public keys (a JWKS)."),
    ] = None,
    jwks_url: Annotated[
        str | None, typer.Option(help="SMART client: the https URL of its public keys (JWKS).")
    ] = None,
    expires_in: Annotated[
        str | None, typer.Option(help="Static token: how long it works, e.g. 90d or 12h.")
    ] = None,
) -> None:
    """Create an API client. A static-token client's bearer token, or a SMART client's id, is
    printed alone on the last line (a token is shown only once)."""
    settings = load_settings()
    now = datetime.now(UTC)
    if jwks_file is not None or jwks_url is not None:
        if expires_in is not None:
            fail("--expires-in is for static tokens; a SMART client's access tokens expire anyway")
        try:
            jwks = json.loads(jwks_file.read_text(encoding="utf-8")) if jwks_file else None
        except (OSError, ValueError) as error:
            fail(f"{jwks_file} is not a readable JSON file: {error}")
        try:
            client_id = clients.create_smart_client(
                sessions=sessions_for(settings),
                settings=settings,
                org=org,
                name=name,
                jwks=jwks,
                jwks_url=jwks_url,
                now=now,
            )
        except OvergangError as error:
            fail(error.detail)
        typer.echo(
            f"SMART client registered; it gets access tokens at {oauth.token_url(settings)} "
            "with this client id:"
        )
        typer.echo(str(client_id))
        return
    lifetime = _duration(expires_in) if expires_in is not None else None
    try:
        client = partners.create_client(
            sessions=sessions_for(settings),
            org=org,
            name=name,
            now=now,
            expires_at=now + lifetime if lifetime is not None else None,
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(f"client {client.id} created; its token follows and is not shown again:")
    typer.echo(client.token)


@client_app.command("list")
def client_list() -> None:
    """Every API client: id, kind, organisation, name, and whether it is revoked or expires."""
    for client in clients.list_clients(sessions=sessions_for(load_settings())):
        state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        if client.token_expires_at and not client.revoked_at:
            state += f", token expires {client.token_expires_at:%Y-%m-%d %H:%M}"
        keys = f"  keys: {client.keys}" if client.keys else ""
        typer.echo(
            f"{client.id}  {client.kind:<6}  {client.organisation:<18}  {state}  {client.name}{keys}"
        )


@client_app.command("revoke")
def client_revoke(id: Annotated[str, typer.Option(help="The client id.")]) -> None:
    """Revoke a client: no new access token, and its tokens stop working within seconds."""
    settings = load_settings()
    try:
        clients.revoke_client(
            sessions=sessions_for(settings), client_id=_client_id(id), now=datetime.now(UTC)
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(
        f"client {id} revoked; running servers refuse it within "
        f"{settings.token_cache_seconds:g} seconds"
    )


@client_app.command("rotate")
def client_rotate(
    id: Annotated[str, typer.Option(help="The static-token client's id.")],
    overlap: Annotated[
        str, typer.Option(help="How long the current token keeps working, e.g. 24h; 0: not.")
    ] = "24h",
    expires_in: Annotated[
        str | None, typer.Option(help="How long the new token works, e.g. 90d.")
    ] = None,
) -> None:
    """Give a static-token client a new token, printed alone on the last line."""
    try:
        client = clients.rotate_token(
            sessions=sessions_for(load_settings()),
            client_id=_client_id(id),
            overlap=_duration(overlap),
            expires_in=_duration(expires_in) if expires_in is not None else None,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    typer.echo(f"client {client.id}: new token follows; the old one works for {overlap} more:")
    typer.echo(client.token)


@org_app.command("list")
def org_list() -> None:
    """The registered partners, with their number of active API clients."""
    for org in clients.list_organisations(sessions=sessions_for(load_settings())):
        code = org.municipality_code or org.region or "-"
        typer.echo(
            f"{org.kind:<12}  {org.sor:<18}  {code:<5}  {org.active_clients} client(s)  {org.name}"
        )


def _client_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        fail(f"{text!r} is not a client id (see `overgang client list`)")


def _duration(text: str) -> timedelta:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text == "0":
        return timedelta(0)
    if text[-1:] in units and text[:-1].isdigit():
        return timedelta(**{units[text[-1]]: int(text[:-1])})
    fail(f"{text!r} is not a duration such as 30m, 24h or 90d")
