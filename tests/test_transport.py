"""bot/transport.py: python-telegram-bot's requests over aiohttp, against the sandbox: texts and
files reach it, and timeouts and failed connections are the errors python-telegram-bot knows."""

from __future__ import annotations

import io
import socket

import pytest
import telegram
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.transport import AiohttpRequest
from sandbox import Sandbox
from sandbox.faults import Fault
from sandbox.runner import TOKEN


def make_bot(url: str, read_timeout: float = 5.0) -> telegram.Bot:
    return telegram.Bot(
        TOKEN,
        base_url=f"{url}/bot",
        request=AiohttpRequest(read_timeout=read_timeout),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def test_texts_buttons_and_files_reach_telegram(sb: Sandbox) -> None:
    person = sb.add_user(first_name="Айгүл")
    await person.send("/start")
    async with make_bot(sb.api_root) as bot:
        updates = await bot.get_updates(timeout=0)
        assert updates[0].message is not None and updates[0].message.text == "/start"
        markup = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Кыргызча", callback_data="lang:ky")]]
        )
        sent = await bot.send_message(
            person.id, "<b>Саламатсызбы</b> &amp; 👋", parse_mode="HTML", reply_markup=markup
        )
        document = telegram.InputFile(io.BytesIO(b"a,b\n1,2\n"), filename="reports.csv")
        await bot.send_document(person.id, document, caption="CSV")
    message = person.last_bot_message()
    assert message is not None and message.kind == "document" and message.file_id is not None
    assert (message.file_name, message.text) == ("reports.csv", "CSV")
    assert sb.files[message.file_id].data == b"a,b\n1,2\n"
    assert sent.text == "Саламатсызбы & 👋" and sent.reply_markup == markup


async def test_telegram_errors_come_through_as_python_telegram_bot_raises_them(
    sb: Sandbox,
) -> None:
    person = sb.add_user(first_name="Aida")
    async with make_bot(sb.api_root) as bot:
        with pytest.raises(BadRequest):
            await bot.send_message(person.id, "")
        sb.faults.add(Fault("429", retry_after=3, times=1))
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(person.id, "hello")
        assert info.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]


async def test_a_server_that_never_answers_is_a_timeout(sb: Sandbox) -> None:
    person = sb.add_user(first_name="Aida")
    async with make_bot(sb.api_root, read_timeout=0.3) as bot:
        sb.faults.add(Fault("hang", chat_id=person.id))
        with pytest.raises(TimedOut):
            await bot.send_message(person.id, "hello")


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as free:  # a port nobody listens on (bound, then let go)
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    requests = AiohttpRequest(), AiohttpRequest(connection_pool_size=1)
    bot = telegram.Bot(
        TOKEN,
        base_url=f"http://127.0.0.1:{port}/bot",
        request=requests[0],
        get_updates_request=requests[1],
    )
    with pytest.raises(NetworkError):
        await bot.initialize()  # asks getMe
    for request in (*requests, AiohttpRequest()):
        await request.shutdown()  # closing one that never opened is harmless too


async def test_a_request_before_it_is_started_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1/getMe", "POST")
