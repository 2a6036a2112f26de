"""Running and operating Overgang: database, server, worker, demo, audit, OpenAPI."""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from overgang.cli.checklist import load_catalog
from overgang.cli.common import fail, load_settings, parse_since, use_development_secret_keys
from overgang.cli.delivery import prepare_webhook_secrets
from overgang.service import audit, database, partners
from overgang.service.database import sessions_for
from overgang.simulate.demo import seed_history

db_app = typer.Typer(no_args_is_help=True, help="The database.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of accesses to personal data.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database (OVERGANG_DATABASE_URL) to the newest schema."""
    database.upgrade(database_url=load_settings().database_url)
    typer.echo("database is at the newest schema")


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str, typer.Option(help="ISO date or datetime, or a duration such as 24h or 7d.")
    ] = "24h",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """Print who read or wrote which personal data, or was refused, since a point in time: one
    tab-separated line each, in the names the API uses (episode identifiers, SOR or
    municipality code, client names)."""
    try:
        start = parse_since(since)
    except ValueError:
        fail("--since takes an ISO date/datetime or a duration like 24h or 7d")
        return
    lines = audit.list_trail(sessions=sessions_for(load_settings()), since=start, limit=limit)
    typer.echo(
        "at\taction\tresource\tclient\torganisation\tclient_address\toutcome\tepisodes\trequest_id"
    )
    for line in lines:
        typer.echo(
            "\t".join(
                [
                    line.at.isoformat(),
                    line.action,
                    line.resource,
                    line.client,
                    line.organisation,
                    line.client_address,
                    line.outcome,
                    ",".join(line.episodes) or "-",
                    line.request_id,
                ]
            )
        )


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    worker: Annotated[
        bool,
        typer.Option("--worker/--no-worker", help="Run the webhook sender in this process too."),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="API processes. Python runs one thread at a time per process: on PostgreSQL "
            "(or SQLite) more processes use more cores.",
        ),
    ] = 1,
) -> None:
    """Run the API (and the webhook sender). On the embedded SQLite default the database is
    migrated first."""
    import uvicorn

    from overgang.api.app import create_app
    from overgang.logs import configure_logging

    if not worker:
        os.environ["OVERGANG_RUN_WORKER"] = "false"  # read again by each worker process
    settings = load_settings()
    configure_logging(settings.log_level)
    load_catalog(settings)  # refuse to start on a broken checklist file, saying which and why
    if settings.is_sqlite:
        database.upgrade(database_url=settings.database_url)
    prepare_webhook_secrets(settings)
    # uvicorn finishes in-flight requests on SIGTERM/SIGINT, then re-raises the signal; this
    # handler turns that final signal into a normal exit (status 0) for process supervisors.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "timeout_graceful_shutdown": 20,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
    else:
        # Each process makes its own app (and engine, and sender) from the environment.
        uvicorn.run(
            "overgang.api.app:app_from_environment", factory=True, workers=workers, **options
        )


def worker() -> None:
    """Run the webhook sender alone (several may share one PostgreSQL database)."""
    import signal as signals
    import threading

    from overgang.logs import configure_logging
    from overgang.service.worker import DeliveryWorker

    settings = load_settings()
    configure_logging(settings.log_level)
    prepare_webhook_secrets(settings)
    delivery = DeliveryWorker(sessions=sessions_for(settings), settings=settings)
    stopped = threading.Event()
    for signum in (signals.SIGTERM, signals.SIGINT):
        signals.signal(signum, lambda *_: stopped.set())
    delivery.start()
    stopped.wait()
    delivery.stop()


def demo(
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    tokens_file: Annotated[Path, typer.Option(help="Where the demo tokens are written.")] = Path(
        "demo-tokens.env"
    ),
) -> None:
    """Set up the example stay's partners with fresh tokens, then serve on localhost."""
    use_development_secret_keys()
    # `overgang listen` registers a plain-http receiver on this machine.
    os.environ.setdefault("OVERGANG_ALLOW_INSECURE_WEBHOOKS", "1")
    settings = load_settings()
    database.upgrade(database_url=settings.database_url)
    tokens = partners.setup_demo_partners(sessions=sessions_for(settings), now=datetime.now(UTC))
    # A few simulated weeks of the region first (once per database, a few seconds).
    history = seed_history(
        settings, leave_for_the_reader=frozenset({partners.DEMO_MUNICIPALITY["code"]})
    )
    if history:
        typer.echo(f"History: {history}", err=True)
    tokens_file.write_text(
        f"HOSPITAL_TOKEN={tokens.hospital}\nAALBORG_TOKEN={tokens.municipality}\n"
        f"OVERGANG=http://127.0.0.1:{port}\n"
    )
    tokens_file.chmod(0o600)
    sign_ins = "".join(f"  {email}  {secret}\n" for email, secret in tokens.coordinators)
    typer.echo(
        f"Overgang demo on http://127.0.0.1:{port} (API docs: http://127.0.0.1:{port}/docs)\n"
        f"Database: {settings.database_url}\n"
        f"Tokens for the example hospital and Aalborg Kommune are in {tokens_file.resolve()}:\n"
        f"  source {tokens_file}   # then follow the README walkthrough\n"
        f"The board: http://localhost:{port}/login - sign in as a coordinator of Aalborg Kommune "
        "or of Region Nordjylland with the e-mail and its one-time secret (new on each run), "
        "then choose a password:\n"
        f"{sign_ins}"
        "Stop with Ctrl-C.",
        err=True,
    )
    serve(host="127.0.0.1", port=port, worker=True)


def openapi() -> None:
    """Print the OpenAPI document (YAML) of the API: `overgang openapi > openapi.yaml`."""
    from overgang.api.openapi_document import openapi_yaml

    typer.echo(openapi_yaml(), nl=False)
