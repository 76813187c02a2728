"""a reporter may withdraw her report; each report keeps its history of statuses

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "status IN ('new', 'in_review', 'referred', 'resolved', 'closed')"
NEW = "status IN ('new', 'in_review', 'referred', 'resolved', 'closed', 'withdrawn')"


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history_enc", sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f("ck_reports_status"), type_="check")
        batch_op.create_check_constraint("status", NEW)


def downgrade() -> None:
    op.execute("UPDATE reports SET status = 'closed' WHERE status = 'withdrawn'")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_reports_status"), type_="check")
        batch_op.create_check_constraint("status", OLD)
        batch_op.drop_column("history_enc")
