"""Logging to stderr: one line per event, the bot token never written."""

from __future__ import annotations

import logging
import sys


class RedactingFormatter(logging.Formatter):
    """Formats a record on one line (tracebacks folded) with every secret replaced."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text.replace("\r", "").replace("\n", " ⏎ ")


def setup_logging(level: int, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Anything that escapes goes through the same formatter: one line, no token.
    sys.excepthook = lambda kind, value, tb: logging.getLogger("bot").critical(
        "Unhandled error", exc_info=(kind, value, tb)
    )
    root.setLevel(level)
    # httpx logs every request URL, and the URL contains the token: keep it quiet.
    # tornado.access (the webhook server) logs a line per request: only refusals (4xx, 5xx) stay.
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins", "tornado.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # At DEBUG, python-telegram-bot logs whole updates and aiosqlite every statement with its
    # values, i.e. what people typed: never that.
    for talkative in ("telegram", "aiosqlite"):
        logging.getLogger(talkative).setLevel(max(level, logging.INFO))
