"""Adding a help line (a short form: number, its name in each language, whether it is shown at
once in danger, which reports and regions it suits, then a summary to save) and changing one
answer of a line (the same questions, one at a time). Both on the form machinery: ◀ Back,
✖ Cancel, /cancel (back to the menu), stale buttons, drafts kept across a restart."""

from __future__ import annotations

import html
from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.forms import Form, Incoming, Input, Option, Refused, Step, Turn, clean_text
from bot.i18n import LANGUAGES, N_, Translator
from bot.keyboards import ROW_LIMITS, category_name, label_width, region_name
from bot.replies import require_coordinator
from bot.services.community import REGIONS
from bot.services.help_contacts import (
    Contact,
    changed_text,
    current_text,
    is_confirmed,
    new_contact_id,
    parse_directory,
    save_directory,
    valid_number,
)
from bot.services.reports import CATEGORIES
from bot.text import shorten

from .callbacks import EDIT
from .directory import (
    categories_text,
    directory_keyboard,
    directory_text,
    line_at,
    line_keyboard,
    line_text,
    regions_text,
)

NAME_MIN, NAME_MAX = 2, 120
ALL = "all"  # "all reports" / "all regions" in a draft (the directory writes "*")
NAME_QUESTIONS = {
    "ky": N_("<b>Its name in Kyrgyz</b>, as people should read it"),
    "ru": N_("<b>Its name in Russian</b>, as people should read it"),
    "en": N_("<b>Its name in English</b>, as people should read it"),
}
NAME_LABELS = {"ky": N_("Name in Kyrgyz"), "ru": N_("Name in Russian"), "en": N_("Name in English")}


def _now(t: Translator, value: str | None) -> str:
    return "\n" + t.gettext("Now: {value}").format(value=html.escape(value)) if value else ""


async def accept_number(turn: Turn, incoming: Incoming) -> bool:
    number = clean_text(incoming.text or "")
    if not valid_number(number):
        raise Refused(
            turn.t.gettext(
                "That does not look like a phone number: write it in digits, for example 112 "
                "or +996 312 383 330."
            )
        )
    turn.draft["number"] = number
    return True


NUMBER = Step(
    "number",
    lambda t, d: (
        t.gettext("<b>The number</b>, as people dial it (for example 112)")
        + _now(t, d.get("number"))
    ),
    Input.TEXT,
    accept_number,
    label=N_("Number"),
)


def name_step(lang: str) -> Step:
    field = f"name_{lang}"

    async def accept(turn: Turn, incoming: Incoming) -> bool:
        name = clean_text(incoming.text or "")
        if not NAME_MIN <= len(name) <= NAME_MAX:
            raise Refused(turn.t.gettext("Please write the name in 2 to 120 characters."))
        turn.draft[field] = name
        return True

    return Step(
        field,
        lambda t, d: t.gettext(NAME_QUESTIONS[lang]) + _now(t, d.get(field)),
        Input.TEXT,
        accept,
        label=NAME_LABELS[lang],
    )


def emergency_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option("yes", "🚨 " + t.gettext("Yes, at once")), Option("no", t.gettext("No"))]


