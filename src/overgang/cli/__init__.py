"""The operator's command line: `overgang db|org|client|audit|checklist|webhook|deliveries|secrets|serve|worker|demo`."""

from __future__ import annotations

import typer

from overgang.cli import listen, operations, simulate
from overgang.cli.checklist import checklist_app
from overgang.cli.delivery import deliveries_app, secrets_app, webhook_app
from overgang.cli.partners import client_app, org_app
from overgang.cli.people import user_app
from overgang.cli.retention import retention_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(operations.db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(client_app, name="client")
app.add_typer(operations.audit_app, name="audit")
app.add_typer(checklist_app, name="checklist")
app.add_typer(webhook_app, name="webhook")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(retention_app, name="retention")
app.add_typer(secrets_app, name="secrets")
app.add_typer(user_app, name="user")  # people on the transition board
for command in (operations.serve, operations.worker, operations.demo, operations.openapi):
    app.command()(command)
app.command()(simulate.simulate)
app.command()(listen.listen)


def main() -> None:
    app()
