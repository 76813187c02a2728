"""The one sender of the outbox: a task that takes the most urgent messages first, renders each
in its recipient's language and sends it, within Telegram's limits.

- At most one message a second into one chat, and announcements at `broadcast_rate` a second,
  all within the one rate limiter (bot/delivery/pacing.py).
- 403 (she blocked the bot): marked blocked, and she is remembered as unreachable.
- 429: that message waits the time Telegram asks; bulk sending pauses as long.
- Network errors, time-outs and 5xx: tried again later, waiting longer each time.
- A crash: rows taken but not confirmed are sent again at start-up (db/outbox.recover).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.delivery import (
    BATCH_HOOKS,
    PROGRESS_HOOKS,
    RENDERERS,
    RESULT_HOOKS,
    SENT_HOOKS,
    Recipient,
    Rendered,
)
from bot.delivery.pacing import BULK, PacedLimiter, retry_seconds
from bot.i18n import DEFAULT_LANGUAGE, get_translator, resolve_language
from db import outbox
from db.outbox import BLOCKED, CANCELLED, FAILED, SENT, Claimed
from db.types import utcnow
from db.users import get_user, set_blocked

if TYPE_CHECKING:
    from bot.context import SolidarityApp

log = logging.getLogger(__name__)

PER_CHAT_SECONDS = 1.0  # Telegram: about one message a second into one chat
MAX_ATTEMPTS = 8  # network errors, time-outs and 5xx: then it is given up as failed
BACKOFF_SECONDS = (1, 2, 5, 10, 30, 60, 120, 300)
IDLE_SECONDS = 1.0  # how often an idle sender looks at the queue anyway
PROGRESS_SECONDS = 3.0  # how often a running batch's progress is shown
CANDIDATES = 64  # rows read at a time
REFRESH_SECONDS = 0.5  # how long rows read stay fresh (new ones also wake the sender)
SEND_TIMEOUT = 15.0  # seconds for one request: a hung request is given up and tried again


class Sender:
    """Started in post_init, stopped in post_shutdown; `wake()` after enqueueing."""

    def __init__(
        self,
        app: SolidarityApp,
        *,
        limiter: PacedLimiter | None,
        concurrency: int = 4,
        broadcast_rate: float = 25.0,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.concurrency = concurrency
        self.send_timeout = SEND_TIMEOUT
        self.broadcast_interval = 1.0 / broadcast_rate if broadcast_rate > 0 else 0.0
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()  # a delivery ended, or a round found nothing to do
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[str] = set()  # chats with a message on its way
        self._chat_next: dict[str, float] = {}  # chat → when it may get the next message
        self._broadcast_next = 0.0
        self._progress_at: dict[int, float] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._buffer: list[Claimed] = []
        self._fetched_at = 0.0
        self._refresh = True
        self.delivered = 0  # since start (tests and benchmarks read it)

    async def start(self) -> None:
        again = await outbox.recover(self.app.db)
        if again:
            log.warning("%s outbox message(s) taken before a crash will be sent again", again)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def drained(self) -> None:
        """Wait until no message waits that may go now (postponed ones aside) and none is on
        its way (tests and the benchmark use it, within a time-out of their own)."""
        while await outbox.due_count(self.app.db) or self._running:
            self._changed.clear()
            self.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.5)

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next idle tick."""
        self._refresh = True
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                started = await self._round()
                await self._batches()
            except asyncio.CancelledError:
                raise
            except Exception:  # the sender must outlive any one bad row or database hiccup
                log.exception("Outbox round failed")
                started = 0
            if started == 0:
                self._changed.set()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def _round(self) -> int:
        """Start what may be sent now, most urgent first; returns how many were started (or 1
        after waiting for a moment, so that the caller looks again at once)."""
        if len(self._running) >= self.concurrency:
            await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            return 1
        now = time.monotonic()
        if self._refresh or not self._buffer or now - self._fetched_at > REFRESH_SECONDS:
            self._refresh = False
            self._fetched_at = now
            self._buffer = await outbox.candidates(self.app.db, limit=CANDIDATES)
        picked: list[Claimed] = []
        chats: set[str] = set()
        waits: list[float] = []
        for row in self._buffer:
            tag = row.recipient_tag
            if tag in self._in_flight or tag in chats:
                continue
            ready_at = self._chat_next.get(tag, 0.0)
            announcement = row.priority > BULK and self.broadcast_interval > 0
            if announcement:
                ready_at = max(ready_at, self._broadcast_next)
            if ready_at > now:
                waits.append(ready_at - now)
                continue
            if announcement:
                self._broadcast_next = max(now, self._broadcast_next) + self.broadcast_interval
            picked.append(row)
            chats.add(tag)
            if len(picked) + len(self._running) >= self.concurrency:
                break
        gone = {row.id for row in picked}
        self._buffer = [row for row in self._buffer if row.id not in gone]
        taken = set(await outbox.take(self.app.db, [row.id for row in picked]))
        for row in picked:
            if row.id in taken:
                self._in_flight.add(row.recipient_tag)
                task = asyncio.create_task(self._deliver(row))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        if taken:
            return len(taken)
        if self._buffer:  # messages wait for their chat's or the announcements' turn
            delay = min([*waits, IDLE_SECONDS]) if waits else 0.05
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            return 1
        return 0

    async def _deliver(self, row: Claimed) -> None:
        tag = row.recipient_tag
        sent_id: int | None = None
        try:
            status, sent_id = await self._send(row)
        except Exception:
            log.exception("Outbox message %s (%s) could not be handled", row.id, row.kind)
            status = await self._postpone(row)
        finally:
            self._in_flight.discard(tag)
            self._chat_next[tag] = time.monotonic() + PER_CHAT_SECONDS
        if status is not None:
            await outbox.finish(self.app.db, row.id, status)
            if status == SENT:
                self.delivered += 1
                if sent_id is not None and row.kind in SENT_HOOKS:
                    try:
                        await SENT_HOOKS[row.kind](self.app, row.chat_id, row.params, sent_id)
                    except Exception:
                        log.exception("After outbox message %s (%s) was sent", row.id, row.kind)
            elif status in (BLOCKED, FAILED) and row.kind in RESULT_HOOKS:
                try:
                    await RESULT_HOOKS[row.kind](self.app, row.params, status)
                except Exception:
                    log.exception("After outbox message %s (%s)", row.id, row.kind)
        self._wake.set()  # its chat may get the next one, or a slot is free
        self._changed.set()

    async def _send(self, row: Claimed) -> tuple[str | None, int | None]:
        """Send one message; returns its final status (None when it was postponed), and the
        id of the new message when one was sent."""
        app = self.app
        person = await get_user(app.db, row.chat_id)
        if person is None:  # never wrote to the bot: Telegram would not let us write to her
            log.info(
                "Outbox message %s (%s): the recipient never started the bot", row.id, row.kind
            )
            return FAILED, None
        if person.blocked:
            return BLOCKED, None
        lang = resolve_language(person.language, row.params.get("lang") or person.telegram_language)
        t = get_translator(lang or DEFAULT_LANGUAGE, app.settings.timezone)
        render = RENDERERS.get(row.kind)
        if render is None:
            log.error("No renderer for outbox messages of kind %s", row.kind)
            return FAILED, None
        rendered = await render(Recipient(app, row.chat_id, t, row.kind, row.params, row.batch_id))
        if rendered is None:
            return CANCELLED, None
        try:
            sent_id = await self._telegram(row, rendered)
        except Forbidden:
            await set_blocked(app.db, row.chat_id, True)
            log.info("Outbox message %s: the recipient has blocked the bot", row.id)
            return BLOCKED, None
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            await outbox.retry_later(app.db, row.id, utcnow() + timedelta(seconds=wait))
            self._chat_next[row.recipient_tag] = time.monotonic() + wait
            return None, None
        except BadRequest as exc:
            if rendered.edit is not None and "not modified" in exc.message:
                return SENT, None  # the message already says this
            log.warning("Outbox message %s (%s) refused: %s", row.id, row.kind, exc.message)
            return FAILED, None
        except (NetworkError, TimeoutError) as exc:  # time-outs, 5xx, connection errors
            log.warning("Outbox message %s (%s) not sent yet: %s", row.id, row.kind, exc)
            return await self._postpone(row), None
        return SENT, sent_id

    async def _telegram(self, row: Claimed, rendered: Rendered) -> int | None:
        """Send (or edit) one message; returns the id of a new message."""
        bot = self.app.bot
        args = {"priority": row.priority, "outbox": True}
        timeouts = {"read_timeout": self.send_timeout, "write_timeout": self.send_timeout}
        if rendered.edit is not None:
            where = {"chat_id": row.chat_id, "message_id": rendered.edit}
            if rendered.photo or rendered.document:
                await bot.edit_message_caption(
                    caption=rendered.text,
                    reply_markup=rendered.markup,
                    rate_limit_args=args,
                    **where,
                    **timeouts,
                )
            else:
                await bot.edit_message_text(
                    rendered.text,
                    reply_markup=rendered.markup,
                    rate_limit_args=args,
                    **where,
                    **timeouts,
                )
            return None
        common = {
            "reply_markup": rendered.markup,
            "protect_content": rendered.protect or None,
            "rate_limit_args": args,
            **timeouts,
        }
        if rendered.photo:
            sent = await bot.send_photo(
                row.chat_id, rendered.photo, caption=rendered.text, **common
            )
        elif rendered.document:
            sent = await bot.send_document(
                row.chat_id, rendered.document, caption=rendered.text, **common
            )
        else:
            sent = await bot.send_message(row.chat_id, rendered.text, **common)
        return sent.message_id

    async def _postpone(self, row: Claimed) -> str | None:
        """Try again later, waiting longer each time; give up after MAX_ATTEMPTS."""
        tries = row.attempts + 1  # `row` was read before this try was counted
        if tries >= MAX_ATTEMPTS:
            log.error("Outbox message %s (%s) given up after %s tries", row.id, row.kind, tries)
            return FAILED
        wait = BACKOFF_SECONDS[min(tries, len(BACKOFF_SECONDS)) - 1]
        await outbox.retry_later(self.app.db, row.id, utcnow() + timedelta(seconds=wait))
        return None

    async def _batches(self) -> None:
        """Close the batches that are done (or late), and show the progress of the others."""
        now = time.monotonic()
        for batch in await outbox.running_batches(self.app.db):
            open_rows = batch.counts.get(outbox.PENDING, 0) + batch.counts.get(outbox.SENDING, 0)
            hook = BATCH_HOOKS.get(batch.kind)
            if open_rows == 0:
                # The hook first, then its messages with the closing: a crash in between runs
                # the hook again, and nothing it says is lost or said twice.
                told = await hook(self.app, batch, False) if hook is not None else ()
                if await outbox.close_batch(self.app.db, batch.id, outbox=told) and told:
                    self.wake()
                self._progress_at.pop(batch.id, None)
                continue
            if batch.deadline is not None and batch.deadline <= utcnow():
                told = await hook(self.app, batch, True) if hook is not None else ()
                if await outbox.clear_deadline(self.app.db, batch.id, outbox=told) and told:
                    self.wake()
            progress = PROGRESS_HOOKS.get(batch.kind)
            if (
                progress is not None
                and now - self._progress_at.get(batch.id, 0.0) >= PROGRESS_SECONDS
            ):
                self._progress_at[batch.id] = now
                await progress(self.app, batch)
