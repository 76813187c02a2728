"""Tests for the Telegram Bot API sandbox (sandbox/)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from sandbox import Sandbox, scope_key
from sandbox import cli as sandbox_cli

TOKEN = "123456:TEST-token_abc"


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sb.url}/bot{TOKEN}/", timeout=5) as client:
        yield client


@pytest.fixture
async def bot(sb: Sandbox) -> AsyncIterator[telegram.Bot]:
    b = telegram.Bot(TOKEN, base_url=f"{sb.api_root}/bot", base_file_url=f"{sb.url}/file/bot")
    async with b:
        yield b


@contextlib.contextmanager
def refused(exc: type[Exception], text: str) -> Iterator[None]:
    """Like pytest.raises, but python-telegram-bot re-capitalises Telegram's error texts."""
    with pytest.raises(exc) as info:
        yield
    assert text.lower() in str(info.value).lower()


async def call(http: httpx.AsyncClient, method: str, **params: Any) -> dict[str, Any]:
    resp = await http.post(method, json=params)
    body: dict[str, Any] = resp.json()
    assert resp.status_code == (200 if body["ok"] else body["error_code"])
    return body


# -- identity, updates ---------------------------------------------------------


async def test_get_me_and_auth(sb: Sandbox, bot: telegram.Bot, http: httpx.AsyncClient) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "solidarity_test_bot" and me.id == 123456
    resp = await http.get(f"{sb.url}/botnot-a-token/getMe")
    assert resp.status_code == 401 and resp.json()["description"] == "Unauthorized"
    resp = await http.get("GETME")  # method names are case-insensitive
    assert resp.json()["ok"]


