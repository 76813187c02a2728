"""The machinery of a form: asking, answers, Back, Cancel, the summary, stale buttons, resuming.
See bot/forms/__init__.py for what it does; bot/forms/steps.py for what a step is."""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ConversationHandler

from bot.callbacks import CODE, ID, OPTIONAL_CODE, Callback
from bot.context import BotContext
from bot.forms.keyboards import (
    confirm_discard,
    question_keyboard,
    reply_key,
    summary_keyboard,
)
from bot.forms.steps import Draft, Incoming, Input, Refused, Step, default_hint, kind_of
from bot.forms.turn import Hook, Turn, ack, edit, settle
from bot.forms.wiring import SUMMARY, Handler, conversation
from bot.i18n import Translator
from bot.menu import main_menu_keyboard, main_menu_text
from bot.replies import message_html

log = logging.getLogger(__name__)

END = ConversationHandler.END
# A question more than this many messages above her input has scrolled out of sight.
SCROLL_MESSAGES = 6


# Every form, by name (the `user_data` key of its draft): filled as forms are declared, so that
# e.g. /language can tell her which form she left open.
FORMS: dict[str, Form] = {}


class Form:
    """A question-by-question conversation.

    name          conversation name, and the `user_data` key of the draft
    code          a short code for its buttons' data (f<code>:<seq>:<action>:<arg>)
    command       the command that opens it (and resumes it)
    intro         msgid of the first message of a new draft
    submit        the final action (the summary's button); True ends the form
    submit_label  msgid of that button (`submit_icon` goes before it)
    title         msgid of the summary's heading
    summary       the summary's text, if not `title` and a line per labelled answer
    cancelled     msgid said after the draft is discarded
    kept          what stays elsewhere when the draft is discarded, if anything does (said
                  with the discard's question, and after it instead of `cancelled`)
    before        run before a new draft; False: the form does not open (e.g. already a member)
    prefill       fills a new draft
    remember_messages  keep the ids of the form's messages (to remove them later)
    single        one question, no summary (editing one field of a profile): `submit` runs
                  right after the answer; Back and Cancel end it and run `leave`
    actions       the form's own buttons on its summary, by action name: a button made with
                  `form.press(seq, action, arg)` runs `actions[action](turn, arg)`
    """

    def __init__(
        self,
        name: str,
        code: str,
        steps: Sequence[Step],
        *,
        command: str | None,
        submit: Hook,
        intro: str | None = None,
        submit_label: str = "",
        submit_icon: str = "✅ ",
        title: str = "",
        summary: Callable[[Translator, Draft], str] | None = None,
        cancelled: str = "",
        kept: Callable[[Translator, Draft], str | None] | None = None,
        before: Hook | None = None,
        prefill: Callable[[Turn], Awaitable[None]] | None = None,
        remember_messages: bool = False,
        single: bool = False,
        leave: Callable[[Turn], Awaitable[None]] | None = None,
        actions: dict[str, Callable[[Turn, str | None], Awaitable[object]]] | None = None,
    ) -> None:
        self.name = name
        self.steps = tuple(steps)
        self.by_name = {step.name: step for step in self.steps}
        self.command = command
        self.submit = submit
        self.intro = intro
        self.submit_label = submit_label
        self.submit_icon = submit_icon
        self.title = title
        self._summary = summary
        self.cancelled = cancelled
        self.kept = kept
        self.before = before
        self.prefill = prefill
        self.remember_messages = remember_messages
        self.single = single
        self.leave = leave
        # The form's own buttons on its summary (e.g. remove a file), by action name.
        self.actions = dict(actions or {})
        self.press = Callback(f"f{code}", ID, CODE, OPTIONAL_CODE)
        FORMS[name] = self

    # -- the draft ---------------------------------------------------------------------------

    def turn(self, update: Update, context: BotContext) -> Turn:
        assert context.user_data is not None
        draft = context.user_data.get(self.name)
        return Turn(self, update, context, draft if isinstance(draft, dict) else {})

    def has_draft(self, context: BotContext) -> bool:
        return isinstance((context.user_data or {}).get(self.name), dict)

    def drop(self, context: BotContext) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.name, None)

    def _open(self, turn: Turn) -> None:
        assert turn.context.user_data is not None
        # _id makes submitting idempotent: a draft is filed once, however often Send is pressed.
        turn.draft = {"_id": secrets.token_hex(16), "_seq": 0}
        turn.context.user_data[self.name] = turn.draft

    # -- which step --------------------------------------------------------------------------

    def applicable(self, draft: Draft) -> list[Step]:
        return [step for step in self.steps if step.applies(draft)]

    def _after(self, draft: Draft, name: str) -> Step | None:
        names = [s.name for s in self.applicable(draft)]
        if name not in names:
            return self.first_open_step(draft)
        rest = self.applicable(draft)[names.index(name) + 1 :]
        return rest[0] if rest else None

    def _before(self, draft: Draft, name: str) -> Step | None:
        steps = self.applicable(draft)
        if name == SUMMARY:
            return steps[-1] if steps else None
        names = [s.name for s in steps]
        index = names.index(name) if name in names else 0
        return steps[index - 1] if index > 0 else None

    def first_open_step(self, draft: Draft) -> Step | None:
        """The first step that still needs an answer (None: all answered; a skipped optional
        step counts as answered)."""
        return next((s for s in self.applicable(draft) if s.name not in draft), None)

    def missing(self, draft: Draft) -> Step | None:
        """A step the summary cannot do without: unanswered, or empty though required."""
        for step in self.applicable(draft):
            value = draft.get(step.name)
            if step.name not in draft or (not step.optional and value in (None, "", [])):
                return step
        return None

    # -- asking ------------------------------------------------------------------------------

    def _has_back(self, turn: Turn, step: Step) -> bool:
        return (
            self.single
            or bool(turn.draft.get("_edit"))
            or self._before(turn.draft, step.name) is not None
        )

    def keyboard(self, turn: Turn, step: Step, seq: int) -> Any:
        """The buttons of a question (see bot/forms/keyboards.py)."""
        back = self._has_back(turn, step)
        return question_keyboard(self.press, turn.t, step, turn.draft, seq, back=back)

    async def ask(self, turn: Turn, step: Step) -> str:
        """Send the question of `step`; returns its state."""
        seq = int(turn.draft.get("_seq", 0)) + 1
        turn.draft["_seq"] = seq
        sent = await turn.say(step.question(turn.t, turn.draft), self.keyboard(turn, step, seq))
        turn.draft["_q"] = sent.message_id
        return step.name

    async def refresh(self, turn: Turn, step: Step) -> None:
        """The same question with its buttons redrawn (e.g. a toggled choice)."""
        query = turn.query
        if query is None:
            return
        markup = self.keyboard(turn, step, int(turn.draft.get("_seq", 0)))
        await edit(query, message_html(query.message), markup)

    def summary_text(self, t: Translator, draft: Draft) -> str:
        if self._summary is not None:
            return self._summary(t, draft)
        lines = [t.gettext(self.title)]
        for step in self.applicable(draft):
            if step.label is not None:
                value = step.show(t, draft) if step.show else html.escape(str(draft[step.name]))
                lines.append(f"{t.gettext(step.label)}: {value or '—'}")
        return "\n".join(lines)

    async def show_summary(self, turn: Turn) -> str:
        t = turn.t
        seq = int(turn.draft.get("_seq", 0)) + 1
        turn.draft["_seq"] = seq
        turn.draft["_edit"] = True
        submit = self.submit_icon + t.gettext(self.submit_label)
        markup = summary_keyboard(self.press, t, self.applicable(turn.draft), seq, submit)
        sent = await turn.say(self.summary_text(t, turn.draft), markup)
        turn.draft["_q"] = sent.message_id
        return SUMMARY

    async def go_on(self, turn: Turn, after: str) -> object:
        """After an answer to `after`: the next step; when editing, the summary (or a step
        that the edit made necessary, e.g. "what was it?" after choosing "Other")."""
        if self.single:
            return await self._submit_single(turn)
        if turn.draft.get("_edit"):
            following = self.first_open_step(turn.draft)
        else:
            following = self._after(turn.draft, after)
        return await (self.ask(turn, following) if following else self.show_summary(turn))

    # -- entering ----------------------------------------------------------------------------

    async def start(self, update: Update, context: BotContext, at: str | None = None) -> object:
        """The command or a menu button: resume her draft, or open a new one (`at`: the step
        a one-question form asks; SUMMARY: the summary, when `prefill` answered every step)."""
        turn = self.turn(update, context)
        if self.has_draft(context) and not self.single:
            await ack(turn.query)
            return await self.resume(turn, None)
        if self.before is not None and not await self.before(turn):
            return END  # `before` answered her (and the button)
        await ack(turn.query)
        self._open(turn)
        turn.remember(update.message)
        if self.prefill is not None:
            await self.prefill(turn)
        if self.intro:
            await turn.say(turn.t.gettext(self.intro))
        if at == SUMMARY and self.missing(turn.draft) is None:  # a draft `prefill` restored
            return await self.show_summary(turn)
        step = self.by_name.get(at or "") or self.first_open_step(turn.draft)
        if step is None and not self.single:
            return await self.show_summary(turn)  # prefilled whole (editing what exists)
        step = step or self.steps[0]
        if self.single:
            turn.draft["_at"] = step.name
        return await self.ask(turn, step)

    async def resume(self, turn: Turn, state: str | None) -> object:
        """Her draft is open: say so, and ask again where she stopped."""
        turn.remember(turn.update.message)
        await turn.say(
            turn.t.gettext(
                "You have a draft you have not finished. Here is where you stopped; "
                "everything you entered is kept. ✖ Cancel discards it."
            )
        )
        step = self.by_name.get(state or "")
        if step is not None and step.applies(turn.draft):
            return await self.ask(turn, step)
        following = self.first_open_step(turn.draft)
        if state == SUMMARY or following is None:
            return await self.show_summary(turn)
        return await self.ask(turn, following)

    # -- answers -----------------------------------------------------------------------------

    async def on_message(self, turn: Turn, step: Step) -> object:
        """An answer typed or sent to the current question."""
        message = turn.update.effective_message
        assert message is not None
        turn.remember(message)
        if Input.CONTACT in step.inputs and message.text is not None:
            action = reply_key(turn.t, message.text)
            if action is not None:
                return await self.act(turn, step, action, None)
        kind = kind_of(message)
        if kind is None or kind not in step.inputs:
            return await self.wrong(turn, step)
        incoming = Incoming(kind, text=message.text or message.caption, message=message)
        try:
            go_on = await step.accept(turn, incoming)
        except Refused as refused:
            return await self.wrong(turn, step, refused.hint)
        turn.draft["_typed"] = True  # cancelling now asks first
        if not go_on:
            return step.name
        if Input.CONTACT in step.inputs:
            await turn.say(turn.t.gettext("Got it."), ReplyKeyboardRemove())
        return await self.go_on(turn, step.name)

    async def wrong(self, turn: Turn, step: Step | None, hint: str | None = None) -> object:
        """A short hint pointing at the question above; the question again only when it has
        scrolled out of sight."""
        text = hint or turn.t.gettext(default_hint(step))
        message = turn.update.effective_message
        asked = int(turn.draft.get("_q", 0))
        await turn.say(text)
        if message is not None and message.message_id - asked > SCROLL_MESSAGES:
            return await (self.ask(turn, step) if step else self.show_summary(turn))
        return step.name if step else SUMMARY

    async def on_press(self, turn: Turn, state: str) -> object:
        """A button of this form: only those of the newest question count."""
        query = turn.query
        assert query is not None
        parsed = self.press.parse(query.data)
        assert parsed is not None  # the handler's pattern matched it
        seq, action, arg = parsed
        if seq != turn.draft.get("_seq"):
            await query.answer(
                turn.t.gettext("This is an old message; the current question is below."),
                show_alert=True,
            )
            return None
        return await self.act(turn, self.by_name.get(state), action, arg)

    async def act(self, turn: Turn, step: Step | None, action: str, arg: str | None) -> object:
        """What a button (or a reply-keyboard word) asks for."""
        query = turn.query
        t = turn.t
        if action == "cancel":
            return await self.cancel(turn, step)
        if action == "discard":
            return await self.discard(turn)
        if action == "keep":
            await settle(query, "✔ " + t.gettext("The draft is kept."))
            return None
        if action == "back":
            return await self._back(turn, step)
        if step is None:  # the summary
            if action == "edit" and arg in self.by_name:
                await ack(query)
                return await self.ask(turn, self.by_name[arg])
            if action == "submit":
                return await self._submit(turn)
            if action in self.actions:
                return await self.actions[action](turn, arg)
        elif action == "skip" and step.optional:
            turn.draft[step.name] = None
            await settle(
                query, message_html(query.message if query else None), t.gettext("Skipped")
            )
            if query is None or Input.CONTACT in step.inputs:
                await turn.say(t.gettext("Skipped"), ReplyKeyboardRemove())
            return await self.go_on(turn, step.name)
        elif action == "done" and step.collect:
            problem = step.done(turn) if step.done else None
            if problem:
                await ack(query, problem, alert=True)
                return None
            await ack(query)
            return await self.go_on(turn, step.name)
        elif action == "pick" and step.options is not None:
            return await self._pick(turn, step, arg)
        await ack(query)
        return None

    async def _pick(self, turn: Turn, step: Step, value: str | None) -> object:
        query = turn.query
        options = {o.value: o for o in step.options(turn.t, turn.draft)} if step.options else {}
        if value not in options:
            await ack(query)
            return None
        try:
            go_on = await step.accept(turn, Incoming(Input.BUTTON, value=value))
        except Refused as refused:
            await ack(query, refused.hint, alert=True)
            return step.name
        if not go_on:
            await ack(query)
            await self.refresh(turn, step)
            return step.name
        await settle(query, message_html(query.message if query else None), options[value].label)
        return await self.go_on(turn, step.name)

    async def _back(self, turn: Turn, step: Step | None) -> object:
        if self.single:
            return await self._leave_single(turn)
        await ack(turn.query)
        if step is not None and Input.CONTACT in step.inputs:
            await turn.say("◀", ReplyKeyboardRemove())
        if turn.draft.get("_edit"):
            return await self.show_summary(turn)
        previous = self._before(turn.draft, step.name if step else SUMMARY)
        return await self.ask(turn, previous or step or self.steps[0])

    # -- ending ------------------------------------------------------------------------------

    async def cancel(self, turn: Turn, step: Step | None) -> object:
        """✖ Cancel or /cancel: at once if she typed nothing, else after a confirmation."""
        if self.single:
            return await self._leave_single(turn)
        if not turn.draft.get("_typed"):
            return await self.discard(turn)
        await ack(turn.query)
        t = turn.t
        seq = int(turn.draft.get("_seq", 0))
        await turn.say(
            self._and_kept(
                t, turn.draft, t.gettext("Discard this draft? What you entered will be deleted.")
            ),
            confirm_discard(self.press, t, seq),
        )
        return None  # she stays where she is until she chooses

    def _and_kept(self, t: Translator, draft: Draft, text: str) -> str:
        kept = self.kept(t, draft) if self.kept is not None else None
        return f"{text}\n{kept}" if kept else text

    async def discard(self, turn: Turn) -> object:
        await ack(turn.query)
        t = turn.t
        kept = self.kept(t, turn.draft) if self.kept is not None else None
        if kept:  # something was sent before: "nothing was sent" would not be true
            cancelled = t.gettext("Cancelled, and the draft is deleted.") + "\n" + kept
        else:
            cancelled = t.gettext(self.cancelled)
        self.drop(turn.context)
        await turn.say(cancelled, ReplyKeyboardRemove())
        await turn.say(main_menu_text(t), main_menu_keyboard(t))
        return END

    async def _submit(self, turn: Turn) -> object:
        gap = self.missing(turn.draft)
        if gap is not None:
            await ack(turn.query, turn.t.gettext("Some answers are missing."), alert=True)
            turn.draft["_edit"] = True
            return await self.ask(turn, gap)
        if await self.submit(turn):
            self.drop(turn.context)
            return END
        return SUMMARY

    async def _submit_single(self, turn: Turn) -> object:
        if await self.submit(turn):
            self.drop(turn.context)
            return END
        return None

    async def _leave_single(self, turn: Turn) -> object:
        await ack(turn.query)
        self.drop(turn.context)
        if self.leave is not None:
            await self.leave(turn)
        return END

    # -- wiring ------------------------------------------------------------------------------

    def handlers(
        self, buttons: Sequence[re.Pattern[str] | str] = (), entries: Sequence[Handler] = ()
    ) -> list[Handler]:
        """The form's conversation (see bot/forms/wiring.py)."""
        return [conversation(self, buttons, entries)]
