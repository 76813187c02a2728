"""The machinery of a form: asking, answers, Back, Cancel, the summary, stale buttons, resuming.
See bot/forms/__init__.py for what it does; bot/forms/steps.py for what a step is."""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CODE, ID, OPTIONAL_CODE, Callback
from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.forms.steps import (
    MESSAGE_FILTERS,
    Draft,
    Incoming,
    Input,
    Refused,
    Step,
    default_hint,
    kind_of,
)
from bot.i18n import N_, Translator
from bot.keyboards import in_rows
from bot.menu import main_menu_keyboard, main_menu_text
from bot.replies import message_html

log = logging.getLogger(__name__)

SUMMARY = "summary"
END = ConversationHandler.END
# A question more than this many messages above her input has scrolled out of sight.
SCROLL_MESSAGES = 6

Handler = BaseHandler[Update, BotContext, Any]
Callback_ = Callable[[Update, BotContext], Coroutine[Any, Any, object]]


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
    before        run before a new draft; False: the form does not open (e.g. already a member)
    prefill       fills a new draft
    remember_messages  keep the ids of the form's messages (to remove them later)
    single        one question, no summary (editing one field of a profile): `submit` runs
                  right after the answer; Back and Cancel end it and run `leave`
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
        before: Hook | None = None,
        prefill: Callable[[Turn], Awaitable[None]] | None = None,
        remember_messages: bool = False,
        single: bool = False,
        leave: Callable[[Turn], Awaitable[None]] | None = None,
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
        self.before = before
        self.prefill = prefill
        self.remember_messages = remember_messages
        self.single = single
        self.leave = leave
        self.press = Callback(f"f{code}", ID, CODE, OPTIONAL_CODE)

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

    def _button(
        self, t: Translator, seq: int, icon: str, msgid: str, action: str, arg: str | None = None
    ) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            icon + t.gettext(msgid), callback_data=self.press(seq, action, arg)
        )

    def _nav(self, t: Translator, seq: int, *, back: bool) -> list[InlineKeyboardButton]:
        row = [self._button(t, seq, "✖ ", N_("Cancel"), "cancel")]
        if back:
            row.insert(0, self._button(t, seq, "◀ ", N_("Back"), "back"))
        return row

    def _has_back(self, turn: Turn, step: Step) -> bool:
        return (
            self.single
            or bool(turn.draft.get("_edit"))
            or self._before(turn.draft, step.name) is not None
        )

    def keyboard(self, turn: Turn, step: Step, seq: int) -> Any:
        """The buttons of a question: its options, ✔ Done, ⏭ Skip, ◀ Back and ✖ Cancel."""
        t = turn.t
        back = self._has_back(turn, step)
        if Input.CONTACT in step.inputs:
            return self._contact_keyboard(t, step, back=back)
        rows: list[list[InlineKeyboardButton]] = []
        if step.options is not None:
            buttons = [
                InlineKeyboardButton(o.label, callback_data=self.press(seq, "pick", o.value))
                for o in step.options(t, turn.draft)
            ]
            rows += in_rows(buttons, step.per_row)
        if step.collect:
            rows.append([self._button(t, seq, "✔ ", N_("Done"), "done")])
        if step.optional:
            rows.append([self._button(t, seq, "⏭ ", N_("Skip"), "skip")])
        rows.append(self._nav(t, seq, back=back))
        return InlineKeyboardMarkup(rows)

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
        await _edit(query, message_html(query.message), markup)

    def _contact_labels(self, t: Translator) -> dict[str, str]:
        return {
            "share": "📱 " + t.gettext("Share my phone number"),
            "skip": "⏭ " + t.gettext("Skip"),
            "back": "◀ " + t.gettext("Back"),
            "cancel": "✖ " + t.gettext("Cancel"),
        }

    def _contact_keyboard(self, t: Translator, step: Step, *, back: bool) -> ReplyKeyboardMarkup:
        """Telegram's "share my contact" needs a reply keyboard; its other keys are words."""
        labels = self._contact_labels(t)
        rows = [[KeyboardButton(labels["share"], request_contact=True)]]
        if step.optional:
            rows.append([KeyboardButton(labels["skip"])])
        last = [KeyboardButton(labels["cancel"])]
        if back:
            last.insert(0, KeyboardButton(labels["back"]))
        rows.append(last)
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)

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
        edits = [
            InlineKeyboardButton(
                "✏️ " + t.gettext(step.label), callback_data=self.press(seq, "edit", step.name)
            )
            for step in self.applicable(turn.draft)
            if step.label is not None
        ]
        rows = in_rows(edits)
        submit = InlineKeyboardButton(
            self.submit_icon + t.gettext(self.submit_label),
            callback_data=self.press(seq, "submit", None),
        )
        rows += [[submit], self._nav(t, seq, back=False)]
        sent = await turn.say(self.summary_text(t, turn.draft), InlineKeyboardMarkup(rows))
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
        a one-question form asks)."""
        turn = self.turn(update, context)
        if self.has_draft(context) and not self.single:
            await _ack(turn.query)
            return await self.resume(turn, None)
        if self.before is not None and not await self.before(turn):
            return END  # `before` answered her (and the button)
        await _ack(turn.query)
        self._open(turn)
        turn.remember(update.message)
        if self.prefill is not None:
            await self.prefill(turn)
        if self.intro:
            await turn.say(turn.t.gettext(self.intro))
        step = self.by_name.get(at or "") or self.first_open_step(turn.draft) or self.steps[0]
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
            action = _reply_key(self._contact_labels(turn.t), message.text)
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
            await _settle(query, "✔ " + t.gettext("The draft is kept."))
            return None
        if action == "back":
            return await self._back(turn, step)
        if step is None:  # the summary
            if action == "edit" and arg in self.by_name:
                await _ack(query)
                return await self.ask(turn, self.by_name[arg])
            if action == "submit":
                return await self._submit(turn)
        elif action == "skip" and step.optional:
            turn.draft[step.name] = None
            await _settle(
                query, message_html(query.message if query else None), t.gettext("Skipped")
            )
            if query is None or Input.CONTACT in step.inputs:
                await turn.say(t.gettext("Skipped"), ReplyKeyboardRemove())
            return await self.go_on(turn, step.name)
        elif action == "done" and step.collect:
            problem = step.done(turn) if step.done else None
            if problem:
                await _ack(query, problem, alert=True)
                return None
            await _ack(query)
            return await self.go_on(turn, step.name)
        elif action == "pick" and step.options is not None:
            return await self._pick(turn, step, arg)
        await _ack(query)
        return None

    async def _pick(self, turn: Turn, step: Step, value: str | None) -> object:
        query = turn.query
        options = {o.value: o for o in step.options(turn.t, turn.draft)} if step.options else {}
        if value not in options:
            await _ack(query)
            return None
        try:
            go_on = await step.accept(turn, Incoming(Input.BUTTON, value=value))
        except Refused as refused:
            await _ack(query, refused.hint, alert=True)
            return step.name
        if not go_on:
            await _ack(query)
            await self.refresh(turn, step)
            return step.name
        await _settle(query, message_html(query.message if query else None), options[value].label)
        return await self.go_on(turn, step.name)

    async def _back(self, turn: Turn, step: Step | None) -> object:
        if self.single:
            return await self._leave_single(turn)
        await _ack(turn.query)
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
        await _ack(turn.query)
        t = turn.t
        seq = int(turn.draft.get("_seq", 0))
        buttons = [
            self._button(t, seq, "🗑 ", N_("Yes, discard"), "discard"),
            self._button(t, seq, "", N_("Keep it"), "keep"),
        ]
        await turn.say(
            t.gettext("Discard this draft? What you entered will be deleted."),
            InlineKeyboardMarkup([buttons]),
        )
        return None  # she stays where she is until she chooses

    async def discard(self, turn: Turn) -> object:
        await _ack(turn.query)
        t = turn.t
        self.drop(turn.context)
        await turn.say(t.gettext(self.cancelled), ReplyKeyboardRemove())
        await turn.say(main_menu_text(t), main_menu_keyboard(t))
        return END

    async def _submit(self, turn: Turn) -> object:
        gap = self.missing(turn.draft)
        if gap is not None:
            await _ack(turn.query, turn.t.gettext("Some answers are missing."), alert=True)
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
        await _ack(turn.query)
        self.drop(turn.context)
        if self.leave is not None:
            await self.leave(turn)
        return END

    # -- wiring ------------------------------------------------------------------------------

    def handlers(
        self, buttons: Sequence[re.Pattern[str] | str] = (), entries: Sequence[Handler] = ()
    ) -> list[Handler]:
        """The conversation: opened by the command or by `buttons` (callback data patterns),
        which also resume it while it is open, or by other `entries` (handlers that call
        `start`)."""
        entries = [*entries, *(CallbackQueryHandler(self.start, pattern=p) for p in buttons)]
        if self.command:
            entries.insert(0, CommandHandler(self.command, self.start))
        # A button of this form while it is closed (another conversation took over): resume.
        entries.append(CallbackQueryHandler(self._closed_press, pattern=self.press.pattern))
        states: dict[object, list[Handler]] = {}
        for state in [*(s.name for s in self.steps), SUMMARY]:
            step = self.by_name.get(state)
            handlers: list[Handler] = [
                CallbackQueryHandler(self._bind(self.on_press, state), pattern=self.press.pattern)
            ]
            if not self.single:
                resume = self._bind(self._resume_here, state)
                if self.command:
                    handlers.append(CommandHandler(self.command, resume))
                handlers += [CallbackQueryHandler(resume, pattern=p) for p in buttons]
            if step is not None:
                # A contact step takes words too: its reply keyboard's Skip, Back and Cancel.
                takes = step.inputs | (Input.TEXT if Input.CONTACT in step.inputs else Input(0))
                handlers += [
                    MessageHandler(message_filter, self._bind(self.on_message, step))
                    for kind, message_filter in MESSAGE_FILTERS.items()
                    if kind in takes
                ]
            handlers.append(MessageHandler(~filters.COMMAND, self._bind(self._other, step)))
            states[state] = handlers
        return [
            persistent_conversation(
                self.name,
                entry_points=entries,
                states=states,
                fallbacks=[CommandHandler("cancel", self._bind(self._cancel_command, None))],
                allow_reentry=False,
            )
        ]

    def _bind(self, method: Callable[[Turn, Any], Awaitable[object]], arg: Any) -> Callback_:
        async def callback(update: Update, context: BotContext) -> object:
            return await method(self.turn(update, context), arg)

        callback.__doc__ = method.__doc__
        return callback

    async def _resume_here(self, turn: Turn, state: str) -> object:
        """The form's command or menu button while it is open: resume where she is."""
        await _ack(turn.query)
        return await self.resume(turn, state)

    async def _other(self, turn: Turn, step: Step | None) -> object:
        """Something the question does not take (a sticker for a name, say)."""
        turn.remember(turn.update.effective_message)
        return await self.wrong(turn, step)

    async def _cancel_command(self, turn: Turn, _arg: None) -> object:
        """/cancel inside the form."""
        turn.remember(turn.update.message)
        return await self.cancel(turn, None)

    async def _closed_press(self, update: Update, context: BotContext) -> object:
        """A button of this form while the conversation is closed: resume her draft, or say
        the form is closed."""
        query = update.callback_query
        assert query is not None
        if self.has_draft(context) and not self.single:
            await query.answer(
                context.t.gettext("This is an old message; the current question is below."),
                show_alert=True,
            )
            return await self.resume(self.turn(update, context), None)
        await query.answer(
            context.t.gettext("This form is already closed. Use the menu to start again."),
            show_alert=True,
        )
        return END


def _reply_key(labels: dict[str, str], text: str) -> str | None:
    """The action of a reply-keyboard word (Skip, Back, Cancel), if she tapped one."""
    return next((a for a in ("skip", "back", "cancel") if text == labels[a]), None)


async def _ack(
    query: CallbackQuery | None, text: str | None = None, *, alert: bool = False
) -> None:
    if query is not None:
        await query.answer(text, show_alert=alert)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        # A double tap delivers two presses for one message; the second changes nothing.
        if "not modified" not in exc.message:
            raise


async def _settle(query: CallbackQuery | None, text: str, answer: str | None = None) -> None:
    """The buttons of the answered question give way to her answer."""
    if query is None:
        return
    await query.answer()
    body = f"{text}\n→ {html.escape(answer)}" if answer is not None else text
    await _edit(query, body, None)
