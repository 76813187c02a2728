"""python-telegram-bot persistence kept in the bot's own database.

Conversation states and user/chat/bot data are stored as JSON, encrypted (and so padded to a
length bucket, see bot/services/crypto.py). Rows are found by keyed hashes of the user or chat
id, never the id itself (it is kept encrypted beside): a copy of the database cannot tell whose
data a row is, nor watch one person's data change. Data that is empty is not stored at all.

The application hands over changes every `update_interval` seconds (1 s here, not PTB's default
60 s), and on shutdown: it calls `update_*` once per changed user, chat and conversation, all
at once. Those calls are collected and written in ONE transaction (a round), one statement per
kind of row whatever the number of people, so that a change spanning several keys is never
half-stored. The SQLite write-ahead log is checkpointed within a second after
(db.engine.Database.keep_log_short), so that it does not keep the order of these writes.
Every `update_*` call of a round returns when the round is stored; the first one raises if it
could not be, and what it held is written with the next round.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput

from db.engine import Database, upsert, upsert_many
from db.models import ConversationState, PersistedBotData, PersistedChatData, PersistedUserData
from db.types import utcnow

log = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 1.0

Data = dict[str, Any]
# The shapes python-telegram-bot gives conversations (as in its telegram.ext._utils.types, a
# private module: spelled out here rather than imported).
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
# What a round writes: (kind, key) -> the JSON to store, or None to delete the row. Kinds:
# "user", "chat", "bot", and "conv:<name>" (key: the conversation key as JSON).
Entry = tuple[str, object]


def _today() -> datetime:
    """Only the day: exact times of changes could be matched against a report's time."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _persisted(kind: str, key: int) -> str:
    """What the keyed hash of a user's ("user") or a chat's ("chat") persisted data is made of."""
    return f"persist.{kind}:{key}"


def user_tag(db: Database, user_id: int) -> str:
    """The keyed hash a user's persisted data is stored under."""
    return db.cipher.tag(_persisted("user", user_id))


