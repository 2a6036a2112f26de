"""`overgang retention run [--dry-run]`: delete what the retention schedule has due."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from overgang.cli.common import load_settings
from overgang.service import retention
from overgang.service.database import sessions_for

retention_app = typer.Typer(no_args_is_help=True, help="Retention of personal data.")


@retention_app.command("run")
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what is due; change nothing.")
    ] = False,
) -> None:
    """Report undelivered messages, empty payloads, pseudonymise closed episodes and delete old
    audit rows as the OVERGANG_RETENTION_* settings say; print how many of each (never whom)."""
    settings = load_settings()
    report = retention.run_retention(
        sessions=sessions_for(settings), settings=settings, now=datetime.now(UTC), dry_run=dry_run
    )
    verb = "due (dry run, nothing changed)" if report.dry_run else "done"
    typer.echo(f"kind\t{verb}")
    for kind, count in report.counts.items():
        typer.echo(f"{kind.value}\t{count}")
