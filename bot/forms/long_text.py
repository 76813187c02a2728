"""Texts with a limit, and the questions that ask for them.

Text over a limit is never thrown away: she is told the limit and how much to remove, her text
is shown back to her (to copy and shorten), it is kept in the draft as a "too long" answer, and a
button offers to keep its first N characters instead. Until she sends a shorter one, the answer
she gave before (when editing) stays as it was.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from bot.forms.steps import Accept, Incoming, Input, Option, Refused, Show, Step, clean_text
from bot.forms.turn import Turn
from bot.i18n import N_, Translator
from bot.text import TEXT_LIMIT, shorten, utf16_len

LONG = "_long"  # draft key: answers over their limit, kept until she shortens them


def question(msgid: str, field: str | None = None) -> Show:
    """A question that is one fixed text. With `field`: her current answer under it ("Now: …"),
    or, while her answer is over its limit, that text to copy and shorten."""

    def text_of(t: Translator, draft: dict[str, Any]) -> str:
        text = t.gettext(msgid)
        long = (draft.get(LONG) or {}).get(field or "")
        if long:
            text += "\n\n" + t.gettext("Your text, to copy and shorten:") + "\n" + _echo(long, text)
        elif field and draft.get(field):
            text += "\n" + t.gettext("Now: {value}").format(value=html.escape(str(draft[field])))
        return text

    return text_of


def _echo(text: str, around: str) -> str:
    """Her text in a <code> block (a tap copies it), cut to what fits in one message."""
    room = TEXT_LIMIT - utf16_len(around) - 200
    return "<code>" + html.escape(shorten(text, max(room, 100))) + "</code>"


def cut_option(limit: int, field: str) -> Callable[[Translator, dict[str, Any]], list[Option]]:
    """The ✂️ button that keeps the first `limit` characters of a text over its limit."""

    def options(t: Translator, draft: dict[str, Any]) -> list[Option]:
        if not (draft.get(LONG) or {}).get(field):
            return []
        label = t.ngettext(
            "Use the first {count} character", "Use the first {count} characters", limit
        ).format(count=limit)
        return [Option("cut", "✂️ " + label)]

    return options


def first_words(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space when there is one near the end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip()


def long_text(field: str, limit: int, *, lines: bool = False) -> Accept:
    """Accept a text of at most `limit` characters, keeping one over it (see the docstring)."""

    async def accept(turn: Turn, incoming: Incoming) -> bool:
        t, draft = turn.t, turn.draft
        waiting: dict[str, str] = draft.setdefault(LONG, {})
        if incoming.kind == Input.BUTTON:  # ✂️ keep the first N characters
            if not waiting.get(field):
                raise Refused(t.gettext("Please answer the question above with a text message."))
            draft[field] = first_words(waiting.pop(field), limit)
            return True
        text = clean_text(incoming.text or "", lines=lines)
        if not text:
            raise Refused(t.gettext("Please answer the question above with a text message."))
        if len(text) > limit:
            waiting[field] = text
            notice = t.gettext(
                "⚠️ Too long: {count} characters, and at most {max} fit here. Please remove "
                "{extra} and send it again, or tap “✂️” to keep the first {max}. Nothing is "
                "lost: your text is in the question below, to copy."
            ).format(count=len(text), max=limit, extra=len(text) - limit)
            if draft.get(field):
                notice += " " + t.gettext("Until then, the answer you gave before stays as it was.")
            await turn.say(notice)
            await turn.form.ask(turn, turn.form.by_name[field])
            return False
        waiting.pop(field, None)
        draft[field] = text
        return True

    return accept


def text_step(name: str, ask: str, limit: int, label: str, *, lines: bool = True) -> Step:
    """A question answered by one text of at most `limit` characters (kept as `name`)."""
    return Step(
        name,
        question(ask, name),
        Input.TEXT | Input.BUTTON,
        long_text(name, limit, lines=lines),
        options=cut_option(limit, name),
        label=label,
        hint=N_("Please answer the question above with a text message."),
    )