def chat_tag(db: Database, chat_id: int) -> str:
    """The keyed hash a chat's persisted data is stored under (not the outbox's `chat:` tag)."""
    return db.cipher.tag(_persisted("chat", chat_id))


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """Stores what python-telegram-bot would otherwise keep only in memory, encrypted.

    PTB asks to save the data of every user and chat an update touched, changed or not; the
    JSON last stored is remembered so that unchanged data costs no database write.
    """

    def __init__(self, db: Database, update_interval: float = FLUSH_INTERVAL_SECONDS) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        self._written: dict[Entry, str] = {}  # what the database holds
        self._pending: dict[Entry, str | None] = {}  # what the next round writes
        self._round: asyncio.Task[None] | None = None  # the round not yet started
        self._writing = asyncio.Lock()  # one round at a time, in order

    def _seal(self, dumped: str) -> str:
        """Data typed by people (a half-filled report, a phone number) is encrypted at rest."""
        return self.db.cipher.encrypt(dumped)

    def _open(self, stored: str) -> str:
        return self.db.cipher.decrypt(stored)

    # -- loading -------------------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, Data]:
        async with self.db.transaction() as session:
            rows = (await session.execute(select(PersistedUserData))).scalars()
            loaded = {int(self._open(row.user_enc)): self._open(row.data) for row in rows}
        self._written.update({("user", k): v for k, v in loaded.items()})
        return {k: json.loads(v) for k, v in loaded.items()}

    async def get_chat_data(self) -> dict[int, Data]:
        async with self.db.transaction() as session:
            rows = (await session.execute(select(PersistedChatData))).scalars()
            loaded = {int(self._open(row.chat_enc)): self._open(row.data) for row in rows}
        self._written.update({("chat", k): v for k, v in loaded.items()})
        return {k: json.loads(v) for k, v in loaded.items()}

    async def get_bot_data(self) -> Data:
        async with self.db.transaction() as session:
            row = await session.get(PersistedBotData, 1)
            stored = self._open(row.data) if row else None
        if stored is not None:
            self._written[("bot", 1)] = stored
        return json.loads(stored) if stored is not None else {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(ConversationState).where(ConversationState.name == name)
                )
            ).scalars()
            loaded = {self._open(row.key_enc): row.state for row in rows}
        self._written.update({(f"conv:{name}", k): v for k, v in loaded.items()})
        return {tuple(json.loads(k)): json.loads(v) for k, v in loaded.items()}

    # -- writing: python-telegram-bot's calls, collected into rounds ----------------------------

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        state = None if new_state is None else _dumps(new_state)
        await self._change((f"conv:{name}", _dumps(list(key))), state)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await self._change(("user", user_id), _dumps(data) if data else None)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        await self._change(("chat", chat_id), _dumps(data) if data else None)

    async def update_bot_data(self, data: Data) -> None:
        await self._change(("bot", 1), _dumps(data) if data else None)

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._change(("chat", chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._change(("user", user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None

    async def flush(self) -> None:
        """Write what is still pending (at shutdown), and wait for a round being written."""
        if self._pending:
            await self._join_round()
        async with self._writing:
            pass
        log.debug("Persistence flushed")

    # -- rounds ----------------------------------------------------------------------------------

    async def _change(self, entry: Entry, value: str | None) -> None:
        """Note what `entry` should now be; unless that is what is stored (or about to be), it
        joins the next round. Returns once that round is stored."""
        latest = self._pending[entry] if entry in self._pending else self._written.get(entry)
        if latest != value:
            self._pending[entry] = value
        if self._pending:
            await self._join_round()

    async def _join_round(self) -> None:
        """Wait for the next round. The call that starts it raises if it fails; the others of
        the same round return (PTB reports each raised error: one is enough)."""
        task = self._round
        if task is None:
            task = self._round = asyncio.get_running_loop().create_task(self._write_round())
            await task
        else:
            await asyncio.wait([task])

    async def _write_round(self) -> None:
        # Let the other update_* calls of this run of update_persistence note their changes:
        # they were all started together, before this task.
        await asyncio.sleep(0)
        async with self._writing:
            batch, self._pending = self._pending, {}
            self._round = None
            if not batch:
                return
            try:
                async with self.db.transaction() as session:
                    await self._write(session, batch)
            except BaseException:
                # Kept for the next round, unless something newer came meanwhile.
                for entry, value in batch.items():
                    self._pending.setdefault(entry, value)
                raise
            for entry, value in batch.items():
                if value is None:
                    self._written.pop(entry, None)
                else:
                    self._written[entry] = value

    async def _write(self, session: AsyncSession, batch: dict[Entry, str | None]) -> None:
        """A round's changes: one statement per kind of row and per upsert or delete, whatever
        the number of people in it."""
        db = self.db
        today = _today()
        upserts: dict[Any, list[dict[str, Any]]] = {}
        deleted: dict[Any, list[str]] = {}  # model -> the tags of the rows to delete
        deleted_conversations: dict[str, list[str]] = {}  # name -> keys' tags
        for (kind, key), value in batch.items():
            if kind in ("user", "chat"):
                assert isinstance(key, int)
                model, owner = (
                    (PersistedUserData, "user_enc")
                    if kind == "user"
                    else (PersistedChatData, "chat_enc")
                )
                name = _persisted(kind, key)
                if value is None:
                    deleted.setdefault(model, []).extend(db.cipher.tags(name))
                    continue
                upserts.setdefault(model, []).append(
                    {
                        "tag": db.cipher.tag(name),
                        owner: self._seal(str(key)),
                        "data": self._seal(value),
                        "updated_at": today,
                    }
                )
            elif kind == "bot":
                if value is None:
                    await session.execute(delete(PersistedBotData))
                else:
                    row = {"id": 1, "data": self._seal(value), "updated_at": today}
                    await upsert(session, PersistedBotData, row, keys=("id",))
            else:
                name = kind.removeprefix("conv:")
                assert isinstance(key, str)
                # Stored by a keyed hash, so who is in which conversation cannot be read off.
                if value is None:
                    deleted_conversations.setdefault(name, []).extend(db.cipher.tags(key))
                    continue
                upserts.setdefault(ConversationState, []).append(
                    {
                        "name": name,
                        "key": db.cipher.tag(key),
                        "key_enc": self._seal(key),
                        "state": value,
                        "updated_at": today,
                    }
                )
        for model, tags in deleted.items():
            await session.execute(delete(model).where(model.tag.in_(tags)))
        for name, tags in deleted_conversations.items():
            await session.execute(
                delete(ConversationState).where(
                    ConversationState.name == name, ConversationState.key.in_(tags)
                )
            )
        for model, rows in upserts.items():
            keys = ("name", "key") if model is ConversationState else ("tag",)
            await upsert_many(session, model, rows, keys=keys)
