"""muted senders

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-30 00:26:21.864472
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "muted_senders",
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("user_enc", sa.Text(), nullable=False),
        sa.Column("muted_by_enc", sa.Text(), nullable=False),
        sa.Column("muted_on", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_muted_senders")),
    )


def downgrade() -> None:

    op.drop_table("muted_senders")
