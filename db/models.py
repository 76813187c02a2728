"""SQLAlchemy models. Telegram ids are BigInteger; datetimes are UTC (see db.types)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """Everyone who has written to the bot."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Encrypted (db.cipher), like everything that tells who wrote to this bot.
    first_name: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text)
    # Her own choice (ky/ru/en); None until she picks one.
    language: Mapped[str | None] = mapped_column(String(2))
    # What her Telegram app reports, kept to resolve her language before she picks one.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PersistedUserData(Base):
    """python-telegram-bot's per-user data (JSON)."""

    __tablename__ = "ptb_user_data"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersistedChatData(Base):
    """python-telegram-bot's per-chat data (JSON)."""

    __tablename__ = "ptb_chat_data"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersistedBotData(Base):
    """python-telegram-bot's bot-wide data (JSON); a single row with id 1."""

    __tablename__ = "ptb_bot_data"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationState(Base):
    """The state of one person in one named ConversationHandler."""

    __tablename__ = "ptb_conversations"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A keyed hash of the conversation key (chat id, user id): who is filling in a report
    # right now must not be readable from the database. The key itself is kept encrypted.
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    key_enc: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResolutionVersion(Base):
    """A text of the resolution in one language, uploaded by a coordinator. Never deleted."""

    __tablename__ = "resolution_versions"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'discarded')", name="status"),
        Index("ix_resolution_versions_lang_status", "lang", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lang: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    official: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    uploaded_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    official_by: Mapped[int | None] = mapped_column(BigInteger)
    official_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FileCache(Base):
    """Telegram file_ids of documents the bot has uploaded once, to re-send without uploading."""

    __tablename__ = "file_cache"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    """A member of the solidarity community. Name, district and phone are encrypted at rest."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved')", name="status"),
        CheckConstraint("notify_events IN ('region', 'all', 'none')", name="notify_events"),
        Index("ix_members_region_status", "region", "status"),
        # The members desk pages through members in the order they joined.
        Index("ix_members_joined", "joined_at", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name_enc: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(16))
    district_enc: Mapped[str | None] = mapped_column(Text)
    occupation: Mapped[str] = mapped_column(String(16))
    interests: Mapped[str] = mapped_column(String(256))  # comma-separated codes
    phone_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notify_events: Mapped[str] = mapped_column(String(8), default="region", server_default="region")
    notify_announcements: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class RoleGrant(Base):
    """A role given from chat: coordinator, or lead of one region (one row per region)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint("role IN ('coordinator', 'lead')", name="role"),
        UniqueConstraint("user_id", "role", "region", name="uq_role_grants_user_role_region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(16))
    granted_by: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what, when. Details never hold personal data (no names, phones or texts)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(48))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[str] = mapped_column(Text, default="{}")


class Report(Base):
    """An incident report. Everything that could identify or endanger anyone is encrypted:
    the text, the place, the reporter's identity, and the link to the reporter (a keyed hash
    lets her find her own reports without storing who she is)."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('new', 'in_review', 'referred', 'resolved', 'closed')", name="status"
        ),
        Index("ix_reports_status_region", "status", "region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    category: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    occurred: Mapped[str] = mapped_column(String(32))  # today, yesterday, week or YYYY-MM-DD
    danger: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    text_enc: Mapped[str] = mapped_column(Text)
    place_enc: Mapped[str | None] = mapped_column(Text)
    reporter_enc: Mapped[str] = mapped_column(Text)  # JSON: id, name, username, phone
    reporter_tag: Mapped[str] = mapped_column(String(64), index=True)
    reporter_lang: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="new")
    assigned_to: Mapped[int | None] = mapped_column(BigInteger)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReportAttachment(Base):
    """A file sent with a report: encrypted on disk, with its SHA-256 taken at submission."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # photo, document, voice, video, video_note
    file_id_enc: Mapped[str] = mapped_column(Text)
    file_name_enc: Mapped[str | None] = mapped_column(Text)
    mime_type: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(256))  # relative to DATA_DIR


class ReportMessage(Base):
    """The thread of a report: the reporter's additions, coordinators' replies, internal notes."""

    __tablename__ = "report_messages"
    __table_args__ = (
        CheckConstraint("author IN ('reporter', 'coordinator', 'note')", name="author"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(BigInteger)  # coordinators only; never reporters
    text_enc: Mapped[str] = mapped_column(Text)


class Setting(Base):
    """Small documents coordinators edit from chat (e.g. the help-contacts directory)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The outbox: a message to someone other than the person being answered, kept until it is
    delivered (db/outbox.py). Ids and parameters only, never text; the recipient encrypted."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'cancelled')",
            name="status",
        ),
        Index("ix_outbox_queue", "status", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    priority: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    # A keyed hash of the chat (for pacing each chat); the chat itself is encrypted.
    recipient_tag: Mapped[str] = mapped_column(String(64), index=True)
    recipient_enc: Mapped[str] = mapped_column(Text)
    params_enc: Mapped[str] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("outbox_batches.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryBatch(Base):
    """Deliveries that belong together (an announcement, event notices, a danger alert): their
    progress is counted, and their figures are kept when they are done."""

    __tablename__ = "outbox_batches"
    __table_args__ = (CheckConstraint("status IN ('running', 'done', 'cancelled')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="running")
    params_enc: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
