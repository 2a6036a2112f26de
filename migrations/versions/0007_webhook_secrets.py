"""webhook secrets sealed at rest, rotation with an overlap, ed25519 endpoints

The migration cannot know the encryption key (it lives in OVERGANG_SECRET_KEYS, not in the
database), so the secrets stored so far stay in the clear, marked by a NULL `secret_key_id`;
`overgang serve`/`worker` seal them at start-up, or `overgang secrets reencrypt` does. Every
existing endpoint signs with HMAC-SHA256. Downgrading is refused while any secret is sealed:
the old schema could only keep it in the clear.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from overgang.storage.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.alter_column(
            "secret",
            new_column_name="sealed_secret",
            existing_type=sa.String(length=128),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("secret_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("scheme", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("previous_sealed_secret", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("previous_secret_key_id", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("previous_secret_until", UTCDateTime(), nullable=True))
    op.execute("UPDATE webhook_endpoints SET scheme = 'hmac-sha256'")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.alter_column("scheme", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    sealed = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM webhook_endpoints"
            " WHERE secret_key_id IS NOT NULL OR scheme <> 'hmac-sha256'"
        )
    )
    if sealed:
        raise RuntimeError(
            f"{sealed} webhook endpoints have sealed or ed25519 secrets, which revision 0005 "
            "cannot hold: delete those endpoints (or restore a backup) before downgrading"
        )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_column("previous_secret_until")
        batch_op.drop_column("previous_secret_key_id")
        batch_op.drop_column("previous_sealed_secret")
        batch_op.drop_column("public_key")
        batch_op.drop_column("scheme")
        batch_op.drop_column("secret_key_id")
        batch_op.alter_column(
            "sealed_secret",
            new_column_name="secret",
            existing_type=sa.Text(),
            type_=sa.String(length=128),
            existing_nullable=False,
        )