async def test_long_poll_wakes_on_user_message(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura", language_code="ky", username="ainura")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await sb.wait_for(lambda: any(m == "getUpdates" for m, _ in sb.calls))
    await u.send("/start")
    updates = await poll
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    msg = updates[0].message
    assert msg is not None and msg.text == "/start" and msg.chat.id == u.id
    assert msg.chat.type == "private" and msg.from_user is not None
    assert msg.from_user.language_code == "ky" and msg.from_user.username == "ainura"
    assert msg.entities[0].type == "bot_command" and msg.entities[0].length == 6


async def test_offset_confirmation_and_wait_confirmed(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Bakyt")
    await u.send("one")
    await u.send("two")
    first = await bot.get_updates(timeout=0)
    assert [x.message.text for x in first if x.message] == ["one", "two"]
    again = await bot.get_updates(timeout=0)  # not confirmed yet: delivered again
    assert [x.update_id for x in again] == [x.update_id for x in first]
    waiter = asyncio.create_task(sb.wait_confirmed(timeout=5))
    await asyncio.sleep(0)
    assert not waiter.done()
    rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    assert rest == ()
    await waiter
    # negative offset keeps only the last update(s)
    await u.send("three")
    await u.send("four")
    last = await bot.get_updates(offset=-1, timeout=0)
    assert [x.message.text for x in last if x.message] == ["four"]


async def test_group_command_and_allowed_updates(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Aidana")
    g = sb.add_group(title="Osh leaders")
    assert g.id < 0
    await u.send("/help@solidarity_test_bot now", chat=g)
    await u.block()
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert len(updates) == 1 and updates[0].message is not None
    assert updates[0].message.chat.title == "Osh leaders"
    assert updates[0].message.entities[0].length == len("/help@solidarity_test_bot")


async def test_stop_is_fast_during_long_poll() -> None:
    sandbox = Sandbox()
    await sandbox.start(port=0)
    async with httpx.AsyncClient(timeout=30) as client:
        poll = asyncio.create_task(
            client.post(f"{sandbox.url}/bot{TOKEN}/getUpdates", json={"timeout": 30})
        )
        await sandbox.wait_for(lambda: bool(sandbox.calls))
        started = time.monotonic()
        await sandbox.stop()
        assert time.monotonic() - started < 1
        resp = await poll
        assert resp.json() == {"ok": True, "result": []}


# -- messages, keyboards, edits ------------------------------------------------


async def test_inline_keyboard_press_and_answer(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("/start")
    kb = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("English", callback_data="lang:en"),
                InlineKeyboardButton("Русский", callback_data="lang:ru"),
            ]
        ]
    )
    sent = await bot.send_message(
        u.id, "<b>Choose</b> a language", parse_mode="HTML", reply_markup=kb
    )
    assert sent.text == "Choose a language" and sent.entities[0].type == "bold"
    assert sent.reply_markup == kb
    entry = await u.next_bot_message(timeout=1)
    assert entry.buttons == [["English", "Русский"]]
    assert entry.callback_data == [["lang:en", "lang:ru"]]
    assert entry.html == "<b>Choose</b> a language"
    qid = await u.press("Русский")
    updates = await bot.get_updates(timeout=0)
    cq = updates[-1].callback_query
    assert cq is not None and cq.id == qid and cq.data == "lang:ru"
    assert cq.message is not None and cq.message.message_id == sent.message_id
    assert cq.from_user.id == u.id
    assert await bot.answer_callback_query(qid, text="Saved")
    assert u.callback_answers[0]["text"] == "Saved"
    with refused(BadRequest, "query is too old"):
        await bot.answer_callback_query(qid)
    with pytest.raises(LookupError, match="English"):
        await u.press("Deutsch")
    text = u.transcript_text()
    assert "bot: Choose a language" in text and "[English] [Русский]" in text


async def test_edit_delete_and_not_modified(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    m = await bot.send_message(u.id, "Step 1", reply_markup=kb)
    edited = await bot.edit_message_text("Step 2", chat_id=u.id, message_id=m.message_id)
    assert isinstance(edited, telegram.Message) and edited.text == "Step 2"
    last = u.last_bot_message()
    assert last is not None and last.text == "Step 2" and last.edited and last.buttons == []
    with refused(BadRequest, "message is not modified"):
        await bot.edit_message_text("Step 2", chat_id=u.id, message_id=m.message_id)
    assert sb.breaches[-1].method == "editMessageText"
    assert "not modified" in sb.breaches[-1].description
    await bot.edit_message_reply_markup(u.id, m.message_id, reply_markup=kb)
    assert u.transcript()[-1].buttons == [["OK"]]
    assert await bot.delete_message(u.id, m.message_id)
    assert u.transcript()[-1].deleted and u.bot_messages() == []
    assert "bot: (deleted)" in u.transcript_text()
    with refused(BadRequest, "message to delete not found"):
        await bot.delete_message(u.id, m.message_id)
    with refused(BadRequest, "message to edit not found"):
        await bot.edit_message_text("x", chat_id=u.id, message_id=999)
    m2 = await bot.send_message(u.id, "a")
    m3 = await bot.send_message(u.id, "b")
    assert await bot.delete_messages(u.id, [m2.message_id, m3.message_id])
    assert u.bot_messages() == []


async def test_messages_48_hours_old_can_no_longer_be_deleted(
    sb: Sandbox, bot: telegram.Bot
) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("what happened to me")
    hers = u.transcript()[-1]  # incoming for the bot: deletable in a private chat, 48 hours
    first = await bot.send_message(u.id, "first")
    second = await bot.send_message(u.id, "second")

    sb.advance_clock(48 * 3600 - 60)
    assert await bot.delete_message(u.id, second.message_id)  # a minute short of 48 hours
    later = await bot.send_message(u.id, "later")
    assert (later.date - first.date).total_seconds() >= 48 * 3600 - 60  # dates follow the clock

    sb.advance_clock(120)
    for old in (first.message_id, hers.message_id):
        with refused(BadRequest, "message can't be deleted"):
            await bot.delete_message(u.id, old)
    # One message too old refuses the whole request: nothing is deleted.
    with refused(BadRequest, "message can't be deleted"):
        await bot.delete_messages(u.id, [first.message_id, later.message_id])
    assert [e.text for e in u.bot_messages()] == ["first", "later"]
    assert not any(e.deleted for e in u.transcript() if e.message_id == hers.message_id)
    assert [b.description for b in sb.breaches] == ["Bad Request: message can't be deleted"] * 3
    assert await bot.delete_messages(u.id, [later.message_id, 999])  # the unknown one skipped
    assert [e.text for e in u.bot_messages()] == ["first"]
    with pytest.raises(ValueError):
        sb.advance_clock(-1)


async def test_reply_keyboard_contact(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura", phone="+996555000001")
    await u.send("/start")
    kb = ReplyKeyboardMarkup([[KeyboardButton("Share my phone", request_contact=True)], ["Skip"]])
    await bot.send_message(u.id, "Your phone?", reply_markup=kb)
    assert u.last_bot_message() is not None
    await u.press_reply("Share my phone")
    await u.press_reply("Skip")
    updates = await bot.get_updates(timeout=0)
    contact = updates[-2].message.contact if updates[-2].message else None
    assert contact is not None and contact.phone_number == "+996555000001"
    assert contact.user_id == u.id
    assert updates[-1].message is not None and updates[-1].message.text == "Skip"
    await bot.send_message(u.id, "Thanks", reply_markup=ReplyKeyboardRemove())
    with pytest.raises(LookupError):
        await u.press_reply("Skip")


async def test_next_bot_message_timeout_includes_transcript(sb: Sandbox) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hello?")
    with pytest.raises(TimeoutError, match="Ainura: hello"):
        await u.next_bot_message(timeout=0.05)


# -- limits --------------------------------------------------------------------


async def test_text_length_utf16(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    ok = "😀" * 2048  # 2048 characters, 4096 UTF-16 code units
    await bot.send_message(u.id, ok)
    with refused(BadRequest, "message is too long"):
        await bot.send_message(u.id, ok + "a")
    # HTML tags do not count, entities count as one character
    await bot.send_message(u.id, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with refused(BadRequest, "message text is empty"):
        await bot.send_message(u.id, "<b></b>", parse_mode="HTML")
    assert [b.description for b in sb.breaches] == [
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
    ]


async def test_caption_and_callback_data_limits(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    with refused(BadRequest, "message caption is too long"):
        await bot.send_photo(u.id, b"\xff\xd8jpeg", caption="x" * 1025)
    await bot.send_photo(u.id, b"\xff\xd8jpeg", caption="x" * 1024)
    too_long = "ы" * 32 + "a"  # 65 bytes of UTF-8
    with refused(BadRequest, "BUTTON_DATA_INVALID"):
        await bot.send_message(
            u.id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("A", callback_data=too_long)]]
            ),
        )
    await bot.send_message(
        u.id,
        "x",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="ы" * 32)]]),
    )


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Hi <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 3'),
        ("1 < 2", "Character '<' is reserved"),
        ("x</i>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i></b>", "Unmatched end tag"),
        ("line<br>break", 'Unsupported start tag "br"'),
    ],
)
async def test_bad_html_refused(
    sb: Sandbox, http: httpx.AsyncClient, html: str, error: str
) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    body = await call(http, "sendMessage", chat_id=u.id, text=html, parse_mode="HTML")
    assert not body["ok"] and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert error in body["description"]
    assert sb.breaches[-1].description == body["description"]


