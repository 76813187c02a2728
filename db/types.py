"""Column types shared by the models, and what the storage needs from the layers above."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any, Protocol

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


def visible(text: str) -> str:
    """`text` without invisible and direction-control characters (Unicode category Cf:
    zero-width joiners and spaces, right-to-left overrides), which can make a name or a file
    name read as something it is not."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


class Cipher(Protocol):
    """What the queries need to keep data encrypted at rest. bot/services/crypto.py provides
    it (AES-GCM, padded); db/ knows only this shape, and so depends on nothing above it."""

    @property
    def rotating(self) -> bool:
        """True while values written with a previous key may remain (db/rekey.py)."""
        ...

    def tag(self, value: str) -> str:
        """A keyed hash: equal values give equal tags; without the key it tells nothing."""
        ...

    def tags(self, value: str) -> list[str]:
        """The tag of `value` under every accepted key, the current one first."""
        ...

    def is_current(self, token: bytes | str) -> bool:
        """Was `token` written with the current key, in the current format?"""
        ...

    def encrypt(self, text: str) -> str: ...

    def decrypt(self, token: str) -> str: ...

    def encrypt_bytes(self, data: bytes) -> bytes: ...

    def decrypt_bytes(self, token: bytes) -> bytes: ...

    def encrypt_optional(self, text: str | None) -> str | None: ...

    def decrypt_optional(self, token: str | None) -> str | None: ...
