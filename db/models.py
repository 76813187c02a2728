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
    """python-telegram-bot's per-user data (JSON, encrypted). Found by a keyed hash of the user
    id, never the id itself (it is kept encrypted), so that a copy of the database cannot tell
    whose conversation data a row is; without SQLite's rowid, so that the order in which rows
    were made is not kept either."""

    __tablename__ = "ptb_user_data"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy reads it

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_enc: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersistedChatData(Base):
    """python-telegram-bot's per-chat data (JSON, encrypted), by a keyed hash of the chat id."""

    __tablename__ = "ptb_chat_data"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy reads it

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_enc: Mapped[str] = mapped_column(Text)
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
    # Who uploaded, published, marked it official: encrypted (they are coordinators).
    uploaded_by_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_enc: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    official_by_enc: Mapped[str | None] = mapped_column(Text)
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
    # Who decided (a coordinator or lead): encrypted.
    decided_by_enc: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notify_events: Mapped[str] = mapped_column(String(8), default="region", server_default="region")
    notify_announcements: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class RoleGrant(Base):
    """A role given from chat: coordinator, or lead of one region (one row per region). Who
    holds it is a keyed hash (to find her grants) and her id encrypted: a copy of the database
    does not tell who the coordinators and leads are."""

    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint("role IN ('coordinator', 'lead')", name="role"),
        UniqueConstraint("user_tag", "role", "region", name="uq_role_grants_user_role_region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_tag: Mapped[str] = mapped_column(String(64), index=True)
    user_enc: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(16))
    granted_by_enc: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what, on which day (the order of entries is their id). Details never hold
    personal data (no names, phones or texts); who acted and on what are encrypted, so that a
    copy of the database does not tell who viewed which report."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_enc: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(48))
    target_enc: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")


class Report(Base):
    """An incident report. Everything that could identify or endanger anyone is encrypted:
    the text, the place, the reporter's identity, and the link to the reporter (a keyed hash of
    her id with a salt of the report's own, so that her reports do not share a value). Its times
    are days (db.engine.Database.day)."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('new', 'in_review', 'referred', 'resolved', 'closed', 'withdrawn')",
            name="status",
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
    reporter_tag: Mapped[str] = mapped_column(String(64))
    reporter_salt: Mapped[str] = mapped_column(String(32))
    reporter_lang: Mapped[str] = mapped_column(String(2))
    # A keyed hash of the draft it was filed from: the same draft is filed once.
    filing_tag: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    assigned_enc: Mapped[str | None] = mapped_column(Text)  # the coordinator who took it
    # Encrypted JSON: [day, status] for its arrival and each change (what she sees as history).
    history_enc: Mapped[str | None] = mapped_column(Text)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReportAttachment(Base):
    """A file sent with a report: encrypted (and padded) on disk, with its SHA-256 and size
    taken at submission kept encrypted (a hash in clear would let anyone holding the photo
    confirm that it is here)."""

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
    integrity_enc: Mapped[str] = mapped_column(Text)  # JSON: sha256, size
    path: Mapped[str] = mapped_column(String(256))  # relative to DATA_DIR
    caption_enc: Mapped[str | None] = mapped_column(Text)  # what she wrote with the file


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
    author_enc: Mapped[str | None] = mapped_column(Text)  # coordinators only; never reporters
    text_enc: Mapped[str] = mapped_column(Text)
    # A photo or document a coordinator sent with a reply (its Telegram file_id, encrypted).
    file_kind: Mapped[str | None] = mapped_column(String(16))
    file_id_enc: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    """Small documents coordinators edit from chat (e.g. the help-contacts directory)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by_enc: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportCounter(Base):
    """The last report number given in a year: references are numbered from here, without
    counting reports or comparing their times."""

    __tablename__ = "report_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


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


