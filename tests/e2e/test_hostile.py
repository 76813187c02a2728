"""Hostile input at volume: generated updates from several people at once, sent through the
sandbox to the running bot (hypothesis).

Each example is a few people's turns, interleaved as they happen: texts of any length and
script with HTML and SQL fragments, emoji, control and direction characters; commands with
arguments; presses on the newest buttons and on old ones; forged button data; stickers, photos,
documents, locations, contacts; edits of earlier messages; messages in a group. One bot serves
all examples, so later examples meet the state earlier ones left (half-filled forms, roles).

After each example, once the bot has handled everything:
- nothing crashed: no exception in the log (the error handler logs every one);
- no update was handled twice (a conversation that gives way hands the same update on: that
  is one update, handled once);
- every button press was answered, and everyone who wrote in private got an answer after her
  last message (edits and group messages may be met with silence: that is the design);
- the sandbox saw no breach of the Bot API's rules.

The budget: HOSTILE_EXAMPLES examples (default 12: a few seconds in `make test`), HOSTILE_PEOPLE
people (default 3); `make bench` runs thousands. Derandomised: the same examples every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import TypeHandler

from sandbox import Sandbox, SimChat, SimUser
from sandbox.state import Msg
from tests.e2e.runner import COORDINATOR_ID, BotRunner

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "12"))
PEOPLE = max(1, int(os.environ.get("HOSTILE_PEOPLE", "3")))
ANSWER_SECONDS = 15.0

COMMANDS = (
    "start", "help", "language", "cancel", "resolution", "join", "profile", "leave", "report",
    "myreports", "members", "roles", "reports", "setresolution", "setcontacts", "frobnicate",
)  # fmt: skip
FRAGMENTS = (
    "<b>", "</b>", "<i>x</i>", "<a href='javascript:alert(1)'>x</a>", "<script>", "&amp;", "&",
    "<", ">", "' OR 1=1 --", "'; DROP TABLE users; --", '" UNION SELECT * FROM members --',
    "%s", "{name}", "{0}", "\\", "\n", "\r\n", "\t", "\u202e", "\u200f", "\u200b", "\ufeff",
    "\u0007", "🕊️", "👩🏽‍⚖️", "🇰🇬", "Ө", "ү", "ң", "Ё", "İ", "ß", "ﷺ", "𝕏", "R-2026-0001",
    "+996 700 123 456", "=HYPERLINK(\"http://x\")", "@everyone", "/start", "res_p4_ky",
)  # fmt: skip
DATA_PREFIXES = (
    "lang:", "menu:", "members:", "roles:m:", "roles:t:", "roles:s:", "rep:", "rd:", "mine:",
    "form:", "res:", "join:", "decide:approve:", "decide:decline:", "x",
)  # fmt: skip

# Any character a client can send: every script, emoji, control and direction marks (not NUL,
# which no Telegram message carries, nor lone surrogates, which no JSON does).
characters = st.characters(codec="utf-8", exclude_characters="\x00")
texts = st.one_of(
    st.text(characters, min_size=1, max_size=40),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(characters, max_size=8)), max_size=12)
    .map("".join),
    st.builds(lambda s, n: (s * n)[:4096], st.text(characters, min_size=1, max_size=30),
              st.integers(1, 4096)),
).filter(lambda s: s.strip() != "")  # fmt: skip
commands = st.builds(
    lambda c, args: f"/{c} {args}".strip(),
    st.sampled_from(COMMANDS),
    st.text(characters, max_size=30),
)
callback_data = st.one_of(
    st.text(characters, min_size=1, max_size=64),
    st.builds(lambda p, n: f"{p}{n}", st.sampled_from(DATA_PREFIXES), st.integers(-10**20, 10**20)),
    st.builds(lambda p, s: p + s, st.sampled_from(DATA_PREFIXES), st.text(characters, max_size=20)),
).filter(lambda d: 1 <= len(d.encode()) <= 64)  # fmt: skip

actions = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("text"), commands),
    st.tuples(st.just("press"), st.integers(0, 50)),
    st.tuples(st.just("press"), st.integers(0, 50)),
    st.tuples(st.just("press_old"), st.tuples(st.integers(0, 50), st.integers(0, 50))),
    st.tuples(st.just("forge"), callback_data),
    st.tuples(st.just("sticker"), st.none()),
    st.tuples(st.just("photo"), st.binary(min_size=1, max_size=64)),
    st.tuples(
        st.just("document"),
        st.tuples(st.text(characters, min_size=1, max_size=20), st.binary(min_size=1, max_size=64)),
    ),
    st.tuples(st.just("location"), st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
    st.tuples(st.just("contact"), st.from_regex(r"\+?[0-9 ()-]{1,20}", fullmatch=True)),
    st.tuples(st.just("edit"), texts),
    st.tuples(st.just("group"), st.one_of(texts, commands)),
)
# One person's turn: her actions, and after each whether she waits for the answer (as people
# do) or goes on at once (as impatient people, and several devices, do).
turns = st.lists(st.tuples(actions, st.booleans()), min_size=1, max_size=8)
examples = st.lists(st.tuples(st.integers(0, PEOPLE - 1), turns), min_size=1, max_size=PEOPLE)


@dataclass
class Watch:
    """What the checks need to know, gathered while the bot runs."""

    handled: dict[int, set[int]] = field(default_factory=dict)  # update_id → Update objects
    events: Counter[int] = field(default_factory=Counter)  # chat → bot messages sent or edited
    errors: list[logging.LogRecord] = field(default_factory=list)

    def seen_update(self, update: Update) -> None:
        self.handled.setdefault(update.update_id, set()).add(id(update))

    def seen_message(self, msg: Msg) -> None:
        self.events[msg.chat.id] += 1


class ErrorLog(logging.Handler):
    """Exceptions: what the error handler logs, any record with a traceback, asyncio's errors
    (a task that died). Errors logged on purpose without one are not crashes (a danger alert
    that reached nobody is logged as an error so that someone looks)."""

    def __init__(self, watch: Watch) -> None:
        super().__init__(logging.ERROR)
        self.watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.name in ("bot.handlers.errors", "asyncio"):
            self.watch.errors.append(record)


@dataclass
class World:
    sandbox: Sandbox
    bot: BotRunner
    people: list[SimUser]
    group: SimChat
    watch: Watch


@pytest.fixture
async def world(sandbox: Sandbox, bot: BotRunner) -> AsyncIterator[World]:
    watch = Watch()

    async def record(update: Update, context: Any) -> None:
        watch.seen_update(update)

    bot.application.add_handler(TypeHandler(Update, record), group=-2)
    sandbox.observers.append(watch.seen_message)
    handler = ErrorLog(watch)
    logging.getLogger().addHandler(handler)
    people = [sandbox.add_user(user_id=COORDINATOR_ID, first_name="Gulnara", language_code="ru")]
    people += [
        sandbox.add_user(first_name=f"P{i}", language_code=("ky", "en", None, "de")[i % 4])
        for i in range(1, PEOPLE)
    ]
    try:
        yield World(sandbox, bot, people, sandbox.add_group("Hostile group"), watch)
    finally:
        logging.getLogger().removeHandler(handler)


Wait = tuple[str, Any] | None  # what shows that an action was taken in: see `turn`


async def act(world: World, user: SimUser, kind: str, value: Any) -> Wait:
    """Do one thing; returns what will show that the bot took it in: ("answer", n) for a
    message in her private chat (the bot's n-th event there, which it must reach), ("press",
    query id) for a button, None for what may be met with silence (edits, groups)."""
    chat = user.private_chat
    bot_messages = [m for m in (chat.messages if chat else []) if m.sender is None]
    with_buttons = [m for m in bot_messages if not m.deleted and _data(m)]
    answer: Wait = ("answer", world.watch.events[user.id])
    if kind == "text":
        await user.send(value)
    elif kind == "group":
        await user.send(value, chat=world.group)
        return None
    elif kind in ("press", "press_old"):
        if not with_buttons:
            return None
        if kind == "press":
            message, index = with_buttons[-1], value
        else:
            message, index = with_buttons[value[0] % len(with_buttons)], value[1]
        data = _data(message)
        return ("press", await user.forge_press(data[index % len(data)], message.message_id))
    elif kind == "forge":
        if not bot_messages:
            return None
        return ("press", await user.forge_press(value))
    elif kind == "sticker":
        await user.send_sticker()
    elif kind == "photo":
        await user.send_photo(value)
    elif kind == "document":
        name, data = value
        await user.send_document(data, file_name=name[:60], mime_type="application/octet-stream")
    elif kind == "location":
        await user.share_location(*value)
    elif kind == "contact":
        await user.share_contact(value)
    elif kind == "edit":
        mine = [m for m in (chat.messages if chat else []) if m.sender is user and m.kind == "text"]
        if not mine:
            return None
        original = mine[-1]
        world.sandbox.push_update(
            "edited_message",
            {
                "message_id": original.message_id,
                "from": user.to_json(),
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "date": original.date,
                "edit_date": int(time.time()),
                "text": value,
            },
        )
        return None
    return answer


def _data(message: Msg) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def taken_in(world: World, user: SimUser, taken: tuple[str, Any]) -> Callable[[], bool]:
    what, mark = taken
    if what == "answer":
        return lambda: world.watch.events[user.id] > mark
    return lambda: bool(world.sandbox.callback_queries[mark]["answered"])


async def turn(world: World, user: SimUser, steps: list[tuple[tuple[str, Any], bool]]) -> int:
    """Her actions, waiting for the bot after those she waits on; returns the bot's count of
    events in her chat that her last message needs it to pass (-1: she sent none)."""
    needs = -1
    for (kind, value), wait in steps:
        taken = await act(world, user, kind, value)
        if taken is not None and taken[0] == "answer":
            needs = taken[1]
        if wait and taken is not None:
            # An answer that does not come is judged by the checks at the end, not here.
            with contextlib.suppress(TimeoutError):
                await world.sandbox.wait_for(taken_in(world, user, taken), timeout=ANSWER_SECONDS)
    return needs


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(example=examples)
async def test_hostile_updates_from_several_people_at_once(
    world: World, example: list[tuple[int, list[tuple[tuple[str, Any], bool]]]]
) -> None:
    sandbox, watch = world.sandbox, world.watch
    # Each example is judged on its own: what an earlier one left is not counted again.
    sandbox.breaches.clear()
    watch.errors.clear()
    watch.handled.clear()
    queries_before = set(sandbox.callback_queries)
    people = {index: world.people[index] for index, _ in example}
    results = await asyncio.gather(
        *(turn(world, world.people[index], steps) for index, steps in example)
    )
    await world.bot.settle()

    assert not watch.errors, "\n".join(
        f"{r.name}: {r.getMessage()} {r.exc_text or ''}" for r in watch.errors
    )
    twice = {u: n for u, n in watch.handled.items() if len(n) > 1}
    assert not twice, f"updates handled twice: {twice}"
    unanswered = [
        q for q, query in sandbox.callback_queries.items()
        if q not in queries_before and not query["answered"]
    ]  # fmt: skip
    assert not unanswered, f"button presses never answered: {unanswered}"
    for (index, _), needs in zip(example, results, strict=True):
        if needs >= 0:
            assert watch.events[people[index].id] > needs, (
                "no answer to her last message\n" + people[index].transcript_text()
            )
    breaches, sandbox.breaches[:] = list(sandbox.breaches), []
    assert breaches == [], breaches
