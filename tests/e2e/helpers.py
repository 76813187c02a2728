"""Small helpers for end-to-end tests: common steps of simulated people."""

from __future__ import annotations

from sandbox import Entry, Sandbox, SimUser
from tests.texts import tr

# Each language's button is its own name (not in the catalogs: never translated).
LANGUAGE_BUTTONS = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
MAIN_MENU = "<b>Main menu</b>\nChoose what you would like to do."  # the msgid
MENU_ENTRIES = (
    ("📜", "Resolution"),
    ("🤝", "Membership"),
    ("📅", "Events"),
    ("🆘", "Report an incident"),
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
    await user.press(LANGUAGE_BUTTONS[lang])
    await user.next_bot_message()
    return user


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
