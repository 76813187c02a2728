"""Messages to other people, through the outbox: durable, paced, each one sent once.

A feature that tells someone else something (a coordinator of a new report, a member of a
decision, a reporter of a reply) does not send it: it writes an `Outgoing` into the outbox in the
same transaction as the change it announces (db/outbox.py), and registers how that kind of
message is rendered:

    @renderer("member.decided")
    async def render_decision(d: Recipient) -> Rendered | None:
        return Rendered(d.t.gettext("Your membership …"), markup)

The sender (bot/delivery/sender.py) renders each message when it sends it, in the recipient's
language, and keeps Telegram's limits (bot/delivery/pacing.py). A renderer returns None when the
message has lost its point (the report is gone): it is then not sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.i18n import Translator
from db.outbox import BatchInfo, Outgoing

if TYPE_CHECKING:
    from bot.context import SolidarityApp

# Priorities: lower goes first.
DANGER = 0  # someone is in danger
NOTICE = 1  # new reports, decisions, replies to reporters, reminders
EVENT = 2  # event notices and reminders
ANNOUNCEMENT = 3  # announcements to many

__all__ = [
    "ANNOUNCEMENT",
    "DANGER",
    "EVENT",
    "NOTICE",
    "Outgoing",
    "Recipient",
    "Rendered",
    "batch_hook",
    "progress_hook",
    "renderer",
    "result_hook",
    "send_rendered",
    "sent_hook",
]


@dataclass(frozen=True, slots=True)
class Rendered:
    """What is sent: a text (HTML), or a photo or document with it as caption; or, with `edit`,
    the new text of a message the bot sent her before (e.g. a status message's final line)."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file_id
    document: str | None = None
    protect: bool = False  # protect_content: no forwarding, no saving
    # The id of a message sent earlier into the same chat: it is edited (its text, or its
    # caption when `photo` or `document` is set, and its buttons) instead of a new one sent.
    edit: int | None = None


async def send_rendered(bot: Bot, chat_id: int, rendered: Rendered, **options: Any) -> int | None:
    """Send (or apply, for an edit) what a renderer made: the one way the outbox's messages
    leave, also used to show one to its author exactly as it will look (a preview).
    `options`: rate_limit_args and time-outs. Returns the id of a new message. An edit whose
    message is gone is sent anew; one that changes nothing is done already."""
    if rendered.edit is not None:
        try:
            if rendered.photo or rendered.document:
                await bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=rendered.edit,
                    caption=rendered.text,
                    reply_markup=rendered.markup,
                    **options,
                )
            else:
                await bot.edit_message_text(
                    rendered.text,
                    chat_id=chat_id,
                    message_id=rendered.edit,
                    reply_markup=rendered.markup,
                    **options,
                )
            return None
        except BadRequest as exc:
            if "not modified" in exc.message:
                return None
            if "not found" not in exc.message:
                raise
    common: dict[str, Any] = {
        "reply_markup": rendered.markup,
        "protect_content": rendered.protect or None,
    }
    if rendered.photo:
        sent = await bot.send_photo(
            chat_id, rendered.photo, caption=rendered.text, **common, **options
        )
    elif rendered.document:
        sent = await bot.send_document(
            chat_id, rendered.document, caption=rendered.text, **common, **options
        )
    else:
        sent = await bot.send_message(chat_id, rendered.text, **common, **options)
    return sent.message_id


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a message goes to, in her language, with the row's parameters."""

    app: SolidarityApp
    chat_id: int
    t: Translator
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    batch_id: int | None = None


Renderer = Callable[[Recipient], Awaitable[Rendered | None]]
# A batch is done (every message sent, blocked or failed), or its deadline has passed first
# (`late`): what follows, e.g. telling the reporter to how many coordinators her alert went.
# The hook makes its own changes (they must bear being made twice: a crash may come before the
# batch is closed, and the hook then runs again) and returns the messages that tell of it;
# they are written to the outbox in the transaction that closes the batch (or clears its
# deadline), so they go exactly once.
BatchHook = Callable[["SolidarityApp", BatchInfo, bool], Awaitable[Sequence[Outgoing]]]

# A running batch's progress, shown every few seconds (e.g. on an announcement's status message).
ProgressHook = Callable[["SolidarityApp", BatchInfo], Awaitable[None]]

# A message could not be delivered (blocked or failed): what follows, e.g. telling the sender
# of a reply. Gets the row's parameters and its final status.
ResultHook = Callable[["SolidarityApp", dict[str, Any], str], Awaitable[None]]

# A new message was delivered: what follows, e.g. keeping its id to edit it later (the other
# approvers' copies of a request once one of them has decided). Gets the recipient's chat, the
# row's parameters and the id of the message in her chat.
SentHook = Callable[["SolidarityApp", int, dict[str, Any], int], Awaitable[None]]

RENDERERS: dict[str, Renderer] = {}
RESULT_HOOKS: dict[str, ResultHook] = {}
SENT_HOOKS: dict[str, SentHook] = {}
BATCH_HOOKS: dict[str, BatchHook] = {}
PROGRESS_HOOKS: dict[str, ProgressHook] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how messages of `kind` are rendered (once per kind)."""

    def register(function: Renderer) -> Renderer:
        if kind in RENDERERS and RENDERERS[kind] is not function:
            raise ValueError(f"two renderers for {kind!r}")
        RENDERERS[kind] = function
        return function

    return register


def batch_hook(kind: str) -> Callable[[BatchHook], BatchHook]:
    """Register what happens when a batch of `kind` is done (or late)."""

    def register(function: BatchHook) -> BatchHook:
        BATCH_HOOKS[kind] = function
        return function

    return register


def result_hook(kind: str) -> Callable[[ResultHook], ResultHook]:
    """Register what happens when a message of `kind` could not be delivered."""

    def register(function: ResultHook) -> ResultHook:
        RESULT_HOOKS[kind] = function
        return function

    return register


def sent_hook(kind: str) -> Callable[[SentHook], SentHook]:
    """Register what happens when a new message of `kind` has been delivered (not after an
    edit)."""

    def register(function: SentHook) -> SentHook:
        SENT_HOOKS[kind] = function
        return function

    return register


def progress_hook(kind: str) -> Callable[[ProgressHook], ProgressHook]:
    """Register how a running batch of `kind` shows its progress."""

    def register(function: ProgressHook) -> ProgressHook:
        PROGRESS_HOOKS[kind] = function
        return function

    return register
