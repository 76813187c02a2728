"""One update inside a form (`Turn`), and the small ways of answering a button."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update

from bot.context import BotContext
from bot.forms.steps import Draft, Step
from bot.i18n import Translator
from bot.replies import edit_message

if TYPE_CHECKING:
    from bot.forms.form import Form


@dataclass
class Turn:
    """One update inside a form: who, her draft, and how to talk to her."""

    form: Form
    update: Update
    context: BotContext
    draft: Draft = field(default_factory=dict)

    @property
    def t(self) -> Translator:
        return self.context.t

    @property
    def user_id(self) -> int:
        assert self.update.effective_user
        return self.update.effective_user.id

    @property
    def query(self) -> CallbackQuery | None:
        return self.update.callback_query

    async def say(self, text: str, markup: Any = None) -> Message:
        """A new message in her chat (remembered with the form's messages)."""
        assert self.update.effective_chat
        sent = await self.context.bot.send_message(
            self.update.effective_chat.id, text, reply_markup=markup
        )
        self.remember(sent)
        return sent

    def remember(self, message: Message | None) -> None:
        """Every message of the form, hers and the bot's, for a form that can remove them."""
        if self.form.remember_messages and message is not None:
            ids: list[int] = self.draft.setdefault("_msgs", [])
            if message.message_id not in ids:
                ids.append(message.message_id)

    async def remind(self, step: Step, text: str) -> None:
        """A message with the buttons of the current question (e.g. "Added. Send more, or
        tap Done."), which the hints then point at."""
        sent = await self.say(text, self.form.keyboard(self, step, int(self.draft["_seq"])))
        self.draft["_q"] = sent.message_id


Hook = Callable[[Turn], Awaitable[bool]]


async def ack(query: CallbackQuery | None, text: str | None = None, *, alert: bool = False) -> None:
    if query is not None:
        await query.answer(text, show_alert=alert)


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    await edit_message(query, text, markup)


async def settle(query: CallbackQuery | None, text: str, answer: str | None = None) -> None:
    """The buttons of the answered question give way to her answer."""
    if query is None:
        return
    await query.answer()
    body = f"{text}\n→ {html.escape(answer)}" if answer is not None else text
    await edit(query, body, None)
