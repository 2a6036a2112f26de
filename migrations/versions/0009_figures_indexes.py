"""figures: indexes for the board's live lists and figures

Open episodes by state, discharge and plan events by code, unacknowledged inbox messages by
status: each list reads a small part of a large table.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_episodes_state", "episodes", "state"),
    ("ix_episode_events_code", "episode_events", "code"),
    ("ix_inbox_messages_status", "inbox_messages", "status"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
