"""What the benchmarks share: timing answers through the sandbox, running a bot in a process of
its own, figures and targets.

Every benchmark runs the sandbox (the Telegram stand-in) and the simulated people in this
process, and the bot in another (`python -m bench.botproc` for the project's bot, `python -m
bench.echo` for the bare echo bot), talking HTTP to the sandbox as it would to Telegram. So the
bot has its own process to measure (memory, start-up time) and its own core to run on, and the
sandbox's cost is the same for every bot measured against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import Sandbox
from sandbox.runner import TOKEN
from sandbox.state import Msg

ROOT = Path(__file__).resolve().parent.parent


class Answers:
    """Times the bot's answers: the first message it sends or edits in a chat after `expect`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._waiting: dict[int, asyncio.Future[tuple[float, Msg]]] = {}
        sandbox.observers.append(self._seen)

    def _seen(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.chat.id, None)
        if future is not None and not future.done():
            future.set_result((time.perf_counter(), msg))

    def expect(self, chat_id: int) -> asyncio.Future[tuple[float, Msg]]:
        future: asyncio.Future[tuple[float, Msg]] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`, in their unit."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Latencies:
    """Seconds from a person's message to the bot's answer."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    def summary(self) -> str:
        v = self.values
        if not v:
            return "no answers"
        return (
            f"p50 {1000 * statistics.median(v):.0f} ms, p95 {1000 * percentile(v, 95):.0f} ms, "
            f"p99 {1000 * percentile(v, 99):.0f} ms, max {1000 * max(v):.0f} ms"
        )


def too_many_requests(sandbox: Sandbox) -> int:
    """How many 429s the sandbox answered (each is a breach of Telegram's limit)."""
    return sum(1 for b in sandbox.breaches if b.error_code == 429)


class BotProcess:
    """A bot in a process of its own, polling the sandbox."""

    def __init__(self, module: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.argv = [sys.executable, "-m", module, *args]
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc: asyncio.subprocess.Process | None = None
        self.startup = 0.0  # seconds from the start of the process to its first getUpdates
        self.log_path: Path | None = None

    async def start(self, sandbox: Sandbox, log_path: Path) -> None:
        self.log_path = log_path
        seen = len(sandbox.calls)
        started = time.perf_counter()
        with log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=log
            )

        def polling() -> bool:
            if self.proc is not None and self.proc.returncode is not None:
                raise RuntimeError(f"the bot stopped at start-up; see {log_path}")
            return any(method == "getUpdates" for method, _ in sandbox.calls[seen:])

        await sandbox.wait_until(polling, 120, lambda: f"the bot did not start; see {log_path}")
        self.startup = time.perf_counter() - started

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far (user + system), in seconds."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def _status_mb(self, field: str) -> float:
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def peak_rss_mb(self) -> float:
        """The most memory the process has held (VmHWM), in MB."""
        return self._status_mb("VmHWM")

    def rss_mb(self) -> float:
        """The memory the process holds now (VmRSS), in MB."""
        return self._status_mb("VmRSS")

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(30):
                await self.proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def project_bot(
    sandbox: Sandbox,
    data_dir: Path,
    *,
    rate_limit: bool,
    key: str,
    coordinators: str = "",
    concurrency: int | None = None,
) -> BotProcess:
    args = [] if rate_limit else ["--no-rate-limit"]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'bot.db'}",
        "DATA_KEY": key,
        "COORDINATOR_IDS": coordinators,
        "LOG_LEVEL": "WARNING",
    }
    return BotProcess("bench.botproc", *args, env=env)


def echo_bot(sandbox: Sandbox, *, rate_limit: bool, aiohttp: bool = False) -> BotProcess:
    args = ["--api", sandbox.url, "--token", TOKEN]
    if not rate_limit:
        args.append("--no-rate-limit")
    if aiohttp:
        args.append("--aiohttp")
    return BotProcess("bench.echo", *args)


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def target(name: str, value: str, met: bool) -> str:
    line = f"  target {name}: {value} — {verdict(met)}"
    print(line, flush=True)
    return line
