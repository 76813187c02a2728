"""The main menu and the command list: one registry each, rendered in the reader's language.

Features add their entry here when they are built; entries of features not built yet are absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.keyboards import in_rows


@dataclass(frozen=True, slots=True)
class MenuEntry:
    icon: str
    label: str  # an N_()-marked msgid
    callback_data: str


MENU: tuple[MenuEntry, ...] = (
    MenuEntry("📜", N_("Resolution"), "res:toc"),
    MenuEntry("🤝", N_("Membership"), "join:start"),
    MenuEntry("🆘", N_("Report an incident"), "rpt:start"),
    MenuEntry("🌐", N_("Language"), "menu:language"),
    MenuEntry("❓", N_("Help"), "menu:help"),
)

# (command, description) in the order shown by /help and in Telegram's command menu.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Open the main menu")),
    ("resolution", N_("Read the resolution")),
    ("join", N_("Join the solidarity community")),
    ("profile", N_("Your profile and notifications")),
    ("leave", N_("Leave the community and erase your data")),
    ("report", N_("Report an incident")),
    ("myreports", N_("Your reports and the replies to them")),
    ("help", N_("What this bot does and how to use it")),
    ("language", N_("Change the language")),
    ("cancel", N_("Stop the current action")),
)

MENU_CALLBACK = "menu:home"
LANGUAGE_CALLBACK_PREFIX = "lang:"


def main_menu_text(t: Translator) -> str:
    return t.gettext("<b>Main menu</b>\nChoose what you would like to do.")


def main_menu_keyboard(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(f"{e.icon} {t.gettext(e.label)}", callback_data=e.callback_data)
        for e in MENU
    ]
    return InlineKeyboardMarkup(in_rows(buttons))


def back_to_menu_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("◀ " + t.gettext("Main menu"), callback_data=MENU_CALLBACK)]]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    """Each language named in itself, so anyone can find hers."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=f"{LANGUAGE_CALLBACK_PREFIX}{code}")
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def bot_commands(t: Translator) -> list[BotCommand]:
    return [BotCommand(command, t.gettext(description)) for command, description in COMMANDS]


def help_text(t: Translator) -> str:
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
    lines += [
        "",
        t.gettext(
            "You can also use the buttons under the messages. Your language: {language}."
        ).format(language=LANGUAGE_NAMES[t.lang]),
    ]
    return "\n".join(lines)
