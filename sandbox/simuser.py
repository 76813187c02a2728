# ruff: noqa: ASYNC109  (timeout= arguments are part of the public test API)
"""A simulated Telegram user: what she does becomes updates for the bot, and what the bot sent
her is read back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .html import utf16_len
from .records import COMMAND_RE, Entry, Msg, SimChat, entry_of, format_transcript

if TYPE_CHECKING:
    from .state import World


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
        m = COMMAND_RE.match(text)
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
        return [entry_of(m) for m in c.messages] if c else []

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
        return entry_of(msg)

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