async def test_escaped_html_accepted(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    html = (
        '1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;q&quot; &#39;s&#x27; <a href="https://x.kg/?a=1&amp;b=2">'
        'link</a> <tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">t</span> '
        '<pre><code class="language-python">x = 1</code></pre> '
        "<blockquote expandable>q</blockquote>"
    )
    m = await bot.send_message(u.id, html, parse_mode="HTML")
    assert m.text is not None
    assert m.text.startswith("1 < 2 && 3 > 2 \"q\" 's' link s t x = 1 q")
    types = [e.type for e in m.entities]
    assert "text_link" in types and "spoiler" in types and "pre" in types
    assert m.entities[types.index("pre")].language == "python"
    assert sb.breaches == []
    entry = u.last_bot_message()
    assert entry is not None and entry.text == m.text and entry.html == html


async def test_chat_not_found_and_blocked(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    with refused(BadRequest, "chat not found"):
        await bot.send_message(u.id, "hi")  # she never wrote to the bot
    await u.send("/start")
    await bot.send_message(u.id, "hi")
    await u.block()
    with refused(Forbidden, "bot was blocked by the user"):
        await bot.send_message(u.id, "are you there?")
    assert sb.breaches[-1].error_code == 403
    updates = await bot.get_updates(timeout=0)
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    assert member.old_chat_member.status == "member"
    await u.unblock()
    await bot.send_message(u.id, "welcome back")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limit_429(sb: Sandbox, bot: telegram.Bot, http: httpx.AsyncClient) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    sb.set_rate_limit(3)
    for i in range(3):
        await bot.send_message(u.id, f"m{i}")
    body = await call(http, "sendMessage", chat_id=u.id, text="m3")
    assert body["error_code"] == 429
    assert body["parameters"]["retry_after"] == 1
    assert body["description"] == "Too Many Requests: retry after 1"
    with pytest.raises(RetryAfter):
        await bot.send_message(u.id, "m4")
    assert [b.error_code for b in sb.breaches] == [429, 429]
    assert len(u.bot_messages()) == 3


async def test_protocol_errors(sb: Sandbox, http: httpx.AsyncClient) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    resp = await http.post("sendTelepathy", json={})
    assert resp.status_code == 404 and resp.json()["description"] == "Not Found"
    body = await call(http, "sendMessage", chat_id=u.id, text="x", colour="red")
    assert body["description"] == 'Bad Request: unknown parameter "colour"'
    body = await call(http, "sendMessage", chat_id=u.id)
    assert body["description"] == "Bad Request: message text is empty"
    body = await call(http, "sendMessage", text="x")
    assert body["description"] == "Bad Request: chat_id is empty"
    body = await call(http, "sendMessage", chat_id=u.id, text="x", disable_notification="maybe")
    assert body["error_code"] == 400 and "disable_notification" in body["description"]
    body = await call(http, "sendChatAction", chat_id=u.id, action="dancing")
    assert body["error_code"] == 400
    body = await call(
        http, "sendVenue", chat_id=u.id, latitude=1, longitude=2, title="a", address="b"
    )
    assert body["description"] == "Bad Request: method not implemented in sandbox"
    assert len(sb.breaches) == 7
    # form-encoded like python-telegram-bot, values as JSON strings
    resp = await http.post(
        "sendMessage",
        data={
            "chat_id": str(u.id),
            "text": "form",
            "disable_notification": "true",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
            ),
        },
    )
    assert resp.json()["ok"] and resp.json()["result"]["reply_markup"]["inline_keyboard"]
    assert sb.calls[-1] == (
        "sendMessage",
        {
            "chat_id": u.id,
            "text": "form",
            "disable_notification": True,
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        },
    )
    resp = await http.get("sendChatAction", params={"chat_id": u.id, "action": "typing"})
    assert resp.json() == {"ok": True, "result": True}


# -- files ---------------------------------------------------------------------


async def test_documents_upload_download_and_resend(
    sb: Sandbox, bot: telegram.Bot, http: httpx.AsyncClient
) -> None:
    u = sb.add_user(first_name="Ainura")
    await u.send("hi")
    payload = bytes(range(256)) * 100
    m = await bot.send_document(u.id, io.BytesIO(payload), filename="report.pdf", caption="Report")
    assert m.document is not None and m.document.file_name == "report.pdf"
    f = await bot.get_file(m.document.file_id)
    assert f.file_path is not None and f.file_size == len(payload)
    assert bytes(await f.download_as_bytearray()) == payload
    again = await bot.send_document(u.id, m.document.file_id)
    assert again.document is not None and again.document.file_id == m.document.file_id
    entry = u.last_bot_message()
    assert entry is not None and entry.kind == "document" and entry.file_name == "report.pdf"
    # attach:// form
    resp = await http.post(
        "sendDocument",
        data={"chat_id": str(u.id), "document": "attach://file1"},
        files={"file1": ("notes.txt", b"hello", "text/plain")},
    )
    assert resp.json()["result"]["document"]["file_name"] == "notes.txt"
    body = await call(http, "sendDocument", chat_id=u.id, document="no-such-file-id")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"


async def test_user_photo_and_document_download(sb: Sandbox, bot: telegram.Bot) -> None:
    u = sb.add_user(first_name="Ainura")
    data = b"\xff\xd8\xff\xe0fake-jpeg" * 10
    await u.send_photo(data, caption="my receipt")
    await u.send_document(b"%PDF-1.4", file_name="a.pdf")
    await u.send_sticker()
    await u.share_location(42.87, 74.59)
    updates = await bot.get_updates(timeout=0)
    photo_msg = updates[0].message
    assert photo_msg is not None and photo_msg.caption == "my receipt"
    f = await photo_msg.photo[-1].get_file()
    assert bytes(await f.download_as_bytearray()) == data
    doc = updates[1].message.document if updates[1].message else None
    assert doc is not None and doc.mime_type == "application/pdf"
    assert updates[2].message is not None and updates[2].message.sticker is not None
    assert updates[3].message is not None and updates[3].message.location is not None
    kinds = [e.kind for e in u.transcript()]
    assert kinds == ["photo", "document", "sticker", "location"]


# -- commands, control API, CLI ------------------------------------------------


async def test_my_commands(sb: Sandbox, bot: telegram.Bot) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("start", "Начать")], scope=scope, language_code="ru")
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    got = await bot.get_my_commands(scope=scope, language_code="ru")
    assert [(c.command, c.description) for c in got] == [("start", "Начать")]
    assert sb.commands[(scope_key({"type": "all_private_chats"}), "ru")][0]["command"] == "start"
    assert len(sb.commands[(scope_key(None), "")]) == 2
    with refused(BadRequest, "BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])
    with refused(BadRequest, "BOT_COMMAND_DESCRIPTION_INVALID"):
        await bot.set_my_commands([BotCommand("start", "x" * 257)])
    assert await bot.delete_my_commands(scope=scope, language_code="ru")
    assert await bot.get_my_commands(scope=scope, language_code="ru") == ()


async def test_control_api_and_cli(
    sb: Sandbox, bot: telegram.Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--url", sb.url]
    await asyncio.to_thread(
        sandbox_cli.main,
        [*base, "send", "--user", "1001", "--first-name", "Ainura", "--lang", "ky", "/start"],
    )
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None and updates[0].message.text == "/start"
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("Кыргызча", callback_data="lang:ky")]])
    await bot.send_message(1001, "Тил?", reply_markup=kb)
    await asyncio.to_thread(sandbox_cli.main, [*base, "press", "--user", "1001", "Кыргызча"])
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert updates[0].callback_query is not None and updates[0].callback_query.data == "lang:ky"
    capsys.readouterr()
    await asyncio.to_thread(sandbox_cli.main, [*base, "transcript", "--user", "1001"])
    out = capsys.readouterr().out
    assert "Ainura: /start" in out and "[Кыргызча]" in out
    async with httpx.AsyncClient(base_url=f"{sb.url}/sandbox/") as client:
        resp = await client.post("users", json={"first_name": "Bakyt", "language_code": "ru"})
        uid = resp.json()["id"]
        assert (await client.post(f"users/{uid}/send", json={"text": "привет"})).status_code == 200
        assert (await client.post(f"users/{uid}/block")).json()["ok"]
        assert sb.users[uid].blocked
        resp = await client.get("breaches")
        assert resp.json() == []


