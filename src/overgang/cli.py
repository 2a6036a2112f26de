"""The operator's command line: `overgang db|org|client|audit|serve|demo`."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from overgang.checklist import (
    ChecklistCatalog,
    ChecklistFileError,
    check_file,
    default_checklist_dir,
    format_table,
    load_checklists,
    read_checklist_file,
)
from overgang.config import Settings
from overgang.errors import OvergangError
from overgang.service import partners
from overgang.storage import audit as audit_store
from overgang.storage.db import create_db_engine, session_factory, transaction, upgrade_database

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="The database.")
org_app = typer.Typer(no_args_is_help=True, help="Partner organisations.")
client_app = typer.Typer(no_args_is_help=True, help="API clients and their tokens.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of reads of personal data.")
checklist_app = typer.Typer(no_args_is_help=True, help="The agreed transition checklist.")
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(client_app, name="client")
app.add_typer(audit_app, name="audit")
app.add_typer(checklist_app, name="checklist")

# The example stay's partners (../shared/domain/examples): a psychiatric ward and Aalborg.
DEMO_HOSPITAL = {
    "sor": "1144561000016002",
    "gln": "5790001382445",
    "name": "Psykiatrien, Afsnit S4, Aalborg",
}
DEMO_MUNICIPALITY = {"code": "0851", "sor": "953741000016009", "gln": "5790001348120"}


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _sessions(settings: Settings):  # type: ignore[no-untyped-def]
    return session_factory(create_db_engine(settings.database_url))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database (OVERGANG_DATABASE_URL) to the newest schema."""
    upgrade_database(Settings().database_url)
    typer.echo("database is at the newest schema")


