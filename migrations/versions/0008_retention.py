"""retention: payloads emptied when due, closed episodes pseudonymised, undelivered reported

Existing rows keep everything they hold; the first `overgang retention run` empties what is due.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from overgang.storage.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("received_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payload_deleted_at", UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.alter_column("cpr", existing_type=sa.String(length=10), nullable=True)
        batch_op.add_column(sa.Column("citizen_key", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("pseudonymised_at", UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_episodes_citizen_key"), ["citizen_key"], unique=False)

    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undelivered_reported_at", UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("payload_deleted_at", UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # A pseudonymised episode has no CPR number to restore: such a database cannot go back.
    pseudonymised = op.get_bind().scalar(sa.text("SELECT count(*) FROM episodes WHERE cpr IS NULL"))
    if pseudonymised:
        raise RuntimeError(f"{pseudonymised} episodes are pseudonymised: 0008 cannot be undone")
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_column("payload_deleted_at")
        batch_op.drop_column("undelivered_reported_at")

    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episodes_citizen_key"))
        batch_op.drop_column("pseudonymised_at")
        batch_op.drop_column("citizen_key")
        batch_op.alter_column("cpr", existing_type=sa.String(length=10), nullable=False)

    with op.batch_alter_table("received_messages", schema=None) as batch_op:
        batch_op.drop_column("payload_deleted_at")
