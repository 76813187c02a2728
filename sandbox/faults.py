"""Faults a test asks the sandbox for: Telegram as bad luck would have it.

    sandbox.faults.add(Fault("429", chat_id=9001, retry_after=2, times=3))   # that chat, 3 times
    sandbox.faults.add(Fault("hang", chat_id=9002))                          # never answers
    sandbox.faults.add(Fault("5xx", times=1))                                # the next request
    sandbox.faults.add(Fault("429", retry_after=1, seconds=3))               # everyone, for 3 s

A fault applies to requests that send or change messages (or to `methods`), in the chat it names
(or in any), `times` times or for `seconds`, whichever is given (else until removed). Injected
faults are not breaches: they are Telegram's doing, not the bot's. Each one served is counted in
`served`, by kind.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .spec import ApiError

KINDS = ("429", "5xx", "hang", "403")
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)


@dataclass(eq=False)
class Fault:
    kind: str
    chat_id: int | None = None
    retry_after: int = 1
    times: int | None = None
    seconds: float | None = None
    methods: frozenset[str] = SENDING_METHODS
    started: float = field(default_factory=time.monotonic)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {KINDS}")

    def expired(self) -> bool:
        if self.times is not None and self.times <= 0:
            return True
        return self.seconds is not None and time.monotonic() - self.started > self.seconds

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        if method not in self.methods:
            return False
        if self.chat_id is None:
            return True
        try:
            return int(params.get("chat_id", 0)) == self.chat_id
        except (TypeError, ValueError):
            return False


class Faults:
    """The faults in force; `serve` is called for every request before it is handled."""

    def __init__(self) -> None:
        self.active: list[Fault] = []
        self.served: Counter[str] = Counter()

    def add(self, fault: Fault) -> Fault:
        self.active.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault; requests hanging are let go (and answered with an error)."""
        for fault in self.active:
            fault.released.set()
        self.active.clear()

    async def serve(self, method: str, params: dict[str, Any]) -> None:
        """Raise the error of the first fault that applies (or hang), if any."""
        self.active = [f for f in self.active if not f.expired()]
        fault = next((f for f in self.active if f.applies(method, params)), None)
        if fault is None:
            return
        if fault.times is not None:
            fault.times -= 1
        self.served[fault.kind] += 1
        if fault.kind == "429":
            raise ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                retry_after=fault.retry_after,
            )
        if fault.kind == "5xx":
            raise ApiError(502, "Bad Gateway")
        if fault.kind == "403":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        # hang: no answer until released (the bot's own time-out ends its wait first)
        await fault.released.wait()
        raise ApiError(504, "Gateway Timeout")
