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


@user_app.command("list")
def user_list() -> None:
    """Print everyone registered, one tab-separated line each: e-mail, name, organisation, role,
    state (invited, active, locked or disabled) and last sign-in. Never a secret."""
    lines = people.list_people(sessions=sessions_for(load_settings()), now=datetime.now(UTC))
    typer.echo("email\tname\torganisation\trole\tstate\tlast_sign_in")
    for line in lines:
        last = line.last_signed_in_at.isoformat() if line.last_signed_in_at else "-"
        typer.echo(
            "\t".join([line.email, line.name, line.organisation, line.role, line.state, last])
        )


@user_app.command("reset")
def user_reset(
    email: Annotated[str, typer.Option(help="The person's e-mail address.")],
) -> None:
    """Clear the password, end every session and print a new one-time secret alone on the last
    line (for a person who forgot their password or is locked out)."""
    try:
        secret = people.reset_person(
            sessions=sessions_for(load_settings()), email=email, now=datetime.now(UTC)
        )
    except OvergangError as error:
        fail(error.detail)
    days = ONE_TIME_SECRET_LIFETIME.days
    typer.echo(
        f"{email.strip().lower()}: password cleared and sessions ended; they sign in at /login "
        f"within {days} days with this one-time secret, then choose a password:"
    )
    typer.echo(secret)


@user_app.command("disable")
def user_disable(
    email: Annotated[str, typer.Option(help="The person's e-mail address.")],
) -> None:
    """End the person's sessions at once and refuse their sign-in, by password and by single
    sign-on, until `user enable`."""
    _set_disabled(email, disabled=True)
    typer.echo(f"{email.strip().lower()} is disabled; their sessions have ended")


@user_app.command("enable")
def user_enable(
    email: Annotated[str, typer.Option(help="The person's e-mail address.")],
) -> None:
    """Let a disabled person sign in again (with the password or secret they had)."""
    _set_disabled(email, disabled=False)
    typer.echo(f"{email.strip().lower()} may sign in again")


def _set_disabled(email: str, *, disabled: bool) -> None:
    try:
        people.set_disabled(
            sessions=sessions_for(load_settings()),
            email=email,
            disabled=disabled,
            now=datetime.now(UTC),
        )
    except OvergangError as error:
        fail(error.detail)
