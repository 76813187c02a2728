"""Updates handled at once (bot/updates.py)."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Chat, Message, Update, User

from bot.updates import PerPersonProcessor, keys_of

NOW = 1_700_000_000


def message_from(user_id: int, chat_id: int | None = None, update_id: int = 1) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(chat_id or user_id, "private" if chat_id is None else "group")
    return Update(update_id, message=Message(update_id, NOW, chat, from_user=user, text="hi"))  # type: ignore[arg-type]


def test_an_update_keeps_the_order_of_its_person_and_its_chat() -> None:
    assert keys_of(message_from(5)) == [("chat", 5), ("user", 5)]
    assert keys_of(message_from(5, chat_id=-100)) == [("chat", -100), ("user", 5)]
    assert keys_of(object()) == []


async def test_one_persons_updates_in_order_and_others_meanwhile() -> None:
    processor = PerPersonProcessor(concurrency=4)
    log: list[tuple[str, int, int]] = []
    running: dict[int, int] = {}

    async def handle(user_id: int, n: int, pause: float) -> None:
        running[user_id] = running.get(user_id, 0) + 1
        assert running[user_id] == 1, "two updates of one person at once"
        log.append(("start", user_id, n))
        await asyncio.sleep(pause)
        log.append(("end", user_id, n))
        running[user_id] -= 1

    jobs = []
    for n in range(5):  # Aigul's five updates, the first one slow
        update = message_from(1, update_id=n)
        jobs.append(processor.process_update(update, handle(1, n, 0.05 if n == 0 else 0.001)))
    for n in range(3):  # Nurila's, while Aigul's first one is handled
        update = message_from(2, update_id=10 + n)
        jobs.append(processor.process_update(update, handle(2, n, 0.001)))
    await asyncio.gather(*(asyncio.create_task(j) for j in jobs))

    assert [n for kind, u, n in log if kind == "start" and u == 1] == [0, 1, 2, 3, 4]
    assert [n for kind, u, n in log if kind == "start" and u == 2] == [0, 1, 2]
    # Nurila was answered while Aigul's slow first update was still being handled.
    assert log.index(("end", 2, 2)) < log.index(("end", 1, 0))
    assert processor.waiting_keys == 0 and processor.running == 0


async def test_no_more_than_the_bound_at_once_and_a_waiting_person_holds_no_slot() -> None:
    processor = PerPersonProcessor(concurrency=2)
    gate = asyncio.Event()

    async def handle() -> None:
        await gate.wait()

    jobs = [
        asyncio.create_task(processor.process_update(message_from(1, update_id=n), handle()))
        for n in range(10)
    ]
    others = [
        asyncio.create_task(processor.process_update(message_from(u, update_id=u), handle()))
        for u in (2, 3, 4)
    ]
    await asyncio.sleep(0.01)
    # One of Aigul's ten runs; her other nine wait for her, not for a slot: Nurila got the other.
    assert processor.running == 2 and processor.peak == 2
    gate.set()
    await asyncio.gather(*jobs, *others)
    assert processor.peak == 2 and processor.waiting_keys == 0


async def test_a_cancelled_update_that_never_ran_frees_its_turn() -> None:
    processor = PerPersonProcessor(concurrency=1)
    gate = asyncio.Event()
    ran: list[int] = []

    async def handle(n: int) -> None:
        ran.append(n)
        await gate.wait()

    first = asyncio.create_task(processor.process_update(message_from(1, update_id=1), handle(1)))
    second = asyncio.create_task(processor.process_update(message_from(1, update_id=2), handle(2)))
    third = asyncio.create_task(processor.process_update(message_from(1, update_id=3), handle(3)))
    await asyncio.sleep(0.01)
    second.cancel()
    gate.set()
    await asyncio.gather(first, third)
    with pytest.raises(asyncio.CancelledError):
        await second
    assert ran == [1, 3] and processor.waiting_keys == 0


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PerPersonProcessor(concurrency=0)
