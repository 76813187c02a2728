"""The one sender of the outbox: a task that takes the most urgent messages first, renders each
in its recipient's language and sends it, within Telegram's limits.

- At most one message a second into one chat, and announcements at `broadcast_rate` a second,
  all within the one rate limiter (bot/delivery/pacing.py). One of the `concurrency` slots is
  kept for urgent messages: bulk (event notices, announcements) never takes them all, so a
  danger alert never waits for a hung announcement.
- 403 (she blocked the bot): marked blocked, and she is remembered as unreachable.
- 429: that message waits the time Telegram asks; bulk sending pauses as long.
- Network errors, time-outs and 5xx: tried again later, waiting longer each time.
- A crash: rows taken but not confirmed are sent again at start-up (db/outbox.recover).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
    ProgressHook,
    Recipient,
    Rendered,
    send_rendered,
)
from bot.delivery.pacing import BULK, PacedLimiter, retry_seconds
from bot.i18n import DEFAULT_LANGUAGE, get_translator, resolve_language
from db import outbox
from db.outbox import BLOCKED, CANCELLED, FAILED, SENT, Claimed, Finished
from db.types import utcnow
from db.users import Reach, reach_of, set_blocked

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
BATCH_SECONDS = 0.5  # how often running batches are looked at (done? late? progress?)
STOP_SECONDS = 5.0  # at a clean stop, how long messages on their way may take to finish
# Announcements keep their pace (`broadcast_rate`) on average: time lost while the process was
# busy (a slow database write, the machine's other work) is made up, up to this many seconds'
# worth, by letting the next ones go as fast as the rate limiter allows (whose own pace keeps
# Telegram's limit).
CATCH_UP_SECONDS = 1.0
# Announcements due within this many seconds are taken together (one write for several) and
# each waits for its moment: a fast broadcast costs few writes.
LOOKAHEAD = 0.05
CONCURRENCY = 16  # messages on their way at once (waiting for their moment, or sent)
# How soon the fate of a delivered message is written down (with the next take, or alone): the
# window in which a crash makes it go out again.
RECORD_SECONDS = 0.02


class Sender:
    """Started in post_init, stopped in post_shutdown; `wake()` after enqueueing."""

    def __init__(
        self,
        app: SolidarityApp,
        *,
        limiter: PacedLimiter | None,
        concurrency: int = CONCURRENCY,
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
        self._in_flight: set[str] = set()  # chats with a message on its way
        self._chat_next: dict[str, float] = {}  # chat → when it may get the next message
        self._broadcast_next = 0.0
        self._progress_at: dict[int, float] = {}
        self._progress: dict[int, asyncio.Task[None]] = {}  # batch → its progress display
        self._batches_at = 0.0
        self._running: set[asyncio.Task[None]] = set()
        self._bulk: set[asyncio.Task[None]] = set()  # the running ones that are bulk
        self._buffer: list[Claimed] = []
        # Messages whose fate is known but not yet written: recorded with the next take (one
        # write for both), within milliseconds.
        self._done: list[tuple[Claimed, str, int | None]] = []
        self._done_since = 0.0
        self._people: dict[int, Reach] = {}  # the buffer's recipients: language, blocked
        self._fetched_at = 0.0
        self._refresh = True
        self.delivered = 0  # since start (tests and benchmarks read it)

    async def start(self) -> None:
        again = await outbox.recover(self.app.db)
        if again:
            log.warning("%s outbox message(s) taken before a crash will be sent again", again)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop taking rows; let the messages on their way finish (for a while), and record
        how they went, so that a clean restart sends nothing twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running:
            await asyncio.wait(self._running, timeout=STOP_SECONDS)
        tasks = [*self._running, *self._progress.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._progress.clear()
        try:
            await self._record()
        except Exception:  # what is not recorded is sent again at the next start
            log.exception("The outcome of some outbox messages could not be recorded")

    async def drained(self) -> None:
        """Wait until no message waits that may go now (postponed ones aside), none is on its
        way, and every batch that is done has been closed (tests and the benchmark use it,
        within a time-out of their own)."""
        while (
            await outbox.due_count(self.app.db)
            or self._running
            or self._done
            or await self._closable()
        ):
            self._changed.clear()
            self.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.5)

    async def _closable(self) -> bool:
        """A batch whose messages are all done, not yet closed (its hook not yet run)."""
        return any(
            not batch.counts.get(outbox.PENDING, 0) and not batch.counts.get(outbox.SENDING, 0)
            for batch in await outbox.running_batches(self.app.db)
        )

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next idle tick."""
        self._refresh = True
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # what wakes it from here on is not missed
            try:
                delay = await self._round()
                idle = delay >= IDLE_SECONDS and not self._running and not self._done
                if idle or time.monotonic() - self._batches_at >= BATCH_SECONDS:
                    await self._batches()
            except asyncio.CancelledError:
                raise
            except Exception:  # the sender must outlive any one bad row or database hiccup
                log.exception("Outbox round failed")
                delay, idle = IDLE_SECONDS, False
            if delay > 0:
                if idle:
                    self._changed.set()  # nothing to do now: drained() may look
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    async def _round(self) -> float:
        """Start what may be sent now, most urgent first, and write down how the finished ones
        went; returns how long to wait (at most, unless woken) before the next round."""
        now = time.monotonic()
        if self._refresh or not self._buffer or now - self._fetched_at > REFRESH_SECONDS:
            self._refresh = False
            self._fetched_at = now
            self._buffer = await outbox.candidates(self.app.db, limit=CANDIDATES)
            self._people = await reach_of(self.app.db, {row.chat_id for row in self._buffer})
            now = time.monotonic()
        picked: list[Claimed] = []
        departures: dict[int, float] = {}  # announcements: when each may leave
        chats: set[str] = set()
        waits: list[float] = [IDLE_SECONDS]
        free = self.concurrency - len(self._running)
        bulk_slots = min(free, self.concurrency - 1 - len(self._bulk))  # one stays for the urgent
        # Announcements are taken a few at a time: when those taken run out within half the
        # look-ahead, all that are due within the look-ahead.
        announce = self._broadcast_next <= now + LOOKAHEAD / 2
        for row in self._buffer if free > 0 else ():
            tag = row.recipient_tag
            if tag in self._in_flight or tag in chats:
                continue
            bulk = row.priority >= BULK
            if bulk and bulk_slots <= 0:
                continue
            ready_at = self._chat_next.get(tag, 0.0)
            if ready_at > now:
                waits.append(ready_at - now)
                continue
            if row.priority > BULK and self.broadcast_interval > 0:  # an announcement
                # After a pause longer than that (none were waiting), a new start.
                behind = self._broadcast_next < now - CATCH_UP_SECONDS
                leaves = now if behind else self._broadcast_next
                if not announce or leaves > now + LOOKAHEAD:
                    waits.append(max(0.001, leaves - now - LOOKAHEAD / 2))
                    continue
                self._broadcast_next = leaves + self.broadcast_interval
                departures[row.id] = leaves
            if bulk:
                bulk_slots -= 1
            picked.append(row)
            chats.add(tag)
            if len(picked) >= free:
                break
        record = bool(self._done) and (
            not self._running or now - self._done_since >= RECORD_SECONDS
        )
        if picked or record:
            gone = {row.id for row in picked}
            self._buffer = [row for row in self._buffer if row.id not in gone]
            taken = set(await self._record([row.id for row in picked]))
            for row in picked:
                if row.id in taken:
                    self._start(row, departures.get(row.id, 0.0))
            if taken:
                return 0.0  # more may be due: look again at once
        if self._done:
            waits.append(max(0.001, self._done_since + RECORD_SECONDS - time.monotonic()))
        if not self._buffer:
            return IDLE_SECONDS if not self._done else min(waits)
        return min(waits)

    def _start(self, row: Claimed, leaves: float) -> None:
        self._in_flight.add(row.recipient_tag)
        task = asyncio.create_task(self._deliver(row, leaves, self._people.get(row.chat_id)))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        if row.priority >= BULK:
            self._bulk.add(task)
            task.add_done_callback(self._bulk.discard)

    async def _deliver(self, row: Claimed, leaves: float, person: Reach | None) -> None:
        tag = row.recipient_tag
        sent_id: int | None = None
        try:
            if leaves > time.monotonic():  # an announcement waits for its moment
                await asyncio.sleep(leaves - time.monotonic())
            status, sent_id = await self._send(row, person)
        except Exception:
            log.exception("Outbox message %s (%s) could not be handled", row.id, row.kind)
            status = await self._postpone(row)
        finally:
            self._in_flight.discard(tag)
            self._chat_next[tag] = time.monotonic() + PER_CHAT_SECONDS
        if status is not None:
            if not self._done:
                self._done_since = time.monotonic()
            self._done.append(
                (row, status, sent_id)
            )  # written down by the sender within milliseconds
        self._wake.set()  # its chat may get the next one, a slot is free, or there is news
        self._changed.set()

    async def _record(self, ids: list[int] | None = None) -> list[int]:
        """Write how the finished messages went, and take `ids`, in one transaction; then what
        follows a delivery (result hooks). Returns the ids taken."""
        done, self._done = self._done, []
        finished = [Finished(row.id, status, row.batch_id is not None) for row, status, _ in done]
        try:
            taken = await outbox.take(self.app.db, ids or [], finished=finished)
        except BaseException:
            self._done[:0] = done  # not written: kept for the next try
            raise
        for row, status, sent_id in done:
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
        if done:
            self._changed.set()
        return taken

    async def _send(self, row: Claimed, person: Reach | None) -> tuple[str | None, int | None]:
        """Send one message; returns its final status (None when it was postponed), and the
        id of the new message when one was sent."""
        app = self.app
        if person is None:
            person = (await reach_of(app.db, [row.chat_id])).get(row.chat_id)
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
            self._people[row.chat_id] = Reach(person.language, person.telegram_language, True)
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
        return await send_rendered(
            self.app.bot,
            row.chat_id,
            rendered,
            rate_limit_args={"priority": row.priority, "outbox": True},
            read_timeout=self.send_timeout,
            write_timeout=self.send_timeout,
        )

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
        self._batches_at = now
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
                and batch.id not in self._progress  # the previous display is still on its way
            ):
                self._progress_at[batch.id] = now
                task = asyncio.create_task(self._show_progress(progress, batch))
                self._progress[batch.id] = task
                task.add_done_callback(functools.partial(self._progress_done, batch.id))

    def _progress_done(self, batch_id: int, _task: asyncio.Task[None]) -> None:
        self._progress.pop(batch_id, None)

    async def _show_progress(self, progress: ProgressHook, batch: outbox.BatchInfo) -> None:
        """A progress display runs beside the sender: a slow edit never holds up sending."""
        try:
            await progress(self.app, batch)
        except Exception:
            log.exception("Progress of batch %s (%s) could not be shown", batch.id, batch.kind)
