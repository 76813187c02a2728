"""at rest: nothing a copy of the database can link to a reporter

Ids that were in clear are encrypted (who decided, granted, uploaded, took a report, wrote in
its thread, acted in the audit log), or replaced by keyed hashes (whose persisted conversation
data a row is, who holds a role); a report's reporter tag is salted per report; an attachment's
SHA-256 and size are encrypted; report times are days; references are numbered from a counter.

Converting the rows already stored needs the data key: Database.connect passes its cipher (and
its time zone) in `config.attributes`. Without a key, a database with rows to convert is refused
(one line); an empty one needs none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000
"""

import json
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCE = re.compile(r"^R-(\d{4})-(\d+)$")


class KeyNeeded(RuntimeError):
    """Rows must be converted and no key was given."""


def _cipher(bind: sa.engine.Connection, tables: Sequence[str]) -> Any:
    cipher = context.config.attributes.get("cipher")
    if cipher is not None:
        return cipher
    for name in tables:
        if bind.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None:  # noqa: S608
            raise KeyNeeded(
                "migration 0007 encrypts what was stored in clear and needs the data key: run "
                "`python -m bot db upgrade` (or start the bot) with DATA_KEY or KEY_FILE set"
            )
    return None


def _zone() -> tzinfo:
    zone = context.config.attributes.get("zone")
    return zone if zone is not None else UTC


