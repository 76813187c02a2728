"""timestamps with time zone on PostgreSQL

Every datetime is UTC (db.types.UTCDateTime). On PostgreSQL the columns become
`timestamp with time zone`, so that the stored value is an absolute moment whatever the time
zone of whoever reads it (psql, pg_dump, a report tool). The naive values written before are
read as UTC. SQLite has no such type: nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every datetime column at revision 0004 (a list, not the models: they change later).
DATETIME_COLUMNS = {
    "users": ("first_seen", "last_seen", "blocked_at"),
    "ptb_user_data": ("updated_at",),
    "ptb_chat_data": ("updated_at",),
    "ptb_bot_data": ("updated_at",),
    "ptb_conversations": ("updated_at",),
    "resolution_versions": ("created_at", "published_at", "official_at"),
    "file_cache": ("created_at",),
    "audit_log": ("at",),
    "members": ("consent_at", "joined_at", "decided_at"),
    "role_grants": ("granted_at",),
    "reports": ("created_at", "updated_at", "raised_at"),
    "report_attachments": ("added_at",),
    "report_messages": ("at",),
    "settings": ("updated_at",),
}


def _convert(to_time_zone: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in DATETIME_COLUMNS.items():
        for column in columns:
            # AT TIME ZONE 'UTC' turns naive UTC into the moment, and the moment back into UTC.
            op.alter_column(
                table,
                column,
                type_=sa.DateTime(timezone=to_time_zone),
                existing_type=sa.DateTime(timezone=not to_time_zone),
                postgresql_using=f"\"{column}\" AT TIME ZONE 'UTC'",
            )


def upgrade() -> None:
    _convert(to_time_zone=True)


def downgrade() -> None:
    _convert(to_time_zone=False)
