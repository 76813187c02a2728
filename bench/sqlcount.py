"""SQL statements per update on the busiest paths, persistence included.

The bot runs in this process (sandbox/runner.py) so that an SQLAlchemy event listener on its
engine can count every statement sent to the database. For each step a person takes, the count
runs from her action to the bot's answer and on until persistence has written what the update
changed (the bot writes it within a second; here it is asked to at once). The outbox's sender,
which looks at its queue every second, is stopped first so that only the update is counted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.i18n import get_translator
from bot.services.crypto import new_key
from sandbox import Sandbox, SimUser
from sandbox.runner import BotRunner, sandbox_settings

from .common import Answers, target

LIMIT = 3


class Statements:
    """The statements of one step. The write-ahead log's checkpoint is counted apart: it is not
    part of any update, but runs at most once a second for everyone's writes of that second
    (db.engine.Database.keep_log_short)."""

    def __init__(self) -> None:
        self.count = 0
        self.checkpoints = 0
        self.seen: list[str] = []

    def __call__(self, *args: Any) -> None:
        sql = " ".join(str(args[2]).split())
        if sql.startswith("PRAGMA wal_checkpoint"):
            self.checkpoints += 1
            return
        self.count += 1
        self.seen.append(sql[:90])


async def run(quick: bool = False) -> list[str]:
    lines: list[str] = []
    t = get_translator("en", "Asia/Bishkek")
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox(rate_limit=0)
        await sandbox.start()
        settings = sandbox_settings(sandbox, Path(tmp) / "data", DATA_KEY=new_key())
        runner = BotRunner(sandbox, settings, rate_limit=False)
        await runner.start()
        app = runner.application
        if app.sender is not None:
            await app.sender.stop()
            app.sender = None
        statements = Statements()
        event.listen(app.db.engine.sync_engine, "before_cursor_execute", statements)
        answers = Answers(sandbox)
        person = sandbox.add_user(first_name="Айгүл", language_code="en")

        async def step(name: str, act: Callable[[], Awaitable[object]], *, counted: bool) -> None:
            future = answers.expect(person.id)
            statements.count, statements.checkpoints, statements.seen = 0, 0, []
            await act()
            await future
            await runner.settle()
            await app.update_persistence()
            if counted:
                line = f"  {name}: {statements.count} statements"
                if statements.checkpoints:
                    line += f" (and {statements.checkpoints} checkpoint of the log, once a second)"
                print(line, flush=True)
                lines.append(line)
                for sql in statements.seen:
                    print(f"      {sql}")
                lines.append(
                    target(f"{name}: ≤ {LIMIT}", str(statements.count), statements.count <= LIMIT)
                )

        def send(text: str) -> Callable[[], Awaitable[object]]:
            return lambda: person.send(text)

        def press(label: str) -> Callable[[], Awaitable[object]]:
            return lambda: person.press(label)

        def press_first(prefix: str) -> Callable[[], Awaitable[object]]:
            def find(user: SimUser) -> str:
                message = user.last_bot_message()
                assert message is not None
                return next(b for row in message.buttons for b in row if b.startswith(prefix))

            return lambda: person.press(find(person))

        try:
            await step("/start (someone new)", send("/start"), counted=True)
            await step("language press", press("English"), counted=True)
            await step("/start (someone known)", send("/start"), counted=True)
            await step("menu: Help", press("❓ " + t.gettext("Help")), counted=False)
            await step("menu (◀ Main menu)", press("◀ " + t.gettext("Main menu")), counted=True)
            await step("resolution contents", press("📜 " + t.gettext("Resolution")), counted=True)
            await step("resolution page", press_first(t.gettext("Point")), counted=True)
            await step("/join", send("/join"), counted=False)
            await step("join form step (her name)", send("Айгүл Асанова"), counted=True)
            await step("/cancel", send("/cancel"), counted=False)
            await step("/report", send("/report"), counted=False)
            await step("report form step (category)", press(t.gettext("Corruption")), counted=True)
        finally:
            event.remove(app.db.engine.sync_engine, "before_cursor_execute", statements)
            await runner.stop()
            await sandbox.stop()
    return lines