def _stored(bind: sa.engine.Connection, value: datetime | None) -> datetime | None:
    """A UTC datetime as this database keeps it (naive on SQLite, as db.types.UTCDateTime)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None) if bind.dialect.name == "sqlite" else value


def _day(bind: sa.engine.Connection, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    local = aware.astimezone(_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
    return _stored(bind, local)


def _enc(cipher: Any, value: object) -> str | None:
    return None if value is None else cipher.encrypt(str(value))


def _dec_int(cipher: Any, value: str | None) -> int | None:
    return None if value is None else int(cipher.decrypt(value))


def _rewrite(
    bind: sa.engine.Connection,
    table: sa.TableClause,
    key: str,
    change: Callable[[Any], dict[str, Any]],
) -> None:
    """Update every row of `table` with what `change(row)` gives."""
    rows = bind.execute(sa.select(table)).all()
    for row in rows:
        values = change(row)
        if values:
            bind.execute(sa.update(table).where(table.c[key] == getattr(row, key)).values(**values))


TS = sa.DateTime(timezone=True)
MOMENTS = frozenset({"at", "created_at", "updated_at", "raised_at", "added_at", "granted_at"})


def _t(name: str, *columns: str) -> sa.TableClause:
    """A table with the columns used here (typed where they hold moments)."""
    return sa.table(name, *(sa.column(c, TS) if c in MOMENTS else sa.column(c) for c in columns))


def upgrade() -> None:
    bind = op.get_bind()
    cipher = _cipher(
        bind,
        (
            "ptb_user_data",
            "ptb_chat_data",
            "role_grants",
            "audit_log",
            "reports",
            "report_messages",
            "report_attachments",
            "members",
            "resolution_versions",
            "settings",
        ),
    )

    # -- persisted conversation data: by keyed hash, the id encrypted, no rowid ----------------
    for kind, id_column, enc_column in (
        ("user", "user_id", "user_enc"),
        ("chat", "chat_id", "chat_enc"),
    ):
        name = f"ptb_{kind}_data"
        old = bind.execute(sa.select(_t(name, id_column, "data", "updated_at"))).all()
        op.drop_table(name)
        new = op.create_table(
            name,
            sa.Column("tag", sa.String(length=64), nullable=False),
            sa.Column(enc_column, sa.Text(), nullable=False),
            sa.Column("data", sa.Text(), nullable=False),
            sa.Column("updated_at", TS, nullable=False),
            sa.PrimaryKeyConstraint("tag", name=op.f(f"pk_{name}")),
            sqlite_with_rowid=False,
        )
        assert new is not None
        if old:
            op.bulk_insert(
                new,
                [
                    {
                        "tag": cipher.tag(f"persist.{kind}:{row[0]}"),
                        enc_column: cipher.encrypt(str(row[0])),
                        "data": row[1],
                        "updated_at": row[2],
                    }
                    for row in old
                ],
            )

    # -- role grants: who holds a role is a keyed hash and her id encrypted --------------------
    grants = bind.execute(
        sa.select(_t("role_grants", "user_id", "role", "region", "granted_by", "granted_at"))
    ).all()
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grants_user_id"))
    op.drop_table("role_grants")
    role_grants = op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_tag", sa.String(length=64), nullable=False),
        sa.Column("user_enc", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("granted_by_enc", sa.Text(), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.CheckConstraint("role IN ('coordinator', 'lead')", name=op.f("ck_role_grants_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint("user_tag", "role", "region", name="uq_role_grants_user_role_region"),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_user_tag"), ["user_tag"], unique=False)
    assert role_grants is not None
    if grants:
        op.bulk_insert(
            role_grants,
            [
                {
                    "user_tag": cipher.tag(f"role:{g.user_id}"),
                    "user_enc": cipher.encrypt(str(g.user_id)),
                    "role": g.role,
                    "region": g.region,
                    "granted_by_enc": cipher.encrypt(str(g.granted_by)),
                    "granted_at": g.granted_at,
                }
                for g in grants
            ],
        )

    # -- the audit log: ids encrypted, days ----------------------------------------------------
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("target_enc", sa.Text(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t("audit_log", "id", "at", "actor_id", "target_id", "actor_enc", "target_enc"),
            "id",
            lambda r: {
                "at": _day(bind, r.at),
                "actor_enc": _enc(cipher, r.actor_id),
                "target_enc": _enc(cipher, r.target_id),
            },
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("target_id")
        batch_op.drop_column("actor_id")

    # -- reports: salted reporter tags, filing tags, the coordinator encrypted, days ----------
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_reporter_tag"))
        batch_op.add_column(sa.Column("reporter_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("filing_tag", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("assigned_enc", sa.Text(), nullable=True))
    counters: dict[int, int] = {}
    if cipher is not None:

        def report(r: Any) -> dict[str, Any]:
            salt = secrets.token_hex(16)
            user_id = json.loads(cipher.decrypt(r.reporter_enc))["user_id"]
            match = REFERENCE.match(r.ref or "")
            if match:
                year, number = int(match.group(1)), int(match.group(2))
                counters[year] = max(counters.get(year, 0), number)
            return {
                "reporter_salt": salt,
                "reporter_tag": cipher.tag(f"reporter:{salt}:{user_id}"),
                "assigned_enc": _enc(cipher, r.assigned_to),
                "created_at": _day(bind, r.created_at),
                "updated_at": _day(bind, r.updated_at),
                "raised_at": _day(bind, r.raised_at),
            }

        _rewrite(
            bind,
            _t(
                "reports",
                "id",
                "ref",
                "reporter_enc",
                "reporter_tag",
                "reporter_salt",
                "assigned_to",
                "assigned_enc",
                "created_at",
                "updated_at",
                "raised_at",
            ),
            "id",
            report,
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("reporter_salt", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_reports_filing_tag"), ["filing_tag"])
        batch_op.drop_column("assigned_to")

    report_counters = op.create_table(
        "report_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_report_counters")),
    )
    assert report_counters is not None
    if counters:
        op.bulk_insert(
            report_counters, [{"year": y, "last": n} for y, n in sorted(counters.items())]
        )

    # -- the thread: the author encrypted, days ------------------------------------------------
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_enc", sa.Text(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t("report_messages", "id", "at", "author_id", "author_enc"),
            "id",
            lambda r: {"at": _day(bind, r.at), "author_enc": _enc(cipher, r.author_id)},
        )
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.drop_column("author_id")

    # -- attachments: SHA-256 and size encrypted, days -----------------------------------------
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("integrity_enc", sa.Text(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t("report_attachments", "id", "added_at", "sha256", "size", "integrity_enc"),
            "id",
            lambda r: {
                "added_at": _day(bind, r.added_at),
                "integrity_enc": cipher.encrypt(
                    json.dumps({"sha256": r.sha256, "size": r.size}, separators=(",", ":"))
                ),
            },
        )
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.alter_column("integrity_enc", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("sha256")
        batch_op.drop_column("size")

    # -- who decided, uploaded, published, changed a document: encrypted -----------------------
    _encrypt_column(bind, cipher, "members", "user_id", "decided_by", nullable=True)
    _encrypt_column(bind, cipher, "resolution_versions", "id", "uploaded_by", nullable=False)
    _encrypt_column(bind, cipher, "resolution_versions", "id", "published_by", nullable=True)
    _encrypt_column(bind, cipher, "resolution_versions", "id", "official_by", nullable=True)
    _encrypt_column(bind, cipher, "settings", "key", "updated_by", nullable=True)


def _encrypt_column(
    bind: sa.engine.Connection, cipher: Any, table: str, key: str, column: str, *, nullable: bool
) -> None:
    """`column` (a Telegram id) becomes `column`_enc, encrypted."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(f"{column}_enc", sa.Text(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t(table, key, column, f"{column}_enc"),
            key,
            lambda r: {f"{column}_enc": _enc(cipher, getattr(r, column))},
        )
    with op.batch_alter_table(table, schema=None) as batch_op:
        if not nullable:
            batch_op.alter_column(f"{column}_enc", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column(column)


def _decrypt_column(
    bind: sa.engine.Connection, cipher: Any, table: str, key: str, column: str, *, nullable: bool
) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(column, sa.BigInteger(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t(table, key, column, f"{column}_enc"),
            key,
            lambda r: {column: _dec_int(cipher, getattr(r, f"{column}_enc"))},
        )
    with op.batch_alter_table(table, schema=None) as batch_op:
        if not nullable:
            batch_op.alter_column(column, existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column(f"{column}_enc")


def downgrade() -> None:
    """Back to ids in clear (times stay days: what was not kept cannot come back)."""
    bind = op.get_bind()
    cipher = _cipher(
        bind,
        (
            "ptb_user_data",
            "ptb_chat_data",
            "role_grants",
            "audit_log",
            "reports",
            "report_messages",
            "report_attachments",
            "members",
            "resolution_versions",
            "settings",
        ),
    )
    _decrypt_column(bind, cipher, "settings", "key", "updated_by", nullable=True)
    _decrypt_column(bind, cipher, "resolution_versions", "id", "official_by", nullable=True)
    _decrypt_column(bind, cipher, "resolution_versions", "id", "published_by", nullable=True)
    _decrypt_column(bind, cipher, "resolution_versions", "id", "uploaded_by", nullable=False)
    _decrypt_column(bind, cipher, "members", "user_id", "decided_by", nullable=True)

    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
    if cipher is not None:

        def attachment(r: Any) -> dict[str, Any]:
            integrity = json.loads(cipher.decrypt(r.integrity_enc))
            return {"sha256": integrity["sha256"], "size": integrity["size"]}

        _rewrite(
            bind,
            _t("report_attachments", "id", "integrity_enc", "sha256", "size"),
            "id",
            attachment,
        )
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.alter_column("size", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("integrity_enc")

    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_id", sa.BigInteger(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t("report_messages", "id", "author_id", "author_enc"),
            "id",
            lambda r: {"author_id": _dec_int(cipher, r.author_enc)},
        )
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.drop_column("author_enc")

    op.drop_table("report_counters")

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.BigInteger(), nullable=True))
    if cipher is not None:

        def report(r: Any) -> dict[str, Any]:
            user_id = json.loads(cipher.decrypt(r.reporter_enc))["user_id"]
            return {
                "reporter_tag": cipher.tag(str(user_id)),
                "assigned_to": _dec_int(cipher, r.assigned_enc),
            }

        _rewrite(
            bind,
            _t("reports", "id", "reporter_enc", "reporter_tag", "assigned_to", "assigned_enc"),
            "id",
            report,
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reports_filing_tag"), type_="unique")
        batch_op.drop_column("assigned_enc")
        batch_op.drop_column("filing_tag")
        batch_op.drop_column("reporter_salt")
        batch_op.create_index(batch_op.f("ix_reports_reporter_tag"), ["reporter_tag"], unique=False)

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("actor_id", sa.BigInteger(), nullable=True))
    if cipher is not None:
        _rewrite(
            bind,
            _t("audit_log", "id", "actor_id", "target_id", "actor_enc", "target_enc"),
            "id",
            lambda r: {
                "actor_id": _dec_int(cipher, r.actor_enc),
                "target_id": _dec_int(cipher, r.target_enc),
            },
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("target_enc")
        batch_op.drop_column("actor_enc")

    grants = bind.execute(
        sa.select(_t("role_grants", "user_enc", "role", "region", "granted_by_enc", "granted_at"))
    ).all()
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grants_user_tag"))
    op.drop_table("role_grants")
    role_grants = op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("granted_by", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.CheckConstraint("role IN ('coordinator', 'lead')", name=op.f("ck_role_grants_role")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_role_grants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint("user_id", "role", "region", name="uq_role_grants_user_role_region"),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_user_id"), ["user_id"], unique=False)
    assert role_grants is not None
    if grants:
        op.bulk_insert(
            role_grants,
            [
                {
                    "user_id": int(cipher.decrypt(g.user_enc)),
                    "role": g.role,
                    "region": g.region,
                    "granted_by": int(cipher.decrypt(g.granted_by_enc)),
                    "granted_at": g.granted_at,
                }
                for g in grants
            ],
        )

    for kind, id_column, enc_column in (
        ("user", "user_id", "user_enc"),
        ("chat", "chat_id", "chat_enc"),
    ):
        name = f"ptb_{kind}_data"
        old = bind.execute(sa.select(_t(name, enc_column, "data", "updated_at"))).all()
        op.drop_table(name)
        new = op.create_table(
            name,
            sa.Column(id_column, sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("data", sa.Text(), nullable=False),
            sa.Column("updated_at", TS, nullable=False),
            sa.PrimaryKeyConstraint(id_column, name=op.f(f"pk_{name}")),
        )
        assert new is not None
        if old:
            op.bulk_insert(
                new,
                [
                    {id_column: int(cipher.decrypt(row[0])), "data": row[1], "updated_at": row[2]}
                    for row in old
                ],
            )
