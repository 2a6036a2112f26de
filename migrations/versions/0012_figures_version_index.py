"""figures: an index on episodes.updated_at

Every figures page first asks for the newest change to an episode (storage.figures.data_version,
the figures cache's marker): with the index that is one look-up, not a scan of every episode.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_episodes_updated_at", "episodes", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_episodes_updated_at", table_name="episodes")
