"""announcements

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30 00:40:03.755882
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author_enc", sa.Text(), nullable=False),
        sa.Column("author_tag", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("content_enc", sa.Text(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')",
            name=op.f("ck_announcements_status"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["outbox_batches.id"],
            name=op.f("fk_announcements_batch_id_outbox_batches"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcements_author_tag"), ["author_tag"], unique=False
        )
        batch_op.create_index(
            "ix_announcements_status_scheduled_for", ["status", "scheduled_for"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index("ix_announcements_status_scheduled_for")
        batch_op.drop_index(batch_op.f("ix_announcements_author_tag"))

    op.drop_table("announcements")
