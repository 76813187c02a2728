"""Queries for resolution texts (versions by language) and the Telegram file_id cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from db.engine import Database, upsert
from db.models import FileCache, ResolutionVersion
from db.types import utcnow


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: int
    lang: str
    status: str
    official: bool
    sha256: str
    uploaded_by: int
    created_at: datetime
    published_at: datetime | None


def _info(db: Database, row: ResolutionVersion) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        lang=row.lang,
        status=row.status,
        official=row.official,
        sha256=row.sha256,
        # Who uploaded it is a coordinator: kept encrypted.
        uploaded_by=int(db.cipher.decrypt(row.uploaded_by_enc)),
        created_at=row.created_at,
        published_at=row.published_at,
    )


async def current_version(db: Database, lang: str) -> VersionInfo | None:
    """The newest published text of `lang`, or None (the built-in text is in force)."""
    async with db.transaction() as session:
        row = (
            await session.scalars(
                select(ResolutionVersion)
                .where(ResolutionVersion.lang == lang, ResolutionVersion.status == "published")
                .order_by(ResolutionVersion.published_at.desc(), ResolutionVersion.id.desc())
                .limit(1)
            )
        ).first()
        return _info(db, row) if row else None


async def get_version(db: Database, version_id: int) -> VersionInfo | None:
    async with db.transaction() as session:
        row = await session.get(ResolutionVersion, version_id)
        return _info(db, row) if row else None


async def version_source(db: Database, version_id: int) -> str:
    async with db.transaction() as session:
        row = await session.get(ResolutionVersion, version_id)
        if row is None:
            raise KeyError(version_id)
        return row.source


async def add_draft(db: Database, *, lang: str, source: str, sha256: str, user_id: int) -> int:
    async with db.transaction() as session:
        row = ResolutionVersion(
            lang=lang,
            source=source,
            sha256=sha256,
            status="draft",
            official=False,
            uploaded_by_enc=db.cipher.encrypt(str(user_id)),
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        return row.id


async def publish(db: Database, version_id: int, *, user_id: int, official: bool) -> bool:
    """Publish a draft; False if it is not a draft (already published or discarded)."""
    now = utcnow()
    values: dict[str, object] = {
        "status": "published",
        "published_by_enc": db.cipher.encrypt(str(user_id)),
        "published_at": now,
    }
    if official:
        values |= {
            "official": True,
            "official_by_enc": db.cipher.encrypt(str(user_id)),
            "official_at": now,
        }
    async with db.transaction() as session:
        result = await session.execute(
            update(ResolutionVersion)
            .where(ResolutionVersion.id == version_id, ResolutionVersion.status == "draft")
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def discard(db: Database, version_id: int) -> bool:
    async with db.transaction() as session:
        result = await session.execute(
            update(ResolutionVersion)
            .where(ResolutionVersion.id == version_id, ResolutionVersion.status == "draft")
            .values(status="discarded")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_official(db: Database, version_id: int, *, user_id: int) -> bool:
    """Mark a published version official; False if it is not published."""
    async with db.transaction() as session:
        result = await session.execute(
            update(ResolutionVersion)
            .where(ResolutionVersion.id == version_id, ResolutionVersion.status == "published")
            .values(
                official=True,
                official_by_enc=db.cipher.encrypt(str(user_id)),
                official_at=utcnow(),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def publish_copy(
    db: Database, *, lang: str, source: str, sha256: str, user_id: int, official: bool
) -> int:
    """Record a text (e.g. the built-in one) as a published version in one step."""
    version_id = await add_draft(db, lang=lang, source=source, sha256=sha256, user_id=user_id)
    await publish(db, version_id, user_id=user_id, official=official)
    return version_id


async def cached_file_id(db: Database, key: str) -> str | None:
    async with db.transaction() as session:
        row = await session.get(FileCache, key)
        return row.file_id if row else None


async def cache_file_id(db: Database, key: str, file_id: str) -> None:
    async with db.transaction() as session:
        values = {"key": key, "file_id": file_id, "created_at": utcnow()}
        await upsert(session, FileCache, values, keys=("key",))


async def forget_file_id(db: Database, key: str) -> None:
    async with db.transaction() as session:
        row = await session.get(FileCache, key)
        if row is not None:
            await session.delete(row)
