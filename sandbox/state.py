# ruff: noqa: ASYNC109  (timeout= arguments are part of the public test API)
"""In-memory world of the sandbox: users, chats, messages, files and the update queue."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .html import utf16_len

BOT_FIRST_NAME = "Solidarity Test Bot"
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,64})?")


@dataclass
class Webhook:
    """What setWebhook registered: where Telegram posts updates, and how it is going."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Breach:
    """A request the sandbox refused because it broke a Bot API rule."""

    method: str
    error_code: int
    description: str
    params: dict[str, Any]


@dataclass
class Entry:
    """One message as a chat participant sees it."""

    message_id: int
    sender: str
    text: str
    buttons: list[list[str]]
    deleted: bool
    edited: bool
    kind: str
    file_name: str | None = None
    file_id: str | None = None
    html: str | None = None
    callback_data: list[list[str | None]] = field(default_factory=list)
    at: float = 0.0  # when the sandbox received it (time.monotonic())


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str
    file_name: str | None = None
    mime_type: str | None = None

    def meta(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }


@dataclass
class Msg:
    chat: SimChat
    message_id: int
    sender: SimUser | None  # None = the bot
    date: int
    kind: str
    seq: int
    text: str = ""
    html: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    contact: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    reply_to: Msg | None = None
    deleted: bool = False
    edited: bool = False
    edit_date: int | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (to measure delays)