@org_app.command("add-hospital")
def add_hospital(
    sor: Annotated[str, typer.Option(help="The ward's SOR id.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    gln: Annotated[str | None, typer.Option(help="The ward's GLN (13 digits).")] = None,
) -> None:
    """Register a hospital ward that may send messages."""
    try:
        with transaction(_sessions(Settings())) as session:
            organisation = partners.add_hospital(
                session=session, sor=sor, name=name, gln=gln, now=datetime.now(UTC)
            )
            typer.echo(f"hospital {organisation.sor} registered: {organisation.id}")
    except OvergangError as error:
        _fail(error.detail)


@org_app.command("add-municipality")
def add_municipality(
    code: Annotated[str, typer.Option(help="Municipality code, e.g. 0851.")],
    sor: Annotated[str, typer.Option(help="The receiving system's SOR id.")],
    gln: Annotated[str, typer.Option(help="The receiving system's GLN.")],
    name: Annotated[str | None, typer.Option(help="Defaults to '<name> Kommune'.")] = None,
) -> None:
    """Register a municipality that receives messages."""
    try:
        with transaction(_sessions(Settings())) as session:
            organisation = partners.add_municipality(
                session=session, code=code, sor=sor, gln=gln, name=name, now=datetime.now(UTC)
            )
            typer.echo(
                f"municipality {organisation.municipality_code} registered: {organisation.id}"
            )
    except OvergangError as error:
        _fail(error.detail)


@client_app.command("create")
def client_create(
    org: Annotated[str, typer.Option(help="The organisation's SOR id or municipality code.")],
    name: Annotated[str, typer.Option(help="What the client is, e.g. 'EPJ production'.")],
) -> None:
    """Create an API client; prints its bearer token alone on the last line (shown only once)."""
    try:
        with transaction(_sessions(Settings())) as session:
            client, token = partners.create_client(
                session=session, org=org, name=name, now=datetime.now(UTC)
            )
            typer.echo(f"client {client.id} created; its token follows and is not shown again:")
            typer.echo(token)
    except OvergangError as error:
        _fail(error.detail)


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str, typer.Option(help="ISO date or datetime, or a duration such as 24h or 7d.")
    ] = "24h",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """Print who read which personal data since a point in time, one tab-separated line each."""
    try:
        start = _parse_since(since)
    except ValueError:
        _fail("--since takes an ISO date/datetime or a duration like 24h or 7d")
        return
    with transaction(_sessions(Settings())) as session:
        events = audit_store.list_audit_events(session=session, since=start, limit=limit)
        typer.echo("at\taction\tresource\tclient\torganisation\tepisodes\trequest_id")
        for event in events:
            typer.echo(
                "\t".join(
                    [
                        event.at.isoformat(),
                        event.action,
                        f"{event.resource_type}:{event.resource_id or '-'}",
                        str(event.api_client_id),
                        str(event.organisation_id),
                        ",".join(event.episode_ids) or "-",
                        event.request_id or "-",
                    ]
                )
            )


@checklist_app.command("check")
def checklist_check(
    file: Annotated[Path, typer.Argument(help="A checklist file (YAML or JSON) to validate.")],
) -> None:
    """Validate a new checklist version before deploying it: exit 0, or its problems and exit 1."""
    problems = check_file(file)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(code=1)
    definition = read_checklist_file(file)
    typer.echo(
        f"{file}: valid ({definition.id} v{definition.version}, {len(definition.items)} items)"
    )


@checklist_app.command("show")
def checklist_show(
    pathway: Annotated[
        str | None, typer.Option(help="adult or child-youth; all active checklists by default.")
    ] = None,
) -> None:
    """Print the active checklist items as a table (OVERGANG_CHECKLIST_DIR or the defaults)."""
    catalog = _checklists(Settings())
    definitions = [catalog.for_pathway(pathway)] if pathway else list(catalog.active())
    for definition in definitions:
        typer.echo(format_table(definition))
        typer.echo("")


def _checklists(settings: Settings) -> ChecklistCatalog:
    try:
        return load_checklists(settings.checklist_dir or default_checklist_dir())
    except ChecklistFileError as error:
        _fail(f"the checklist files cannot be used:\n{error}")
        raise  # _fail exits; this keeps the type checker informed


def _parse_since(value: str) -> datetime:
    units = {"h": "hours", "d": "days", "m": "minutes"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the API. On the embedded SQLite default the database is migrated first."""
    import uvicorn

    from overgang.api.app import create_app
    from overgang.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    _checklists(settings)  # refuse to start on a broken checklist file, saying which and why
    if settings.is_sqlite:
        upgrade_database(settings.database_url)
    # uvicorn finishes in-flight requests on SIGTERM/SIGINT, then re-raises the signal; this
    # handler turns that final signal into a normal exit (status 0) for process supervisors.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        create_app(settings), host=host, port=port, log_config=None, timeout_graceful_shutdown=20
    )


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    tokens_file: Annotated[Path, typer.Option(help="Where the demo tokens are written.")] = Path(
        "demo-tokens.env"
    ),
) -> None:
    """Set up the example stay's partners with fresh tokens, then serve on localhost."""
    settings = Settings()
    upgrade_database(settings.database_url)
    now = datetime.now(UTC)
    with transaction(_sessions(settings)) as session:
        from overgang.storage.partners import find_organisation_by_sor

        if find_organisation_by_sor(session=session, sor=DEMO_HOSPITAL["sor"]) is None:
            partners.add_hospital(session=session, now=now, **DEMO_HOSPITAL)
        if find_organisation_by_sor(session=session, sor=DEMO_MUNICIPALITY["sor"]) is None:
            partners.add_municipality(session=session, now=now, name=None, **DEMO_MUNICIPALITY)
        _, hospital_token = partners.create_client(
            session=session, org=DEMO_HOSPITAL["sor"], name="demo EPJ", now=now
        )
        _, municipality_token = partners.create_client(
            session=session, org=DEMO_MUNICIPALITY["code"], name="demo case system", now=now
        )
    tokens_file.write_text(
        f"HOSPITAL_TOKEN={hospital_token}\nAALBORG_TOKEN={municipality_token}\n"
        f"OVERGANG=http://127.0.0.1:{port}\n"
    )
    tokens_file.chmod(0o600)
    typer.echo(
        f"Overgang demo on http://127.0.0.1:{port} (API docs: http://127.0.0.1:{port}/docs)\n"
        f"Database: {settings.database_url}\n"
        f"Tokens for the example hospital and Aalborg Kommune are in {tokens_file.resolve()}:\n"
        f"  source {tokens_file}   # then follow the README walkthrough\n"
        "Stop with Ctrl-C.",
        err=True,
    )
    serve(host="127.0.0.1", port=port)


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (YAML) of the API: `overgang openapi > openapi.yaml`."""
    from overgang.api.openapi_document import openapi_yaml

    typer.echo(openapi_yaml(), nl=False)


def main() -> None:
    try:
        app()
    except OvergangError as error:  # pragma: no cover - the commands report their own
        typer.echo(f"error: {error.detail}", err=True)
        sys.exit(1)
