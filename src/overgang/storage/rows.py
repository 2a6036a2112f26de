"""Inserting new rows with Core INSERTs instead of the unit of work.

The ORM's flush works out an order, tracks state and loads defaults back for every object it
inserts; on the intake path that bookkeeping cost more CPU than the statements themselves. Rows
that are written once and never changed in the same transaction go in through `insert_new`:
one INSERT per table (many rows in one executemany), in the order given, so a row goes after
the rows its foreign keys name.
"""

from __future__ import annotations

import functools
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import Session

from overgang.storage.models import Base


def insert_new(session: Session, *rows: Base) -> None:
    """INSERT `rows` now. They stay outside the session: a later change to one is not saved."""
    _flush_added(session)
    valued = [(type(row), _values(row)) for row in rows]
    for (model, _), group in groupby(valued, key=lambda pair: (pair[0], frozenset(pair[1]))):
        # On the connection: the session's execute would autoflush and track the statement.
        session.connection().execute(_insert_into(model), [values for _, values in group])


def insert_values(session: Session, model: type[Base], values: dict[str, Any]) -> None:
    """INSERT one row of `model` from its column values, without making an object of it."""
    _flush_added(session)
    session.connection().execute(_insert_into(model), values)


def _flush_added(session: Session) -> None:
    if session.new:
        session.flush()  # objects added the usual way may be what these rows refer to


@functools.cache
def _insert_into(model: type[Base]) -> Insert:
    # Built once per table: building and keying a statement costs more than running it cached.
    return insert(cast(Table, model.__table__))


@functools.cache
def _columns(model: type[Base]) -> tuple[tuple[str, str], ...]:
    """(attribute, column) names of the model's columns."""
    return tuple((prop.key, prop.columns[0].key) for prop in inspect(model).column_attrs)


def _values(row: Base) -> dict[str, Any]:
    """The row's column values that were set; a column left unset gets its default."""
    state = vars(row)
    return {column: state[key] for key, column in _columns(type(row)) if key in state}
