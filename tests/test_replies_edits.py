"""An edit under a pressed button is skipped only when it would change nothing: a second tap
(its update carries the message as it was before the first tap's edit), not a message that
another edit has changed since (bot/replies.edit_message)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, cast

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.replies import Edits, edit_message

NOW = 1_700_000_000
CHAT = Chat(7, "private")


def showing(text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    return Message(42, NOW, CHAT, text=text, reply_markup=markup)  # type: ignore[arg-type]


class Press:
    """A pressed button's query: the message as the update carried it; edits are noted."""

    def __init__(self, message: Message, sent: list[str]) -> None:
        self.message = message
        self.sent = sent

    async def edit_message_text(self, text: str, **kwargs: Any) -> None:
        self.sent.append(text)


async def press(message: Message, text: str, edits: Edits, sent: list[str]) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Back", callback_data="b")]])
    await edit_message(cast(CallbackQuery, Press(message, sent)), text, markup, edits)


async def test_a_second_tap_is_not_edited_again_but_a_message_changed_since_is() -> None:
    edits: Edits = OrderedDict()
    sent: list[str] = []
    menu = showing("Menu")
    await press(menu, "Card", edits, sent)
    # The second tap of the same button: its update still shows the menu.
    await press(menu, "Card", edits, sent)
    assert sent == ["Card"]
    # Another edit (not through edit_message) changed the message since; pressed again, the
    # card is shown again.
    await press(showing("Decline: choose a reason"), "Card", edits, sent)
    assert sent == ["Card", "Card"]
    # Without the memory, only what the message shows counts.
    await press(menu, "Card", OrderedDict(), sent)
    assert sent == ["Card", "Card", "Card"]
