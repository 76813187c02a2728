"""The sandbox's records: chats, messages, files, webhooks, breaches, and a chat as read back."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simuser import SimUser

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
COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,64})?")


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


def entry_of(msg: Msg) -> Entry:
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
