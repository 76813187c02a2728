"""Messages the outbox delivered that may have to change later (table `sent_copies`): which
message, in which chat, stands for which subject (a membership request, a report's reply).
The chat is encrypted; the subject and the message id are not secrets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select

from db.engine import Database
from db.models import SentCopy

# The kinds of copies kept (their subject in brackets).
REPLY_COPY = "report.reply"  # a coordinator's reply in a reporter's chat (the thread message)


@dataclass(frozen=True, slots=True)
class Copy:
    subject_id: int
    chat_id: int
    message_id: int


async def record_copy(
    db: Database, kind: str, subject_id: int, chat_id: int, message_id: int
) -> None:
    """Keep where a message about `subject_id` went."""
    async with db.transaction() as session:
        session.add(
            SentCopy(
                kind=kind,
                subject_id=subject_id,
                chat_enc=db.cipher.encrypt(str(chat_id)),
                message_id=message_id,
                sent_at=db.day(),  # the day only: a reply's copy stands beside a report
            )
        )


async def copies_of(db: Database, kind: str, subject_ids: Iterable[int]) -> list[Copy]:
    """Where the messages of `kind` about `subject_ids` went, oldest first."""
    ids = list(subject_ids)
    if not ids:
        return []
    async with db.transaction() as session:
        rows = await session.scalars(
            select(SentCopy)
            .where(SentCopy.kind == kind, SentCopy.subject_id.in_(ids))
            .order_by(SentCopy.id)
        )
        return [Copy(r.subject_id, int(db.cipher.decrypt(r.chat_enc)), r.message_id) for r in rows]


async def forget_copies(db: Database, kind: str, subject_ids: Iterable[int]) -> int:
    """The copies are settled (edited for the last time): forget them. Returns how many."""
    ids = list(subject_ids)
    if not ids:
        return 0
    async with db.transaction() as session:
        result = await session.execute(
            delete(SentCopy).where(SentCopy.kind == kind, SentCopy.subject_id.in_(ids))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
