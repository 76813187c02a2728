"""Small helpers for end-to-end tests: common steps of simulated people."""

from __future__ import annotations

from sandbox import Entry, Sandbox, SimUser
from tests.texts import tr

# Each language's button is its own name (not in the catalogs: never translated).
LANGUAGE_BUTTONS = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
MAIN_MENU = "<b>Main menu</b>\nChoose what you would like to do."  # the msgid
MENU_ENTRIES = (  # as everyone sees them; a coordinator or lead has 🗂 Desk first
    ("📜", "Resolution"),
    ("🤝", "Membership"),
    ("📅", "Events"),
    ("🆘", "Report an incident"),
    ("☎️", "Help lines"),
    ("🌐", "Language"),
    ("❓", "Help"),
)


def menu_buttons(lang: str) -> list[str]:
    """The main menu's buttons as she reads them."""
    return [f"{icon} {tr(lang, label)}" for icon, label in MENU_ENTRIES]


async def started(
    sandbox: Sandbox,
    name: str,
    lang: str = "en",
    *,
    user_id: int | None = None,
    username: str | None = None,
    phone: str | None = None,
) -> SimUser:
    """Someone who has opened the bot, chosen her language and sees the menu."""
    user = sandbox.add_user(
        first_name=name, language_code=lang, user_id=user_id, username=username, phone=phone
    )
    await user.send("/start")
    await user.next_bot_message()
    await choose_language(user, lang)
    return user


async def choose_language(
    user: SimUser, lang: str, message_id: int | None = None, seconds: float = 10.0
) -> Entry:
    """Press her language under the picker: the picker becomes (one edit) the menu in it.
    Returns that message as it reads then."""
    picker = message_id if message_id is not None else _newest_bot_message(user)
    query = await user.press(LANGUAGE_BUTTONS[lang], message_id=picker)
    await user.callback_answer(query, seconds)
    heading = tr(lang, MAIN_MENU).split("\n")[0]

    def edited(u: SimUser) -> bool:
        entry = next((m for m in u.bot_messages() if m.message_id == picker), None)
        return entry is not None and entry.edited and heading in entry.text

    await user.wait_for(edited, seconds)
    return next(m for m in user.bot_messages() if m.message_id == picker)


def _newest_bot_message(user: SimUser) -> int:
    entry = user.last_bot_message()
    assert entry is not None, user.transcript_text()
    return entry.message_id


async def kyrgyz_reader(sandbox: Sandbox, name: str = "Айгүл") -> SimUser:
    """A person who has chosen Kyrgyz and sees the menu."""
    return await started(sandbox, name, "ky")


def buttons(entry: Entry | None) -> list[str]:
    assert entry is not None
    return [label for row in entry.buttons for label in row]


async def wait_text(user: SimUser, needle: str) -> Entry:
    await user.wait_for(lambda u: (m := u.last_bot_message()) is not None and needle in m.text)
    entry = user.last_bot_message()
    assert entry is not None
    return entry
