"""SMART Backend Services clients, static-token expiry and rotation, used assertion ids and
Overgang's generated signing key (issue 11)

Existing clients all hold static tokens, so they become kind `static`.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import overgang.storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column(
                "token_expires_at", overgang.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("previous_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_token_until",
                overgang.storage.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("jwks", JSON_DOCUMENT, nullable=True))
        batch_op.add_column(sa.Column("jwks_url", sa.String(length=2000), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_api_clients_previous_token_hash"), ["previous_token_hash"]
        )
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=True)
    op.execute("UPDATE api_clients SET kind = 'static'")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=8), nullable=False)

    op.create_table(
        "used_client_assertions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", overgang.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.id"],
            name=op.f("fk_used_client_assertions_client_id_api_clients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_used_client_assertions")),
        sa.UniqueConstraint("client_id", "jti", name=op.f("uq_used_client_assertions_client_id")),
    )
    op.create_index(
        op.f("ix_used_client_assertions_expires_at"),
        "used_client_assertions",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_jwk", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", overgang.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )


def downgrade() -> None:
    # SMART clients have no static token and cannot exist before this revision.
    op.drop_table("signing_keys")
    op.drop_index(op.f("ix_used_client_assertions_expires_at"), table_name="used_client_assertions")
    op.drop_table("used_client_assertions")
    op.execute("DELETE FROM api_clients WHERE token_hash IS NULL")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_api_clients_previous_token_hash"), type_="unique")
        batch_op.drop_column("jwks_url")
        batch_op.drop_column("jwks")
        batch_op.drop_column("previous_token_until")
        batch_op.drop_column("previous_token_hash")
        batch_op.drop_column("token_expires_at")
        batch_op.drop_column("kind")
