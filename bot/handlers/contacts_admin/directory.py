"""/setcontacts: the help lines as a list, each with its own card (change a field, shown at
once in danger or not, remove), and marking the numbers as checked. Coordinators only, on every
button too."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import MENU_HOME
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.keyboards import category_name, in_rows, region_name
from bot.replies import edit_or_send, require_coordinator
from bot.services.community import REGIONS
from bot.services.help_contacts import (
    UNCHECKED,
    Contact,
    DirectoryError,
    changed_text,
    current_text,
    is_confirmed,
    line_tag,
    parse_directory,
    save_directory,
)
from bot.services.reports import CATEGORIES

from .callbacks import ADD, CHECKED, DIRECTORY, EDIT, EMERGENCY, FILE, LINE, REMOVE

log = logging.getLogger(__name__)


def categories_text(t: Translator, codes: frozenset[str] | list[str]) -> str:
    if "*" in codes:
        return t.gettext("all reports")
    return ", ".join(category_name(t, code) for code in CATEGORIES if code in codes) or "—"


def regions_text(t: Translator, codes: frozenset[str] | list[str]) -> str:
    if "*" in codes:
        return t.gettext("all regions")
    return ", ".join(region_name(t, code) for code in REGIONS if code in codes) or "—"


def directory_text(t: Translator, contacts: tuple[Contact, ...], confirmed: bool) -> str:
    lines = ["☎ <b>" + html.escape(t.gettext("Help lines")) + "</b>"]
    if confirmed:
        lines.append("✔ " + html.escape(t.gettext("The numbers were checked by the coordinators.")))
    else:
        lines.append(
            "⚠️ "
            + html.escape(
                t.gettext(
                    "Not checked yet: under the help lines people read “{note}” until you mark "
                    "the numbers as checked."
                ).format(note=t.gettext(UNCHECKED))
            )
        )
    lines.append("")
    for number, c in enumerate(contacts, start=1):
        mark = " 🚨" if c.emergency else ""
        lines.append(
            f"{number}. <b>{html.escape(c.number)}</b> — {html.escape(c.names[t.lang])}{mark}"
        )
    lines += ["", html.escape(t.gettext("🚨: shown at once when someone is in danger."))]
    return "\n".join(lines)


def directory_keyboard(
    t: Translator, contacts: tuple[Contact, ...], confirmed: bool
) -> InlineKeyboardMarkup:
    rows = in_rows(
        [
            InlineKeyboardButton(f"{i}. {c.number}", callback_data=LINE(i - 1, line_tag(c.id)))
            for i, c in enumerate(contacts, start=1)
        ],
        per_row=3,
    )
    rows.append([InlineKeyboardButton("➕ " + t.gettext("Add a help line"), callback_data=ADD())])
    if not confirmed:
        rows.append(
            [InlineKeyboardButton("✅ " + t.gettext("Mark as checked"), callback_data=CHECKED())]
        )
    rows.append([InlineKeyboardButton("📄 " + t.gettext("As a file (JSON)"), callback_data=FILE())])
    rows.append([InlineKeyboardButton("◀ " + t.gettext("Main menu"), callback_data=MENU_HOME())])
    return InlineKeyboardMarkup(rows)


async def show_directory(
    update: Update, context: BotContext, *, notice: str | None = None, alert: bool = False
) -> None:
    text = await current_text(context.db)
    contacts, confirmed = parse_directory(text), is_confirmed(text)
    t = context.t
    await edit_or_send(
        update,
        context,
        directory_text(t, contacts, confirmed),
        directory_keyboard(t, contacts, confirmed),
        notice=notice,
        alert=alert,
    )


async def open_directory(update: Update, context: BotContext) -> None:
    """/setcontacts (or ◀ Help lines): the list, and what can be done with it."""
    if await require_coordinator(update, context, "/setcontacts"):
        await show_directory(update, context)


def line_text(t: Translator, c: Contact) -> str:
    yes, no = t.gettext("yes"), t.gettext("no")
    lines = [
        f"📞 <b>{html.escape(c.number)}</b>",
        t.gettext("Name in Kyrgyz: {value}").format(value=html.escape(c.names["ky"])),
        t.gettext("Name in Russian: {value}").format(value=html.escape(c.names["ru"])),
        t.gettext("Name in English: {value}").format(value=html.escape(c.names["en"])),
        t.gettext("Shown at once when someone is in danger: {value}").format(
            value=yes if c.emergency else no
        ),
        t.gettext("For reports about: {value}").format(value=categories_text(t, c.categories)),
        t.gettext("In: {value}").format(value=regions_text(t, c.regions)),
    ]
    return "\n".join(lines)


def line_keyboard(t: Translator, index: int, c: Contact) -> InlineKeyboardMarkup:
    tag = line_tag(c.id)

    def edit(icon: str, msgid: str, field: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(icon + t.gettext(msgid), callback_data=EDIT(index, tag, field))

    rows = in_rows(
        [
            edit("✏️ ", N_("Number"), "number"),
            edit("✏️ ", N_("Name in Kyrgyz"), "name_ky"),
            edit("✏️ ", N_("Name in Russian"), "name_ru"),
            edit("✏️ ", N_("Name in English"), "name_en"),
            edit("✏️ ", N_("Which reports"), "categories"),
            edit("✏️ ", N_("Regions"), "regions"),
        ]
    )
    emergency = (
        t.gettext("Not at once in danger") if c.emergency else t.gettext("At once in danger")
    )
    rows.append([InlineKeyboardButton("🚨 " + emergency, callback_data=EMERGENCY(index, tag))])
    rows.append(
        [InlineKeyboardButton("🗑 " + t.gettext("Remove"), callback_data=REMOVE(index, tag, "ask"))]
    )
    rows.append([InlineKeyboardButton("◀ " + t.gettext("Help lines"), callback_data=DIRECTORY())])
    return InlineKeyboardMarkup(rows)


async def line_at(
    update: Update, context: BotContext, index: int, tag: str
) -> tuple[str, Contact] | None:
    """The directory's text and the line a button names, if it is still there (else the list
    is shown again, saying so)."""
    text = await current_text(context.db)
    contacts = parse_directory(text)
    if index < len(contacts) and line_tag(contacts[index].id) == tag:
        return text, contacts[index]
    t = context.t
    notice = t.gettext("The help lines have changed meanwhile; here they are as they are now.")
    if update.callback_query is not None:
        await update.callback_query.answer(notice, show_alert=True)
    # As a new message: the one pressed may already show the list as it is.
    assert update.effective_chat
    confirmed = is_confirmed(text)
    await context.bot.send_message(
        update.effective_chat.id,
        directory_text(t, contacts, confirmed),
        reply_markup=directory_keyboard(t, contacts, confirmed),
    )
    return None


async def show_line(
    update: Update, context: BotContext, index: int, contact: Contact, notice: str | None = None
) -> None:
    t = context.t
    await edit_or_send(
        update, context, line_text(t, contact), line_keyboard(t, index, contact), notice=notice
    )


async def open_line(update: Update, context: BotContext) -> None:
    """A line's card."""
    if not await require_coordinator(update, context, "help line"):
        return
    index, tag = LINE.values(context.match)
    found = await line_at(update, context, index, tag)
    if found is not None:
        await show_line(update, context, index, found[1])