# -- webhooks ------------------------------------------------------------------


async def test_webhook_rules_delivery_with_secret_and_retries(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    """setWebhook is checked as Telegram checks it; updates are then posted (with the secret
    header) instead of fetched, and an update the bot does not take is posted again."""
    from aiohttp import web

    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [403, 500]  # the first two requests fail, then the bot takes them

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sb.webhook_proxy = f"http://127.0.0.1:{port}"
    try:
        for url, description in (
            ("http://bot.example.org/hook", "An HTTPS URL must be provided"),
            ("https://bot.example.org:8080/hook", "only on ports 80, 88, 443 or 8443"),
        ):
            body = await call(http, "setWebhook", url=url)
            assert body["error_code"] == 400 and description in body["description"]
        body = await call(
            http, "setWebhook", url="https://bot.example.org/hook", secret_token="a b"
        )
        assert body["description"] == "Bad Request: secret token contains unallowed characters"
        sb.breaches.clear()

        assert (
            await call(
                http,
                "setWebhook",
                url="https://bot.example.org/hook",
                secret_token="s3cret_-A",
                allowed_updates=["message"],
            )
        )["result"] is True
        polled = await call(http, "getUpdates")
        assert polled["error_code"] == 409 and "webhook is active" in polled["description"]

        u = sb.add_user(first_name="Ainura")
        await u.send("hello")
        await sb.wait_confirmed()
        assert [status for _, status in sb.deliveries] == [403, 500, 200]
        assert {secret for secret, _ in received} == {"s3cret_-A"}
        assert received[-1][1]["message"]["text"] == "hello"
        info = (await call(http, "getWebhookInfo"))["result"]
        assert info["url"] == "https://bot.example.org/hook" and info["pending_update_count"] == 0
        assert info["allowed_updates"] == ["message"]
        assert (
            info["last_error_message"]
            == "Wrong response from the webhook: 500 Internal Server Error"
        )

        assert (await call(http, "deleteWebhook"))["result"] is True
        await u.send("again")
        assert (await call(http, "getUpdates"))["result"][0]["message"]["text"] == "again"
        assert (await call(http, "getWebhookInfo"))["result"]["url"] == ""
        assert sb.breaches == []
    finally:
        await runner.cleanup()
