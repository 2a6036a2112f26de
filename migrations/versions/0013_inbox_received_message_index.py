"""inbox messages: an index on received_message_id

Retention empties a received message once no inbox holds its content any more, asking that of
every received message due: without the index each question read the whole inbox, so the run
took time in the square of the messages kept (EXPLAIN QUERY PLAN: SCAN inbox_messages).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_inbox_messages_received_message_id",
        "inbox_messages",
        ["received_message_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_messages_received_message_id", table_name="inbox_messages")