async def toggle_emergency(update: Update, context: BotContext) -> None:
    """🚨: among the lines shown at once when someone is in danger, or not."""
    if not await require_coordinator(update, context, "help line emergency"):
        return
    index, tag = EMERGENCY.values(context.match)
    found = await line_at(update, context, index, tag)
    if found is None:
        return
    text, contact = found
    changed = Contact(
        contact.id,
        contact.number,
        not contact.emergency,
        contact.names,
        contact.categories,
        contact.regions,
    )
    assert update.effective_user
    await save_directory(
        context.db, changed_text(text, put=changed), actor_id=update.effective_user.id
    )
    log.info("Help line %s changed by %s", contact.id, update.effective_user.id)
    await show_line(update, context, index, changed, notice=context.t.gettext("Saved."))


async def remove_line(update: Update, context: BotContext) -> None:
    """🗑 Remove: asked first; the last line cannot go (people must always find one)."""
    if not await require_coordinator(update, context, "help line removal"):
        return
    index, tag, step = REMOVE.values(context.match)
    found = await line_at(update, context, index, tag)
    if found is None:
        return
    text, contact = found
    t = context.t
    if step == "ask":
        question = t.gettext("Remove {number} — {name} from the help lines?").format(
            number=html.escape(contact.number), name=html.escape(contact.names[t.lang])
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "🗑 " + t.gettext("Yes, remove"), callback_data=REMOVE(index, tag, "yes")
                    ),
                    InlineKeyboardButton(t.gettext("No"), callback_data=LINE(index, tag)),
                ]
            ]
        )
        await edit_or_send(update, context, question, markup)
        return
    try:
        changed = changed_text(text, remove=contact.id)
    except DirectoryError:
        await show_line(
            update,
            context,
            index,
            contact,
            notice=t.gettext("This is the last help line: add another one before removing it."),
        )
        return
    assert update.effective_user
    await save_directory(context.db, changed, actor_id=update.effective_user.id)
    log.info("Help line %s removed by %s", contact.id, update.effective_user.id)
    await show_directory(update, context, notice=t.gettext("Removed."))


async def mark_checked(update: Update, context: BotContext) -> None:
    """✅ The coordinators checked the numbers: the note under the help lines goes."""
    if not await require_coordinator(update, context, "help lines checked"):
        return
    assert update.effective_user
    text = await current_text(context.db)
    await save_directory(
        context.db, changed_text(text, confirm=True), actor_id=update.effective_user.id
    )
    log.info("Help lines marked as checked by %s", update.effective_user.id)
    await show_directory(update, context, notice=context.t.gettext("Marked as checked."))
