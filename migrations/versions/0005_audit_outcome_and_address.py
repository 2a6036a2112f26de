"""audit rows say where the call came from and how it ended

Existing rows were all written for reads that succeeded, so they are `allowed`; their client
address was not kept.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_address", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
    op.execute("UPDATE audit_events SET outcome = 'allowed'")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("outcome", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("client_address")
