"""The main menu and the command menus: one registry each, rendered in the reader's language.

Features add their entry here when they are built; entries of features not built yet are absent.
An entry of the main menu (`MENU`) says who sees it (`show`: everyone, or a role); the menu is
drawn for her roles where they are known (`main_menu_keyboard(t, roles)`, or `main_menu(context,
user_id)`), and without the role entries elsewhere. Everyone gets the public commands
(`COMMANDS`, one list per language); coordinators and regional leads get their own menu in their
chat (`refresh_commands`), with the commands of their role, which /help and the main menu list
too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application

from bot.callbacks import (
    DESK_OPEN,
    EVENTS_MENU,
    HELP_LINES,
    JOIN_START,
    LANGUAGE,
    MENU_HELP,
    MENU_HOME,
    MENU_LANGUAGE,
    REPORT_START,
    RESOLUTION,
)
from bot.context import BotContext, SolidarityApp
from bot.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    Translator,
    get_translator,
    resolve_language,
)
from bot.keyboards import in_rows
from bot.services.roles import Roles, roles_of
from db.roles import privileged_ids
from db.users import get_user

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


# Who sees an entry of the main menu: a test of her roles (None: not known where the menu is
# drawn, e.g. at the end of a form; only entries for everyone are shown then).
Audience = Callable[["Roles | None"], bool]


def everyone(_roles: Roles | None) -> bool:
    return True


def privileged(roles: Roles | None) -> bool:
    """Coordinators and regional leads."""
    return roles is not None and roles.privileged


def coordinators(roles: Roles | None) -> bool:
    return roles is not None and roles.coordinator


@dataclass(frozen=True, slots=True)
class MenuEntry:
    icon: str
    label: str  # an N_()-marked msgid
    callback_data: str
    show: Audience = everyone


# In the order shown (two to a row where they fit). A feature adds its entry where it belongs,
# e.g. MenuEntry("📅", N_("Events"), EVENTS()) for everyone, or
# MenuEntry("📣", N_("Announcements"), ANNOUNCE(), show=privileged) for a role.
MENU: tuple[MenuEntry, ...] = (
    MenuEntry("🗂", N_("Desk"), DESK_OPEN(), show=privileged),
    MenuEntry("📜", N_("Resolution"), RESOLUTION()),
    MenuEntry("🤝", N_("Membership"), JOIN_START()),
    MenuEntry("📅", N_("Events"), EVENTS_MENU()),
    MenuEntry("🆘", N_("Report an incident"), REPORT_START()),
    MenuEntry("☎️", N_("Help lines"), HELP_LINES()),
    MenuEntry("🌐", N_("Language"), MENU_LANGUAGE()),
    MenuEntry("❓", N_("Help"), MENU_HELP()),
)

# (command, description) in the order shown by /help and in Telegram's command menu.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Open the main menu")),
    ("resolution", N_("Read the resolution")),
    ("join", N_("Join the solidarity community")),
    ("profile", N_("Your profile and notifications")),
    ("leave", N_("Leave the community and erase your data")),
    ("events", N_("Events of the community: what is coming, your answers")),
    ("report", N_("Report an incident")),
    ("helplines", N_("Help lines: who to call, now")),
    ("myreports", N_("Your reports and the replies to them")),
    ("help", N_("What this bot does and how to use it")),
    ("language", N_("Change the language")),
    ("cancel", N_("Stop the current action")),
)

# Added to the public commands in the menus of privileged people.
MEMBERS_COMMAND = ("members", N_("Members: numbers, lists and approvals"))
REPORTS_COMMAND = ("reports", N_("Incident reports: review, reply, export"))
NEW_EVENT_COMMAND = ("newevent", N_("Announce an event"))
BROADCAST_COMMANDS = (
    ("broadcast", N_("Send an announcement to members")),
    ("broadcasts", N_("Announcements sent and scheduled, with their figures")),
)
COORDINATOR_COMMANDS: tuple[tuple[str, str], ...] = (
    MEMBERS_COMMAND,
    ("roles", N_("Give or remove coordinator and regional lead roles")),
    ("setresolution", N_("Replace a text of the resolution or mark it official")),
    REPORTS_COMMAND,
    ("setcontacts", N_("Edit the help lines shown with reports")),
    NEW_EVENT_COMMAND,
    *BROADCAST_COMMANDS,
)
LEAD_COMMANDS: tuple[tuple[str, str], ...] = (
    MEMBERS_COMMAND,
    NEW_EVENT_COMMAND,
    *BROADCAST_COMMANDS,
)


def main_menu_text(
    t: Translator, roles: Roles | None = None, *, leads_see_reports: bool = False
) -> str:
    """The menu's heading; for a coordinator or regional lead, her desks too (commands are
    links in Telegram: one tap opens each)."""
    text = t.gettext("<b>Main menu</b>\nChoose what you would like to do.")
    desks = desk_commands(roles, leads_see_reports) if roles is not None else ()
    if desks:
        text += "\n\n" + t.gettext("Your desks: {desks}").format(
            desks=" · ".join(f"/{command}" for command, _ in desks)
        )
    return text


def main_menu_keyboard(t: Translator, roles: Roles | None = None) -> InlineKeyboardMarkup:
    """The entries she may see (`roles` None: those for everyone)."""
    buttons = [
        InlineKeyboardButton(f"{e.icon} {t.gettext(e.label)}", callback_data=e.callback_data)
        for e in MENU
        if e.show(roles)
    ]
    return InlineKeyboardMarkup(in_rows(buttons))


async def main_menu(context: BotContext, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The main menu as she should see it, with the entries and desks of her roles."""
    roles = await roles_of(context.db, context.settings, user_id)
    t = context.t
    return (
        main_menu_text(t, roles, leads_see_reports=context.settings.leads_see_reports),
        main_menu_keyboard(t, roles),
    )


