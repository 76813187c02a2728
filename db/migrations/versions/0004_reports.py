"""reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:37:04.118406
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("occurred", sa.String(length=32), nullable=False),
        sa.Column("danger", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("place_enc", sa.Text(), nullable=True),
        sa.Column("reporter_enc", sa.Text(), nullable=False),
        sa.Column("reporter_tag", sa.String(length=64), nullable=False),
        sa.Column("reporter_lang", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_to", sa.BigInteger(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('new', 'in_review', 'referred', 'resolved', 'closed')",
            name=op.f("ck_reports_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("ref", name=op.f("uq_reports_ref")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_reporter_tag"), ["reporter_tag"], unique=False)
        batch_op.create_index("ix_reports_status_region", ["status", "region"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "report_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_id_enc", sa.Text(), nullable=False),
        sa.Column("file_name_enc", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(length=128), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_attachments_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attachments")),
    )
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_attachments_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "report_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "author IN ('reporter', 'coordinator', 'note')", name=op.f("ck_report_messages_author")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_messages_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_messages")),
    )
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_messages_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_messages_report_id"))

    op.drop_table("report_messages")
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_attachments_report_id"))

    op.drop_table("report_attachments")
    op.drop_table("settings")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_status_region")
        batch_op.drop_index(batch_op.f("ix_reports_reporter_tag"))

    op.drop_table("reports")
