"""The buttons of a form's messages: a question's options and ◀ Back / ✖ Cancel / ⏭ Skip /
✔ Done, the summary's ✏️ buttons, and the reply keyboard that shares a phone number.

Every inline button's data is the form's `press` callback: f<code>:<seq>:<action>:<arg>, where
`seq` numbers the question, so that only the newest question's buttons count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.callbacks import Callback
from bot.forms.steps import Input, Step
from bot.i18n import N_, Translator
from bot.keyboards import in_rows


def button(
    press: Callback,
    t: Translator,
    seq: int,
    icon: str,
    msgid: str,
    action: str,
    arg: str | None = None,
) -> InlineKeyboardButton:
    return InlineKeyboardButton(icon + t.gettext(msgid), callback_data=press(seq, action, arg))


def nav_row(press: Callback, t: Translator, seq: int, *, back: bool) -> list[InlineKeyboardButton]:
    row = [button(press, t, seq, "✖ ", N_("Cancel"), "cancel")]
    if back:
        row.insert(0, button(press, t, seq, "◀ ", N_("Back"), "back"))
    return row


def question_keyboard(
    press: Callback, t: Translator, step: Step, draft: dict[str, Any], seq: int, *, back: bool
) -> Any:
    """The buttons of a question: its options, ✔ Done, ⏭ Skip, ◀ Back and ✖ Cancel."""
    if Input.CONTACT in step.inputs:
        return contact_keyboard(t, step, back=back)
    rows: list[list[InlineKeyboardButton]] = []
    if step.options is not None:
        options = [
            InlineKeyboardButton(o.label, callback_data=press(seq, "pick", o.value))
            for o in step.options(t, draft)
        ]
        rows += in_rows(options, step.per_row)
    if step.collect:
        rows.append([button(press, t, seq, "✔ ", N_("Done"), "done")])
    if step.optional:
        rows.append([button(press, t, seq, "⏭ ", N_("Skip"), "skip")])
    rows.append(nav_row(press, t, seq, back=back))
    return InlineKeyboardMarkup(rows)


def summary_keyboard(
    press: Callback, t: Translator, steps: Sequence[Step], seq: int, submit: str
) -> InlineKeyboardMarkup:
    """✏️ for every answer, the form's own submit button (`submit`: its label, translated),
    and ✖ Cancel."""
    edits = [
        InlineKeyboardButton(
            "✏️ " + t.gettext(step.label), callback_data=press(seq, "edit", step.name)
        )
        for step in steps
        if step.label is not None
    ]
    rows = in_rows(edits)
    rows.append([InlineKeyboardButton(submit, callback_data=press(seq, "submit", None))])
    rows.append(nav_row(press, t, seq, back=False))
    return InlineKeyboardMarkup(rows)


def confirm_discard(press: Callback, t: Translator, seq: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(press, t, seq, "🗑 ", N_("Yes, discard"), "discard"),
                button(press, t, seq, "", N_("Keep it"), "keep"),
            ]
        ]
    )


def contact_labels(t: Translator) -> dict[str, str]:
    """The words of the phone keyboard's keys, by action."""
    return {
        "share": "📱 " + t.gettext("Share my phone number"),
        "skip": "⏭ " + t.gettext("Skip"),
        "back": "◀ " + t.gettext("Back"),
        "cancel": "✖ " + t.gettext("Cancel"),
    }


def contact_keyboard(t: Translator, step: Step, *, back: bool) -> ReplyKeyboardMarkup:
    """Telegram's "share my contact" needs a reply keyboard; its other keys are words."""
    labels = contact_labels(t)
    rows = [[KeyboardButton(labels["share"], request_contact=True)]]
    if step.optional:
        rows.append([KeyboardButton(labels["skip"])])
    last = [KeyboardButton(labels["cancel"])]
    if back:
        last.insert(0, KeyboardButton(labels["back"]))
    rows.append(last)
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def reply_key(t: Translator, text: str) -> str | None:
    """The action of a phone-keyboard word (Skip, Back, Cancel), if she tapped one."""
    labels = contact_labels(t)
    return next((a for a in ("skip", "back", "cancel") if text == labels[a]), None)