class MutedSender(Base):
    """Someone the coordinators muted: her reports and additions are kept, but nobody is
    notified of them. Known only by a keyed hash of her id."""

    __tablename__ = "muted_senders"

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_enc: Mapped[str] = mapped_column(Text)  # her id, encrypted (a key rotation needs it)
    muted_by_enc: Mapped[str] = mapped_column(Text)  # who muted her (a coordinator), encrypted
    muted_on: Mapped[datetime] = mapped_column(UTCDateTime())  # the day only


class SentCopy(Base):
    """A message the outbox delivered that may have to change later: each approver's copy of
    a membership request (edited to say who decided), a reply in a reporter's chat (its Answer
    button taken away once the report is closed). The chat is encrypted: a reporter's chat
    would tell who she is."""

    __tablename__ = "sent_copies"
    __table_args__ = (Index("ix_sent_copies_subject", "kind", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)  # the member's id, the report's id
    chat_enc: Mapped[str] = mapped_column(Text)
    message_id: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Event(Base):
    """A local dialogue event announced by a regional lead or a coordinator. What the organiser
    wrote (title, description, place, pin, link), the reason of a cancellation and the notes
    of the outcome are encrypted at rest."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("status IN ('published', 'cancelled')", name="status"),
        Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The form's draft id: publishing the same draft twice makes one event.
    draft_key: Mapped[str] = mapped_column(String(64), unique=True)
    organiser_enc: Mapped[str] = mapped_column(Text)  # a lead or coordinator: encrypted
    region: Mapped[str | None] = mapped_column(String(16), index=True)  # None: whole country
    kind: Mapped[str] = mapped_column(String(16))
    title_enc: Mapped[str] = mapped_column(Text)
    description_enc: Mapped[str] = mapped_column(Text)
    place_enc: Mapped[str | None] = mapped_column(Text)
    geo_enc: Mapped[str | None] = mapped_column(Text)  # "latitude,longitude" of a pin
    link_enc: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration: Mapped[int | None] = mapped_column(Integer)  # minutes
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="published")
    cancel_reason_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=0)  # edits so far (.ics SEQUENCE)
    reminded_day_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    women: Mapped[int | None] = mapped_column(Integer)
    men: Mapped[int | None] = mapped_column(Integer)
    participants: Mapped[int | None] = mapped_column(Integer)
    outcome_enc: Mapped[str | None] = mapped_column(Text)
    outcome_by_enc: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EventAnswer(Base):
    """A member's answer to an event: going, maybe, no, or waiting (past the capacity; the
    waiting list is in the order of `since`)."""

    __tablename__ = "event_answers"
    __table_args__ = (
        CheckConstraint("answer IN ('going', 'maybe', 'no', 'waiting')", name="answer"),
    )

    event_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answer: Mapped[str] = mapped_column(String(8))
    since: Mapped[datetime] = mapped_column(UTCDateTime())


class EventUpdate(Base):
    """What an organiser told the people of an event: an edit (the changes, old and new) or a
    message to those going. Kept encrypted; the outbox rows that tell of it carry its id."""

    __tablename__ = "event_updates"
    __table_args__ = (CheckConstraint("kind IN ('edit', 'message')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    body_enc: Mapped[str] = mapped_column(Text)  # JSON
    by_enc: Mapped[str] = mapped_column(Text)  # who wrote it (a lead or coordinator)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Announcement(Base):
    """An announcement to members (/broadcast): who it is for, what it says (encrypted), when
    it goes, and the outbox batch that carries it (whose figures are kept when it is done)."""

    __tablename__ = "announcements"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')", name="status"
        ),
        Index("ix_announcements_status_scheduled_for", "status", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Who wrote it (a coordinator or lead): encrypted, and found by a keyed hash of her id.
    author_enc: Mapped[str] = mapped_column(Text)
    author_tag: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # JSON of codes (regions, roles, interests, language): who it is for, nobody named.
    audience: Mapped[str] = mapped_column(Text)
    # Encrypted JSON: the text (HTML) and its versions per language, a file, protect_content.
    content_enc: Mapped[str] = mapped_column(Text)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # counted when it started
    batch_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("outbox_batches.id", ondelete="SET NULL")
    )
    # The author's status message (progress, then the final line), in her chat.
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