def back_to_menu_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("◀ " + t.gettext("Main menu"), callback_data=MENU_HOME())]]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    """Each language named in itself, so anyone can find hers."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=LANGUAGE(code))
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def in_every_language(context: BotContext, message: str, **values: str) -> str:
    """One line per language, for when we cannot tell which one she reads."""
    return "\n".join(
        get_translator(code, context.settings.timezone).gettext(message).format(**values)
        for code in LANGUAGES
    )


def choose_prompt(context: BotContext) -> str:
    """Ask for the language: in hers if we can tell, else in all three."""
    if context.lang is not None:
        return context.t.gettext("Please choose your language:")
    return in_every_language(context, N_("Please choose your language:"))


# -- command menus ------------------------------------------------------------------------


def bot_commands(t: Translator) -> list[BotCommand]:
    return [BotCommand(command, t.gettext(description)) for command, description in COMMANDS]


def desk_commands(roles: Roles, leads_see_reports: bool = False) -> tuple[tuple[str, str], ...]:
    """The commands of her role: her desks."""
    if roles.coordinator:
        return COORDINATOR_COMMANDS
    if roles.lead_regions:
        return LEAD_COMMANDS + ((REPORTS_COMMAND,) if leads_see_reports else ())
    return ()


def role_commands(t: Translator, roles: Roles, leads_see_reports: bool = False) -> list[BotCommand]:
    """The public commands plus those of her role."""
    extra = desk_commands(roles, leads_see_reports)
    return bot_commands(t) + [BotCommand(command, t.gettext(desc)) for command, desc in extra]


async def register_commands(application: AnyApplication) -> None:
    """At start-up: Telegram's command menu in each language (English for everyone else), then
    the menu of every coordinator and regional lead."""
    app = cast(SolidarityApp, application)
    for lang in LANGUAGES:
        commands = bot_commands(get_translator(lang, app.settings.timezone))
        language_code = None if lang == "en" else lang
        await app.bot.set_my_commands(commands, language_code=language_code)
    ids = set(app.settings.coordinator_ids) | await privileged_ids(app.db)
    for user_id in sorted(ids):
        await refresh_commands(app, user_id)


async def refresh_commands(application: AnyApplication, user_id: int) -> None:
    """Her own command menu (chat scope, in her language) if she has a role; else remove it so
    she sees the public one. Nothing is sent for people who never wrote to the bot (Telegram
    knows no chat with them) or who blocked it."""
    app = cast(SolidarityApp, application)
    user = await get_user(app.db, user_id)
    if user is None or user.blocked:
        return
    roles = await roles_of(app.db, app.settings, user_id)
    scope = BotCommandScopeChat(user_id)
    try:
        if roles.privileged:
            lang = resolve_language(user.language, user.telegram_language) or DEFAULT_LANGUAGE
            t = get_translator(lang, app.settings.timezone)
            commands = role_commands(t, roles, app.settings.leads_see_reports)
            await app.bot.set_my_commands(commands, scope=scope)
        else:
            await app.bot.delete_my_commands(scope=scope)
    except TelegramError as exc:
        log.warning("Could not update the commands of user %s: %s", user_id, exc)


# -- help ---------------------------------------------------------------------------------


def help_text(t: Translator, roles: Roles | None = None, *, leads_see_reports: bool = False) -> str:
    lines = [
        t.gettext(
            "<b>Solidarity Community</b>\n"
            "This bot serves the Women's Initiative for the Solidarity Community: women leaders "
            "from every region of Kyrgyzstan working for human rights, women's leadership and "
            "peace. It grows out of the resolution adopted at the national training on "
            "leadership and human rights."
        ),
        "",
        t.gettext("<b>Commands</b>"),
    ]
    lines += [f"/{command} — {t.gettext(description)}" for command, description in COMMANDS]
    desks = desk_commands(roles, leads_see_reports) if roles is not None else ()
    if desks:
        heading = (
            t.gettext("<b>Your desks as coordinator</b>")
            if roles is not None and roles.coordinator
            else t.gettext("<b>Your desks as regional lead</b>")
        )
        lines += ["", heading]
        lines += [f"/{command} — {t.gettext(description)}" for command, description in desks]
        lines.append(t.gettext("🗂 Desk in the menu shows what waits for you."))
    lines += [
        "",
        t.gettext(
            "You can also use the buttons under the messages. Your language: {language}."
        ).format(language=LANGUAGE_NAMES[t.lang]),
    ]
    return "\n".join(lines)
