"""The agreed transition checklist files."""

from __future__ import annotations

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
from overgang.cli.common import fail, load_settings
from overgang.config import Settings

checklist_app = typer.Typer(no_args_is_help=True, help="The agreed transition checklist.")


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
    catalog = load_catalog(load_settings())
    definitions = [catalog.for_pathway(pathway)] if pathway else list(catalog.active())
    for definition in definitions:
        typer.echo(format_table(definition))
        typer.echo("")


def load_catalog(settings: Settings) -> ChecklistCatalog:
    try:
        return load_checklists(settings.checklist_dir or default_checklist_dir())
    except ChecklistFileError as error:
        fail(f"the checklist files cannot be used:\n{error}")
        raise  # _fail exits; this keeps the type checker informed
