"""events, their answers and updates

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30 00:26:54.854271
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_key", sa.String(length=64), nullable=False),
        sa.Column("organiser_enc", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title_enc", sa.Text(), nullable=False),
        sa.Column("description_enc", sa.Text(), nullable=False),
        sa.Column("place_enc", sa.Text(), nullable=True),
        sa.Column("geo_enc", sa.Text(), nullable=True),
        sa.Column("link_enc", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cancel_reason_enc", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reminded_day_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_soon_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("women", sa.Integer(), nullable=True),
        sa.Column("men", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("outcome_enc", sa.Text(), nullable=True),
        sa.Column("outcome_by_enc", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('published', 'cancelled')", name=op.f("ck_events_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("draft_key", name=op.f("uq_events_draft_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_region"), ["region"], unique=False)
        batch_op.create_index("ix_events_status_starts_at", ["status", "starts_at"], unique=False)

    op.create_table(
        "event_answers",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer IN ('going', 'maybe', 'no', 'waiting')", name=op.f("ck_event_answers_answer")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_answers_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_event_answers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_event_answers")),
    )
    with op.batch_alter_table("event_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_answers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "event_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("body_enc", sa.Text(), nullable=False),
        sa.Column("by_enc", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('edit', 'message')", name=op.f("ck_event_updates_kind")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_updates_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_updates")),
    )
    with op.batch_alter_table("event_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_updates_event_id"), ["event_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("event_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_updates_event_id"))

    op.drop_table("event_updates")
    with op.batch_alter_table("event_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_answers_user_id"))

    op.drop_table("event_answers")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_starts_at")
        batch_op.drop_index(batch_op.f("ix_events_region"))

    op.drop_table("events")
