"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime always stored in UTC and always returned timezone-aware (UTC).

    PostgreSQL: `timestamp with time zone` (migration 0005), an absolute moment whatever the
    session's or the server's time zone, so that psql, pg_dump and reports read it right.
    SQLite has no time zones: values are stored as naive UTC text and re-labelled on the way out.
    Either way the application only ever sees aware UTC datetimes, and a naive one is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        raise TypeError(f"unexpected datetime value {value!r}")


def utcnow() -> datetime:
    return datetime.now(UTC)
