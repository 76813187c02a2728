"""The one machinery for question-by-question forms (join, report, event, announcement).

A form is its steps, declared once and in order (`Step`). Each step says what it asks, what it
takes (buttons, text, a contact, a location, files) and how an answer is checked and kept. The
machinery (`Form`) does the rest, the same way for every form:

- one question per message, with ◀ Back (the previous step; from an edit, the summary),
  ✖ Cancel and, for optional steps, ⏭ Skip;
- a wrong input gets a short hint pointing at the question above; the question itself is sent
  again only when it has scrolled out of sight;
- the summary shows every answer with a ✏️ button; after an edit she is back on the summary;
- buttons of older questions and summaries are inert: every question carries a sequence number
  in its buttons, and only the newest one counts;
- ✖ Cancel (and /cancel) asks "Discard this draft?" once she has typed or sent something;
- the draft lives in `user_data` (persisted, encrypted); the step she is on is the
  ConversationHandler's state (the step's name). Opening the form again with a draft open
  resumes it and says so; when the state was lost (another conversation took over, say), she
  resumes at the first step that still needs an answer.

A feature declares its `Step`s and a `Form` (see bot/handlers/join.py and
bot/handlers/report_form.py) and registers `form.handlers()`.
"""

from bot.context import BotContext
from bot.forms.form import FORMS, Form
from bot.forms.steps import Incoming, Input, Option, Refused, Step, clean_text
from bot.forms.turn import Turn
from bot.forms.wiring import SUMMARY

__all__ = [
    "FORMS",
    "SUMMARY",
    "Form",
    "Incoming",
    "Input",
    "Option",
    "Refused",
    "Step",
    "Turn",
    "clean_text",
    "open_forms",
]


def open_forms(context: BotContext) -> list[Form]:
    """The forms she has a draft in that a command resumes (e.g. /report), in the order they
    were declared."""
    return [form for form in FORMS.values() if form.command and form.has_draft(context)]
