"""episode owners and per-sender message identity (profile §7)

Existing data: a hospital registered without a region is its own owner, so every episode is
owned by the SOR of the hospital that started it, and its identifiers are scoped to that owner.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=5), nullable=True))

    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=18), nullable=True))
    op.execute(
        "UPDATE episodes SET owner = (SELECT sor FROM organisations"
        " WHERE organisations.id = episodes.hospital_organisation_id)"
    )
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.alter_column("owner", existing_type=sa.String(length=18), nullable=False)
        batch_op.create_index(batch_op.f("ix_episodes_owner"), ["owner"], unique=False)

    with op.batch_alter_table("episode_identifiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=18), nullable=True))
    op.execute(
        "UPDATE episode_identifiers SET owner = (SELECT owner FROM episodes"
        " WHERE episodes.id = episode_identifiers.episode_id)"
    )
    with op.batch_alter_table("episode_identifiers", schema=None) as batch_op:
        batch_op.alter_column("owner", existing_type=sa.String(length=18), nullable=False)
        batch_op.drop_constraint("uq_episode_identifiers_system", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_episode_identifiers_owner"), ["owner", "system", "value"]
        )

    with op.batch_alter_table("received_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_received_messages_header_id", type_="unique")
        batch_op.drop_index("ix_received_messages_bundle_id")
        batch_op.create_unique_constraint(
            batch_op.f("uq_received_messages_sender_organisation_id"),
            ["sender_organisation_id", "header_id"],
        )
        batch_op.create_index(
            "ix_received_messages_sender_bundle",
            ["sender_organisation_id", "bundle_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_received_messages_header_id"), ["header_id"], unique=False
        )


def downgrade() -> None:
    # Only safe while no two senders share a MessageHeader.id and no two owners an identifier.
    with op.batch_alter_table("received_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_messages_header_id"))
        batch_op.drop_index("ix_received_messages_sender_bundle")
        batch_op.drop_constraint(
            batch_op.f("uq_received_messages_sender_organisation_id"), type_="unique"
        )
        batch_op.create_index("ix_received_messages_bundle_id", ["bundle_id"], unique=False)
        batch_op.create_unique_constraint("uq_received_messages_header_id", ["header_id"])

    with op.batch_alter_table("episode_identifiers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_episode_identifiers_owner"), type_="unique")
        batch_op.create_unique_constraint("uq_episode_identifiers_system", ["system", "value"])
        batch_op.drop_column("owner")

    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episodes_owner"))
        batch_op.drop_column("owner")

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("region")
