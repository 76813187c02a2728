"""members listed in the order they joined, from an index

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 00:50:00.000000

The members desk shows the members in the order they joined, a page at a time (LIMIT and
OFFSET): with this index the database reads the page's rows in order instead of sorting every
member for every page.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index("ix_members_joined", ["joined_at", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_joined")
