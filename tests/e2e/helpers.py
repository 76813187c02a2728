"""Small helpers for end-to-end tests: common steps of simulated people."""

from __future__ import annotations

from sandbox import Entry, Sandbox, SimUser


async def kyrgyz_reader(sandbox: Sandbox, name: str = "Айгүл") -> SimUser:
    """A person who has chosen Kyrgyz and sees the menu."""
    user = sandbox.add_user(first_name=name, language_code="ky")
    await user.send("/start")
    await user.next_bot_message()
    await user.press("Кыргызча")
    await user.next_bot_message()
    return user


def buttons(entry: Entry | None) -> list[str]:
    assert entry is not None
    return [label for row in entry.buttons for label in row]


async def wait_text(user: SimUser, needle: str) -> Entry:
    await user.wait_for(lambda u: (m := u.last_bot_message()) is not None and needle in m.text)
    entry = user.last_bot_message()
    assert entry is not None
    return entry
