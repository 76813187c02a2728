# ruff: noqa: ASYNC109  (timeout= arguments are part of the public test API)
"""In-memory world of the sandbox: users, chats, messages, files and the update queue (the records
are in records.py, a simulated person in simuser.py)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .records import (
    BOT_FIRST_NAME,
    DEFAULT_UPDATE_TYPES,
    Breach,
    Entry,
    Msg,
    SimChat,
    StoredFile,
    Webhook,
    format_transcript,
)
from .simuser import SimUser

__all__ = [
    "Breach",
    "Entry",
    "Msg",
    "SimChat",
    "SimUser",
    "StoredFile",
    "Webhook",
    "World",
    "format_transcript",
    "scope_key",
]


class World:
    """The sandbox's data and update queue, without the HTTP layer."""

    def __init__(self, rate_limit: float = 30.0, bot_username: str = "solidarity_test_bot") -> None:
        self.bot_id = 7000000001
        self.bot_username = bot_username
        self.rate_limit = rate_limit
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.updates: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.breaches: list[Breach] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.query_ids = itertools.count(4_000_000_000_000_000_001)
        self.bot_seq = 0
        self.send_times: deque[float] = deque()
        self._next_update_id = 100_000_001
        self._next_user_id = 1001
        self._next_group_id = -1001
        self._file_counter = itertools.count(1)
        self._event = asyncio.Event()
        # Waiters of wait_until: checked on every change, woken only when their condition holds.
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self.stopping = False
        self.poll_generation = 0
        # Seconds added to the real clock: advance_clock() lets a test age the messages.
        self.clock_offset = 0.0
        # Set by setWebhook: updates are then posted to the bot instead of fetched by it.
        self.webhook: Webhook | None = None
        # Each webhook request the sandbox made: (update_id, HTTP status, or the error).
        self.deliveries: list[tuple[int, int | str]] = []
        # Called with every message the bot sends or edits, as it is accepted (the benchmarks
        # time answers with it, without a waiter per person).
        self.observers: list[Callable[[Msg], None]] = []

    # -- the clock ------------------------------------------------------------

    def now(self) -> int:
        """The sandbox's time in Unix seconds, as in the dates of messages."""
        return int(time.time() + self.clock_offset)

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward: everything sent so far is that much older (for
        example past the 48 hours after which Telegram no longer deletes a message)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.clock_offset += seconds

    # -- change notification ----------------------------------------------

    def changed(self) -> None:
        """Wake long polls, and the waiters whose condition now holds."""
        self._event.set()
        self._event = asyncio.Event()
        waiting = []
        for predicate, future in self._waiters:
            if future.done():
                continue
            try:
                ready = predicate()
            except Exception as exc:  # surfaces in the waiting test, not in the server
                future.set_exception(exc)
                continue
            if ready:
                future.set_result(None)
            else:
                waiting.append((predicate, future))
        self._waiters = waiting

    async def wait_change(self, timeout: float) -> None:
        """Return at the next state change or after `timeout` seconds."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(describe()) from None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        await self.wait_until(
            predicate, timeout, lambda: f"sandbox condition not met within {timeout}s"
        )

    async def wait_confirmed(self, timeout: float = 10.0) -> None:
        """Wait until every queued update has been confirmed by a later getUpdates offset."""
        await self.wait_until(
            lambda: not self.updates,
            timeout,
            lambda: (
                f"updates not confirmed within {timeout}s: "
                + ", ".join(str(u["update_id"]) for u in self.updates)
            ),
        )

    def deliverable(self) -> list[dict[str, Any]]:
        """The queued updates of the kinds the bot asked for (the others are dropped)."""
        kept = [u for u in self.updates if _update_type(u) in self.allowed_updates]
        if len(kept) != len(self.updates):
            self.updates[:] = kept
            self.changed()
        return kept

    def webhook_changed(self) -> None:
        """setWebhook or deleteWebhook was called (the HTTP layer starts or stops delivery)."""
        self.changed()

    # -- users, chats, files ------------------------------------------------

    def add_user(
        self,
        first_name: str,
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
        phone: str | None = None,
        started: bool = False,
    ) -> SimUser:
        """A person; `started`: she opened the bot earlier (her chat with it exists, as when a
        test sets up hundreds of members without their /start conversations)."""
        if user_id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self.users:
            raise ValueError(f"user {user_id} already exists")
        user = SimUser(self, user_id, first_name, last_name, username, language_code, phone)
        self.users[user_id] = user
        if started:
            user.private_chat = self.chats[user_id] = SimChat(user_id, "private", user=user)
        return user

    def add_group(self, title: str) -> SimChat:
        chat = SimChat(self._next_group_id, "group", title=title)
        self._next_group_id -= 1
        self.chats[chat.id] = chat
        return chat

    def store_file(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        n = next(self._file_counter)
        if kind == "photo":
            ext = ".jpg"
        elif kind == "sticker":
            ext = ".webp"
        else:
            ext = (mimetypes.guess_extension(mime_type or "") if mime_type else None) or ""
            if file_name and "." in file_name:
                ext = "." + file_name.rsplit(".", 1)[1]
        folder = {"photo": "photos", "sticker": "stickers"}.get(kind, "documents")
        prefix = {"photo": "AgACAgIAAxk", "sticker": "CAACAgIAAxk"}.get(kind, "BQACAgIAAxk")
        f = StoredFile(
            file_id=f"{prefix}{n:08d}sandbox",
            file_unique_id=f"AQAD{n:06d}",
            data=data,
            file_path=f"{folder}/file_{n}{ext}",
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[f.file_id] = f
        self.files_by_path[f.file_path] = f
        return f

    # -- JSON shapes --------------------------------------------------------

    def bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": self.bot_username,
        }

    def message_json(self, msg: Msg, with_reply: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_json() if msg.sender is None else msg.sender.to_json(),
            "chat": msg.chat.to_json(),
            "date": msg.date,
        }
        if msg.edit_date is not None:
            d["edit_date"] = msg.edit_date
        if msg.reply_to is not None and with_reply:
            d["reply_to_message"] = self.message_json(msg.reply_to, with_reply=False)
        f = msg.file
        if msg.kind == "text":
            d["text"] = msg.text
            if msg.entities:
                d["entities"] = msg.entities
        elif f is not None:
            if msg.kind == "photo":
                d["photo"] = [{**f.meta(), "width": 800, "height": 600}]
            elif msg.kind == "document":
                doc = f.meta()
                if f.file_name:
                    doc["file_name"] = f.file_name
                if f.mime_type:
                    doc["mime_type"] = f.mime_type
                d["document"] = doc
            elif msg.kind == "sticker":
                d["sticker"] = {
                    **f.meta(),
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                }
            if msg.text:
                d["caption"] = msg.text
                if msg.entities:
                    d["caption_entities"] = msg.entities
        if msg.contact is not None:
            d["contact"] = msg.contact
        if msg.location is not None:
            d["location"] = msg.location
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            d["reply_markup"] = msg.reply_markup
        return d

    # -- updates ------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        self.changed()
        return update_id

    def add_bot_message(self, chat: SimChat, kind: str, **fields: Any) -> Msg:
        self.bot_seq += 1
        msg = Msg(
            chat=chat,
            message_id=chat.next_message_id(),
            sender=None,
            date=self.now(),
            kind=kind,
            seq=self.bot_seq,
            **fields,
        )
        chat.messages.append(msg)
        chat.by_id[msg.message_id] = msg
        self.bot_message_changed(msg)
        return msg

    def bot_message_changed(self, msg: Msg) -> None:
        """A message of the bot's was sent or edited."""
        for observer in self.observers:
            observer(msg)
        self.changed()


def _update_type(update: dict[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


def scope_key(scope: dict[str, Any] | None) -> str:
    """Canonical JSON string of a BotCommandScope, as used in Sandbox.commands keys."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))
