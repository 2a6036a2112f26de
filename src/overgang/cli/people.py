"""People who sign in to the transition board (`overgang user add`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from overgang.cli.common import fail, load_settings
from overgang.domain.people import ONE_TIME_SECRET_LIFETIME
from overgang.errors import OvergangError
from overgang.service import people
from overgang.service.database import sessions_for

user_app = typer.Typer(no_args_is_help=True, help="People who sign in to the board.")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="The person's e-mail address: they sign in with it.")],
    name: Annotated[str, typer.Option(help="Their name, as the board greets them.")],
    org: Annotated[
        str,
        typer.Option(help="SOR id, municipality code (0851) or region (DK-81): whose citizens."),
    ],
    role: Annotated[str, typer.Option(help="coordinator")] = "coordinator",
) -> None:
    """Register a person; their one-time sign-in secret is printed alone on the last line."""
    try:
        person = people.add_person(
            sessions=sessions_for(load_settings()),
            email=email,
            name=name,
            org=org,
            role=role,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
    days = ONE_TIME_SECRET_LIFETIME.days
    typer.echo(
        f"person {person.id} registered for {person.organisation}; they sign in at /login "
        f"within {days} days with this one-time secret, then choose a password:"
    )
    typer.echo(person.one_time_secret)