async def accept_emergency(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["emergency"] = incoming.value == "yes"
    return True


EMERGENCY = Step(
    "emergency",
    lambda t, _d: t.gettext(
        "<b>Show it at once when someone says she is in danger?</b>\nFor emergency services "
        "(112, police, ambulance)."
    ),
    Input.BUTTON,
    accept_emergency,
    options=emergency_options,
    label=N_("At once in danger"),
    show=lambda t, d: t.gettext("yes") if d.get("emergency") else t.gettext("no"),
    per_row=2,
)


def _toggle(codes: dict[str, str], field: str) -> Any:
    async def toggle(turn: Turn, incoming: Incoming) -> bool:
        """A tap chooses one or takes it back; "All" stands alone; ✔ Done goes on."""
        chosen = [c for c in turn.draft.get(field) or [] if c == ALL or c in codes]
        value = str(incoming.value)
        if value == ALL:
            chosen = [] if ALL in chosen else [ALL]
        else:
            chosen = [c for c in chosen if c != ALL]
            chosen = [c for c in chosen if c != value] if value in chosen else [*chosen, value]
        turn.draft[field] = [c for c in (ALL, *codes) if c in chosen]
        return False

    return toggle


def _done(field: str) -> Any:
    def done(turn: Turn) -> str | None:
        return None if turn.draft.get(field) else turn.t.gettext("Choose at least one.")

    return done


def _marked(chosen: bool, name: str) -> str:
    """A choice as its button says it: its name (which fits a row of its own), or, once chosen,
    ✅ and the name, cut where the mark needs the room (the summary shows them whole)."""
    if not chosen:
        return name
    return "✅ " + shorten(name, ROW_LIMITS[1] - label_width("✅ "))


def category_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    chosen = draft.get("categories") or []
    every = Option(ALL, _marked(ALL in chosen, t.gettext("All reports")))
    return [every] + [
        Option(code, _marked(code in chosen, category_name(t, code))) for code in CATEGORIES
    ]


def region_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    chosen = draft.get("regions") or []
    every = Option(ALL, _marked(ALL in chosen, t.gettext("All regions")))
    return [every] + [
        Option(code, _marked(code in chosen, region_name(t, code))) for code in REGIONS
    ]


CATEGORIES_STEP = Step(
    "categories",
    lambda t, _d: t.gettext("<b>Which reports is it for?</b>\nTap all that apply, then “Done”."),
    Input.BUTTON,
    _toggle(CATEGORIES, "categories"),
    options=category_options,
    label=N_("Which reports"),
    show=lambda t, d: categories_text(t, _codes(d.get("categories"))),
    collect=True,
    done=_done("categories"),
)
REGIONS_STEP = Step(
    "regions",
    lambda t, _d: t.gettext("<b>In which regions?</b>\nTap all that apply, then “Done”."),
    Input.BUTTON,
    _toggle(REGIONS, "regions"),
    options=region_options,
    label=N_("Regions"),
    show=lambda t, d: regions_text(t, _codes(d.get("regions"))),
    collect=True,
    done=_done("regions"),
    per_row=2,
)
NAMES = tuple(name_step(lang) for lang in LANGUAGES)


def _codes(chosen: list[str] | None) -> frozenset[str]:
    """A draft's choice as the directory writes it ("*" for all)."""
    codes = frozenset(chosen or [ALL])
    return frozenset({"*"}) if ALL in codes else codes


def contact_of(contact_id: str, draft: dict[str, Any]) -> Contact:
    return Contact(
        id=contact_id,
        number=str(draft["number"]),
        emergency=bool(draft.get("emergency")),
        names={lang: str(draft[f"name_{lang}"]) for lang in LANGUAGES},
        categories=_codes(draft.get("categories")),
        regions=_codes(draft.get("regions")),
    )


async def is_coordinator(turn: Turn) -> bool:
    return await require_coordinator(turn.update, turn.context, "help line form")


# -- adding a line ---------------------------------------------------------------------------


def add_summary(t: Translator, draft: dict[str, Any]) -> str:
    lines = ["<b>" + html.escape(t.gettext("A new help line")) + "</b>"]
    for step in (NUMBER, *NAMES, EMERGENCY, CATEGORIES_STEP, REGIONS_STEP):
        value = step.show(t, draft) if step.show else html.escape(str(draft.get(step.name, "")))
        lines.append(f"{t.gettext(step.label or '')}: {value or '—'}")
    return "\n".join(lines)


async def save_new(turn: Turn) -> bool:
    """✅ Save: the line joins the help lines at once."""
    if not await is_coordinator(turn):
        return True
    db = turn.context.db
    text = await current_text(db)
    contact = contact_of(new_contact_id(parse_directory(text), turn.draft["number"]), turn.draft)
    changed = changed_text(text, put=contact)
    await save_directory(db, changed, actor_id=turn.user_id)
    if turn.query is not None:
        await turn.query.answer(turn.t.gettext("Saved."))
    t = turn.t
    contacts, confirmed = parse_directory(changed), is_confirmed(changed)
    await turn.say(
        directory_text(t, contacts, confirmed), directory_keyboard(t, contacts, confirmed)
    )
    return True


ADD_LINE = Form(
    "helpline",
    "hl",
    (NUMBER, *NAMES, EMERGENCY, CATEGORIES_STEP, REGIONS_STEP),
    command=None,
    submit=save_new,
    submit_label=N_("Save"),
    summary=add_summary,
    cancelled=N_("Nothing was added to the help lines."),
    before=is_coordinator,
)


# -- changing one answer of a line -------------------------------------------------------------


async def line_still_there(turn: Turn) -> bool:
    if not await is_coordinator(turn):
        return False
    index, tag, _field = EDIT.values(turn.context.match)
    return await line_at(turn.update, turn.context, index, tag) is not None


async def prefill(turn: Turn) -> None:
    index, _tag, _field = EDIT.values(turn.context.match)
    contact = parse_directory(await current_text(turn.context.db))[index]
    turn.draft |= {
        "_line": contact.id,
        "number": contact.number,
        "emergency": contact.emergency,
        "categories": sorted(ALL if c == "*" else c for c in contact.categories),
        "regions": sorted(ALL if c == "*" else c for c in contact.regions),
        **{f"name_{lang}": contact.names[lang] for lang in LANGUAGES},
    }


async def _card(turn: Turn, contact_id: str, notice: str | None = None) -> None:
    contacts = parse_directory(await current_text(turn.context.db))
    ids = [c.id for c in contacts]
    t = turn.t
    if notice:
        await turn.say(html.escape(notice))
    if contact_id in ids:
        index = ids.index(contact_id)
        await turn.say(line_text(t, contacts[index]), line_keyboard(t, index, contacts[index]))


async def save_change(turn: Turn) -> bool:
    """The answer is saved at once; she sees the line again."""
    if not await is_coordinator(turn):
        return True
    db = turn.context.db
    text = await current_text(db)
    contact_id = str(turn.draft["_line"])
    if contact_id not in {c.id for c in parse_directory(text)}:
        await _card(turn, contact_id, turn.t.gettext("This help line was removed meanwhile."))
        return True
    changed = changed_text(text, put=contact_of(contact_id, turn.draft))
    await save_directory(db, changed, actor_id=turn.user_id)
    await _card(turn, contact_id, turn.t.gettext("Saved."))
    return True


async def back_to_line(turn: Turn) -> None:
    await _card(turn, str(turn.draft.get("_line", "")))


EDIT_LINE = Form(
    "helplineedit",
    "he",
    (NUMBER, *NAMES, CATEGORIES_STEP, REGIONS_STEP),
    command=None,
    submit=save_change,
    before=line_still_there,
    prefill=prefill,
    single=True,
    leave=back_to_line,
)


async def edit_field(update: Update, context: BotContext) -> object:
    """✏️ on a line's card: that one question, saved at once."""
    _index, _tag, field = EDIT.values(context.match)
    return await EDIT_LINE.start(update, context, at=field)
