"""ux: copies of delivered messages to edit later, photo captions, files in replies

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 00:28:46.445674
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sent_copies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_enc", sa.Text(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_copies")),
    )
    with op.batch_alter_table("sent_copies", schema=None) as batch_op:
        batch_op.create_index("ix_sent_copies_subject", ["kind", "subject_id"], unique=False)

    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caption_enc", sa.Text(), nullable=True))

    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("file_id_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.drop_column("file_id_enc")
        batch_op.drop_column("file_kind")

    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.drop_column("caption_enc")

    with op.batch_alter_table("sent_copies", schema=None) as batch_op:
        batch_op.drop_index("ix_sent_copies_subject")

    op.drop_table("sent_copies")
