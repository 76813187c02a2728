"""What a form is made of: steps, the kinds of input they take, and what she sent."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Message
from telegram.ext import filters

from bot.i18n import N_, Translator

if TYPE_CHECKING:
    from bot.forms.form import Turn

Draft = dict[str, Any]


class Input(enum.Flag):
    """What a step takes."""

    BUTTON = enum.auto()
    TEXT = enum.auto()
    CONTACT = enum.auto()
    LOCATION = enum.auto()
    FILE = enum.auto()


FILE_FILTER = (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
)
# The message filter of each kind of input a message can carry.
MESSAGE_FILTERS = {
    Input.TEXT: filters.TEXT & ~filters.COMMAND,
    Input.CONTACT: filters.CONTACT,
    Input.LOCATION: filters.LOCATION,
    Input.FILE: FILE_FILTER,
}


@dataclass(frozen=True, slots=True)
class Option:
    """A button of a question: the value kept (a short code), and its label (translated)."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """What she sent: a pressed option, or a message (text, contact, location or file)."""

    kind: Input
    value: str | None = None  # the option's value, for BUTTON
    text: str | None = None  # the text, or a file's caption
    message: Message | None = None


class Refused(Exception):
    """Raised by a step's `accept` with a short hint (translated) when an answer does not fit.
    Nothing of the answer is kept unless the hint says so."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


# accept: check and keep an answer; True goes on to the next step, False stays on this one
# (a step that collects several answers until ✔ Done). Raises Refused(hint) if it does not fit.
Accept = Callable[["Turn", Incoming], Awaitable[bool]]
Show = Callable[[Translator, Draft], str]


def _always(_draft: Draft) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One question of a form.

    name      the key of the answer in the draft, and the ConversationHandler state
    question  the question's text (HTML) in her language; may show the current answer
    inputs    what it takes
    accept    checks and keeps an answer (see Accept)
    options   the buttons to choose from (Input.BUTTON); a value is a short code
    label     msgid of the answer's name on the summary and its ✏️ button; None: not shown
    show      the answer as the summary shows it (HTML, escaped)
    optional  offers ⏭ Skip, which keeps None
    applies   False leaves the step out for this draft (e.g. "what was it?" only for "Other")
    collect   answers accumulate until ✔ Done; `done` checks the whole first (a hint, or None)
    hint      msgid of the hint for an input the step does not take (default: by its inputs)
    per_row   option buttons in a row (a label too long for it gets a row of its own)
    """

    name: str
    question: Show
    inputs: Input
    accept: Accept
    options: Callable[[Translator, Draft], Sequence[Option]] | None = None
    label: str | None = None
    show: Show | None = None
    optional: bool = False
    applies: Callable[[Draft], bool] = _always
    collect: bool = False
    done: Callable[[Turn], str | None] | None = None
    hint: str | None = None
    per_row: int = 1


def default_hint(step: Step | None) -> str:
    """The msgid of the hint for an input the question does not take."""
    if step is None:
        return N_("Please use the buttons of the summary above.")
    if step.hint:
        return step.hint
    if Input.CONTACT in step.inputs:
        return N_("Please use the “Share my phone number” button below, or skip.")
    if Input.TEXT in step.inputs and step.options:
        return N_("Please tap a button of the question above, or answer it in a few words.")
    if Input.TEXT in step.inputs:
        return N_("Please answer the question above with a text message.")
    return N_("Please tap one of the buttons of the question above.")


def kind_of(message: Message) -> Input | None:
    """The kind of input a message carries (None for stickers, polls and the like)."""
    if message.contact is not None:
        return Input.CONTACT
    if message.location is not None:
        return Input.LOCATION
    if (
        message.photo
        or message.document
        or message.voice
        or message.audio
        or message.video
        or message.video_note
    ):
        return Input.FILE
    if message.text is not None:
        return Input.TEXT
    return None


def clean_text(text: str, *, lines: bool = False) -> str:
    """What she typed, with invisible and direction-control characters (Unicode category Cf:
    zero-width, RTL override) removed and runs of spaces made one (`lines`: line breaks kept,
    for a story)."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    if lines:
        return "\n".join(" ".join(line.split()) for line in visible.strip().splitlines())
    return " ".join(visible.split())
