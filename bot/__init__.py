"""The Solidarity Community Telegram bot."""

import os

# Opt in to python-telegram-bot's timedelta durations (the coming default). Without it, every
# 429 "retry after" builds a RetryAfter that emits a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
