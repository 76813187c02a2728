"""A form as python-telegram-bot handlers: one persistent ConversationHandler whose states are
the form's steps (and the summary)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.forms.steps import MESSAGE_FILTERS, Input, Step
from bot.forms.turn import Turn, ack

if TYPE_CHECKING:
    from bot.forms.form import Form

Handler = BaseHandler[Update, BotContext, Any]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, object]]
SUMMARY = "summary"


def conversation(
    form: Form, buttons: Sequence[re.Pattern[str] | str], entries: Sequence[Handler]
) -> ConversationHandler[BotContext]:
    """Opened by the form's command, by `buttons` (callback data patterns, e.g. a menu entry),
    which also resume it while it is open, or by other `entries` (handlers that call
    `form.start`)."""

    def bind(method: Callable[[Turn, Any], Awaitable[object]], arg: Any) -> Callback:
        async def callback(update: Update, context: BotContext) -> object:
            if not form.has_draft(context):
                # Her draft is gone while the conversation still waits (she left, and /leave
                # erased her conversation data): the form begins again, or says it is closed.
                if method is resume_here:
                    return await form.start(update, context)
                return await draft_gone(form.turn(update, context))
            return await method(form.turn(update, context), arg)

        callback.__doc__ = method.__doc__
        return callback

    openers: list[Handler] = [
        *entries,
        *(CallbackQueryHandler(form.start, pattern=p) for p in buttons),
    ]
    if form.command:
        openers.insert(0, CommandHandler(form.command, form.start))
    # A button of this form while it is closed (another conversation took over): resume.
    openers.append(CallbackQueryHandler(bind(closed_press, form), pattern=form.press.pattern))
    states: dict[object, list[Handler]] = {}
    for state in [*(s.name for s in form.steps), SUMMARY]:
        step = form.by_name.get(state)
        handlers: list[Handler] = [
            CallbackQueryHandler(bind(form.on_press, state), pattern=form.press.pattern)
        ]
        if not form.single:
            resume = bind(resume_here, state)
            if form.command:
                handlers.append(CommandHandler(form.command, resume))
            handlers += [CallbackQueryHandler(resume, pattern=p) for p in buttons]
        if step is not None:
            # A contact step takes words too: its reply keyboard's Skip, Back and Cancel.
            takes = step.inputs | (Input.TEXT if Input.CONTACT in step.inputs else Input(0))
            handlers += [
                MessageHandler(message_filter, bind(form.on_message, step))
                for kind, message_filter in MESSAGE_FILTERS.items()
                if kind in takes
            ]
        handlers.append(MessageHandler(~filters.COMMAND, bind(other, step)))
        states[state] = handlers
    return persistent_conversation(
        form.name,
        entry_points=openers,
        states=states,
        fallbacks=[CommandHandler("cancel", bind(cancel_command, None))],
        allow_reentry=False,
    )


async def resume_here(turn: Turn, state: str) -> object:
    """The form's command or menu button while it is open: resume where she is."""
    await ack(turn.query)
    return await turn.form.resume(turn, state)


async def other(turn: Turn, step: Step | None) -> object:
    """Something the question does not take (a sticker for a name, say)."""
    turn.remember(turn.update.effective_message)
    return await turn.form.wrong(turn, step)


async def cancel_command(turn: Turn, _arg: None) -> object:
    """/cancel inside the form."""
    turn.remember(turn.update.message)
    return await turn.form.cancel(turn, None)


async def closed_press(turn: Turn, form: Form) -> object:
    """A button of this form while the conversation is closed: resume her draft, or say the
    form is closed."""
    t = turn.t
    if form.has_draft(turn.context) and not form.single:
        await ack(
            turn.query,
            t.gettext("This is an old message; the current question is below."),
            alert=True,
        )
        return await form.resume(turn, None)
    await ack(
        turn.query,
        t.gettext("This form is already closed. Use the menu to start again."),
        alert=True,
    )
    return ConversationHandler.END


async def draft_gone(turn: Turn) -> object:
    """An answer or a button of a form whose draft is gone: it is closed."""
    text = turn.t.gettext("This form is already closed. Use the menu to start again.")
    if turn.query is not None:
        await ack(turn.query, text, alert=True)
    else:
        await turn.say(text)
    return ConversationHandler.END