class SimChat:
    """A private chat with one SimUser, or a group."""

    def __init__(
        self, chat_id: int, type_: str, title: str | None = None, user: SimUser | None = None
    ) -> None:
        self.id = chat_id
        self.type = type_
        self.title = title
        self.user = user
        self.members: set[int] = set()
        self.messages: list[Msg] = []
        self.by_id: dict[int, Msg] = {}
        self._next_id = 1

    def next_message_id(self) -> int:
        mid = self._next_id
        self._next_id += 1
        return mid

    def to_json(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.user is not None
            d: dict[str, Any] = {
                "id": self.id,
                "first_name": self.user.first_name,
                "type": "private",
            }
            if self.user.last_name:
                d["last_name"] = self.user.last_name
            if self.user.username:
                d["username"] = self.user.username
            return d
        return {"id": self.id, "title": self.title, "type": self.type}

    def __repr__(self) -> str:
        return f"SimChat(id={self.id}, type={self.type!r}, title={self.title!r})"


def _entry(msg: Msg) -> Entry:
    buttons: list[list[str]] = []
    data: list[list[str | None]] = []
    markup = msg.reply_markup or {}
    if "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            buttons.append([str(b.get("text", "")) for b in row])
            data.append([b.get("callback_data") for b in row])
    elif "keyboard" in markup:
        for row in markup["keyboard"]:
            buttons.append([b if isinstance(b, str) else str(b.get("text", "")) for b in row])
            data.append([None for _ in row])
    text = msg.text
    if msg.kind == "contact" and msg.contact:
        text = str(msg.contact.get("phone_number", ""))
    elif msg.kind == "location" and msg.location:
        text = f"{msg.location['latitude']}, {msg.location['longitude']}"
    return Entry(
        message_id=msg.message_id,
        sender="bot" if msg.sender is None else msg.sender.first_name,
        text=text,
        buttons=buttons,
        deleted=msg.deleted,
        edited=msg.edited,
        kind=msg.kind,
        file_name=msg.file.file_name if msg.file else None,
        file_id=msg.file.file_id if msg.file else None,
        html=msg.html,
        callback_data=data,
        at=msg.at,
    )


def format_transcript(entries: list[Entry]) -> str:
    lines: list[str] = []
    for e in entries:
        if e.deleted:
            lines.append(f"{e.sender}: (deleted)")
            continue
        body = e.text
        if e.kind == "document":
            body = f"[document {e.file_name}] {body}".rstrip()
        elif e.kind != "text":
            body = f"[{e.kind}] {body}".rstrip()
        if e.edited:
            body += " (edited)"
        first, *rest = body.split("\n")
        lines.append(f"{e.sender}: {first}")
        lines.extend(f"   {line}" for line in rest)
        for row in e.buttons:
            lines.append("   " + " ".join(f"[{label}]" for label in row))
    return "\n".join(lines)


class SimUser:
    """A simulated Telegram user whose actions become updates for the bot."""

    def __init__(
        self,
        world: World,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        phone: str | None,
    ) -> None:
        self.world = world
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone = phone
        self.blocked = False
        self.private_chat: SimChat | None = None
        self.callback_answers: list[dict[str, Any]] = []
        self._created_seq = world.bot_seq
        self._cursors: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d

    # -- chats -------------------------------------------------------------

    def _existing_chat(self, chat: SimChat | None) -> SimChat | None:
        return self.private_chat if chat is None else chat

    def _open_chat(self, chat: SimChat | None) -> SimChat:
        if self.blocked:
            # Writing to a bot you blocked restarts it, as in Telegram.
            self._member_update("kicked", "member")
            self.blocked = False
        if chat is None:
            if self.private_chat is None:
                self.private_chat = SimChat(self.id, "private", user=self)
                self.world.chats[self.id] = self.private_chat
            return self.private_chat
        chat.members.add(self.id)
        return chat

    def _post(self, chat: SimChat | None, kind: str, **fields: Any) -> Msg:
        c = self._open_chat(chat)
        msg = Msg(
            chat=c,
            message_id=c.next_message_id(),
            sender=self,
            date=self.world.now(),
            kind=kind,
            seq=0,
            **fields,
        )
        c.messages.append(msg)
        c.by_id[msg.message_id] = msg
        self.world.push_update("message", self.world.message_json(msg))
        return msg

    # -- actions -----------------------------------------------------------

    async def send(
        self,
        text: str,
        chat: SimChat | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Send a text message, formatted by `entities` (Telegram's MessageEntity objects, as
        the app makes them from what she formatted); returns its message_id."""
        entities = list(entities or [])
        m = _COMMAND_RE.match(text)
        if m:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
        return self._post(chat, "text", text=text, entities=entities).message_id

    async def press(
        self, label: str, message_id: int | None = None, chat: SimChat | None = None
    ) -> str:
        """Press an inline button by its label; returns the callback query id."""
        c = self._existing_chat(chat)
        seen: list[str] = []
        if c is not None:
            for msg in reversed(c.messages):
                if msg.sender is not None or msg.deleted:
                    continue
                if message_id is not None and msg.message_id != message_id:
                    continue
                for row in (msg.reply_markup or {}).get("inline_keyboard", []):
                    for button in row:
                        seen.append(str(button.get("text")))
                        if button.get("text") != label:
                            continue
                        if "callback_data" not in button:
                            raise LookupError(f"button {label!r} has no callback_data: {button}")
                        return self._press(c, msg, button["callback_data"])
        raise LookupError(
            f"{self.first_name}: no inline button {label!r}; visible buttons: {seen}\n"
            + self.transcript_text(chat)
        )

    async def forge_press(
        self, data: str, message_id: int | None = None, chat: SimChat | None = None
    ) -> str:
        """A modified client sending callback data of its own making, on a bot message
        (the newest visible one unless `message_id` is given). Returns the callback query id."""
        c = self._existing_chat(chat)
        candidates = [
            m
            for m in (c.messages if c is not None else [])
            if m.sender is None
            and not m.deleted
            and (message_id is None or m.message_id == message_id)
        ]
        if c is None or not candidates:
            raise LookupError(f"{self.first_name}: no bot message to attach a forged press to")
        return self._press(c, candidates[-1], data)

    def _press(self, chat: SimChat, msg: Msg, data: str) -> str:
        self._open_chat(None if chat is self.private_chat else chat)
        qid = str(next(self.world.query_ids))
        self.world.callback_queries[qid] = {"user": self, "answered": False}
        self.world.push_update(
            "callback_query",
            {
                "id": qid,
                "from": self.to_json(),
                "message": self.world.message_json(msg),
                "chat_instance": str(8_000_000_000 + abs(chat.id)),
                "data": data,
            },
        )
        return qid

    async def press_reply(self, label: str) -> int:
        """Press a reply-keyboard button of the current keyboard; returns the message_id."""
        c = self.private_chat
        keyboard: list[list[Any]] | None = None
        for msg in reversed(c.messages if c else []):
            markup = msg.reply_markup or {}
            if msg.sender is None and ("keyboard" in markup or "remove_keyboard" in markup):
                keyboard = markup.get("keyboard")
                break
        labels: list[str] = []
        for row in keyboard or []:
            for button in row:
                b = {"text": button} if isinstance(button, str) else button
                labels.append(str(b.get("text")))
                if b.get("text") != label:
                    continue
                if b.get("request_contact"):
                    return await self.share_contact()
                if b.get("request_location"):
                    return await self.share_location(42.87, 74.59)
                return await self.send(label)
        raise LookupError(
            f"{self.first_name}: no reply-keyboard button {label!r}; keyboard: {labels}\n"
            + self.transcript_text()
        )

    async def share_contact(self, phone: str | None = None) -> int:
        contact: dict[str, Any] = {
            "phone_number": phone or self.phone or "+10000000000",
            "first_name": self.first_name,
            "user_id": self.id,
        }
        if self.last_name:
            contact["last_name"] = self.last_name
        return self._post(None, "contact", contact=contact).message_id

    async def share_location(self, latitude: float, longitude: float) -> int:
        loc = {"latitude": latitude, "longitude": longitude}
        return self._post(None, "location", location=loc).message_id

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        chat: SimChat | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        f = self.world.store_file(data, "photo", None, "image/jpeg")
        return self._post(
            chat, "photo", file=f, text=caption or "", entities=list(entities or [])
        ).message_id

    async def send_document(
        self,
        data: bytes,
        file_name: str = "a.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat: SimChat | None = None,
    ) -> int:
        f = self.world.store_file(data, "document", file_name, mime_type)
        return self._post(chat, "document", file=f, text=caption or "").message_id

    async def send_sticker(self, chat: SimChat | None = None) -> int:
        f = self.world.store_file(b"RIFF\x00\x00\x00\x00WEBP", "sticker", None, "image/webp")
        return self._post(chat, "sticker", file=f).message_id

    def _member_update(self, old: str, new: str) -> None:
        chat = self._open_chat(None) if old != "kicked" else self.private_chat
        assert chat is not None
        bot = self.world.bot_json()
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        self.world.push_update(
            "my_chat_member",
            {
                "chat": chat.to_json(),
                "from": self.to_json(),
                "date": self.world.now(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    async def block(self) -> None:
        if not self.blocked:
            self._member_update("member", "kicked")
            self.blocked = True
            self.world.changed()

    async def unblock(self) -> None:
        if self.blocked:
            self._member_update("kicked", "member")
            self.blocked = False
            self.world.changed()

    # -- observation -------------------------------------------------------

    def transcript(self, chat: SimChat | None = None) -> list[Entry]:
        c = self._existing_chat(chat)
        return [_entry(m) for m in c.messages] if c else []

    def transcript_text(self, chat: SimChat | None = None) -> str:
        c = self._existing_chat(chat)
        where = "private chat" if chat is None else f"chat {c!r}"
        body = format_transcript(self.transcript(chat)) or "(empty)"
        return f"--- {self.first_name}'s {where} ---\n{body}"

    def bot_messages(self, chat: SimChat | None = None) -> list[Entry]:
        return [e for e in self.transcript(chat) if e.sender == "bot" and not e.deleted]

    def last_bot_message(self, chat: SimChat | None = None) -> Entry | None:
        msgs = self.bot_messages(chat)
        return msgs[-1] if msgs else None

    def _find_next(self, chat: SimChat | None) -> Msg | None:
        c = self._existing_chat(chat)
        if c is None:
            return None
        cursor = self._cursors.get(c.id, self._created_seq)
        for msg in c.messages:
            if msg.sender is None and msg.seq > cursor and not msg.deleted:
                return msg
        return None

    async def next_bot_message(self, timeout: float = 10.0, chat: SimChat | None = None) -> Entry:
        """Wait for the next new bot message in the chat (per-chat cursor)."""
        await self.world.wait_until(
            lambda: self._find_next(chat) is not None,
            timeout,
            lambda: (
                f"{self.first_name}: no new bot message within {timeout}s\n"
                + self.transcript_text(chat)
            ),
        )
        msg = self._find_next(chat)
        assert msg is not None
        self._cursors[msg.chat.id] = msg.seq
        return _entry(msg)

    async def callback_answer(self, query_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the bot's answerCallbackQuery to one of her presses, and return it."""

        def answered() -> dict[str, Any] | None:
            return next(
                (a for a in self.callback_answers if a.get("callback_query_id") == query_id), None
            )

        await self.wait_for(lambda _u: answered() is not None, timeout)
        answer = answered()
        assert answer is not None
        return answer

    async def wait_for(self, predicate: Callable[[SimUser], bool], timeout: float = 10.0) -> None:
        await self.world.wait_until(
            lambda: predicate(self),
            timeout,
            lambda: (
                f"{self.first_name}: condition not met within {timeout}s\n" + self.transcript_text()
            ),
        )


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
