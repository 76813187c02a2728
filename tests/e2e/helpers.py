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
    await choose_language(user, lang)
    return user


async def choose_language(
    user: SimUser,
    lang: str,
    *,
    message_id: int | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> Entry:
    """Press her language on the picker (the newest one, or `message_id`); the picker itself
    becomes the main menu in that language (edited: no second message). Returns it."""
    label = LANGUAGE_BUTTONS[lang]
    picker = next(
        e
        for e in reversed(user.bot_messages())
        if label in [b for row in e.buttons for b in row]
        and (message_id is None or e.message_id == message_id)
    )
    await user.press(label, message_id=picker.message_id)
    menu_text = tr(lang, MAIN_MENU)

    def shown(u: SimUser) -> bool:
        entry = next((e for e in u.bot_messages() if e.message_id == picker.message_id), None)
        return entry is not None and entry.text.endswith(menu_text)

    await user.wait_for(shown, timeout)
    return next(e for e in user.bot_messages() if e.message_id == picker.message_id)


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
