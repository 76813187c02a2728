"""resolution versions and file cache

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:21:11.325440
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_cache",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_file_cache")),
    )
    op.create_table(
        "resolution_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("official", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.BigInteger(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("official_by", sa.BigInteger(), nullable=True),
        sa.Column("official_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'discarded')",
            name=op.f("ck_resolution_versions_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_versions")),
    )
    with op.batch_alter_table("resolution_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resolution_versions_lang_status", ["lang", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("resolution_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_resolution_versions_lang_status")

    op.drop_table("resolution_versions")
    op.drop_table("file_cache")
