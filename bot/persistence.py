"""python-telegram-bot persistence kept in the bot's own database.

Conversation states and user/chat/bot data are stored as JSON. The application writes changes
every `update_interval` seconds (1 s here, not PTB's default 60 s), and on shutdown.
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput

from db.engine import Database, upsert
from db.models import ConversationState, PersistedBotData, PersistedChatData, PersistedUserData
from db.types import utcnow

log = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 1.0

Data = dict[str, Any]
# The shapes python-telegram-bot gives conversations (as in its telegram.ext._utils.types, a
# private module: spelled out here rather than imported).
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]


def _today() -> datetime:
    """Only the day: exact times of changes could be matched against a report's time."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """Stores what python-telegram-bot would otherwise keep only in memory, encrypted.

    PTB asks to save the data of every user and chat an update touched, changed or not; the
    JSON last written is remembered so that unchanged data costs no database write.
    """

    def __init__(self, db: Database, update_interval: float = FLUSH_INTERVAL_SECONDS) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        self._written: dict[tuple[str, object], str] = {}

    def _seal(self, dumped: str) -> str:
        """Data typed by people (a half-filled report, a phone number) is encrypted at rest."""
        return self.db.cipher.encrypt(dumped)

    def _open(self, stored: str) -> str:
        return self.db.cipher.decrypt(stored)

    def _unchanged(self, kind: str, key: object, dumped: str, absent: str) -> bool:
        """True if this is exactly what is stored (`absent` stands for no row at all)."""
        return self._written.get((kind, key), absent) == dumped

    # -- loading -------------------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, Data]:
        async with self.db.transaction() as session:
            rows = (await session.execute(select(PersistedUserData))).scalars()
            loaded = {row.user_id: self._open(row.data) for row in rows}
        self._written.update({("user", k): v for k, v in loaded.items()})
        return {k: json.loads(v) for k, v in loaded.items()}

    async def get_chat_data(self) -> dict[int, Data]:
        async with self.db.transaction() as session:
            rows = (await session.execute(select(PersistedChatData))).scalars()
            loaded = {row.chat_id: self._open(row.data) for row in rows}
        self._written.update({("chat", k): v for k, v in loaded.items()})
        return {k: json.loads(v) for k, v in loaded.items()}

    async def get_bot_data(self) -> Data:
        async with self.db.transaction() as session:
            row = await session.get(PersistedBotData, 1)
            stored = self._open(row.data) if row else _dumps({})
        self._written[("bot", 1)] = stored
        return json.loads(stored)

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

    # -- writing -------------------------------------------------------------------------------

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        key_json = _dumps(list(key))
        state_json = "null" if new_state is None else _dumps(new_state)
        if self._unchanged(f"conv:{name}", key_json, state_json, absent="null"):
            return
        # Stored by a keyed hash, so who is in which conversation cannot be read off the table.
        tag = self.db.cipher.tag(key_json)
        async with self.db.transaction() as session:
            if new_state is None:
                await session.execute(
                    delete(ConversationState).where(
                        ConversationState.name == name, ConversationState.key == tag
                    )
                )
            else:
                await upsert(
                    session,
                    ConversationState,
                    {
                        "name": name,
                        "key": tag,
                        "key_enc": self._seal(key_json),
                        "state": state_json,
                        "updated_at": _today(),
                    },
                    keys=("name", "key"),
                )
        self._written[(f"conv:{name}", key_json)] = state_json

    async def update_user_data(self, user_id: int, data: Data) -> None:
        dumped = _dumps(data)
        if self._unchanged("user", user_id, dumped, absent="{}"):
            return
        async with self.db.transaction() as session:
            await upsert(
                session,
                PersistedUserData,
                {"user_id": user_id, "data": self._seal(dumped), "updated_at": _today()},
                keys=("user_id",),
            )
        self._written[("user", user_id)] = dumped

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        dumped = _dumps(data)
        if self._unchanged("chat", chat_id, dumped, absent="{}"):
            return
        async with self.db.transaction() as session:
            await upsert(
                session,
                PersistedChatData,
                {"chat_id": chat_id, "data": self._seal(dumped), "updated_at": _today()},
                keys=("chat_id",),
            )
        self._written[("chat", chat_id)] = dumped

    async def update_bot_data(self, data: Data) -> None:
        dumped = _dumps(data)
        if self._unchanged("bot", 1, dumped, absent="{}"):
            return
        async with self.db.transaction() as session:
            await upsert(
                session,
                PersistedBotData,
                {"id": 1, "data": self._seal(dumped), "updated_at": _today()},
                keys=("id",),
            )
        self._written[("bot", 1)] = dumped

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        self._written.pop(("chat", chat_id), None)
        async with self.db.transaction() as session:
            await session.execute(
                delete(PersistedChatData).where(PersistedChatData.chat_id == chat_id)
            )

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop(("user", user_id), None)
        async with self.db.transaction() as session:
            await session.execute(
                delete(PersistedUserData).where(PersistedUserData.user_id == user_id)
            )

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None

    async def flush(self) -> None:
        """Every change is written in its own transaction, so there is nothing left to flush."""
        log.debug("Persistence flushed")
