"""The application as built: every conversation survives a restart; resources come later."""

from __future__ import annotations

import gc
from pathlib import Path

from telegram.ext import ConversationHandler

from bot.app import GC_THRESHOLDS, build_application, tune_gc
from bot.config import load_settings
from bot.delivery.pacing import PacedLimiter
from bot.persistence import DatabasePersistence
from bot.transport import AiohttpRequest


def test_every_conversation_is_named_and_persistent(tmp_path: Path) -> None:
    settings = load_settings(
        BOT_TOKEN="123456:AAAAbbbbCCCCddddEEEEffffGGGG",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        DATA_DIR=str(tmp_path),
        _env_file=None,
    )
    app = build_application(settings)
    conversations = [
        h for group in app.handlers.values() for h in group if isinstance(h, ConversationHandler)
    ]
    names = [c.name for c in conversations]
    assert len(conversations) >= 7 and len(set(names)) == len(names)
    assert all(c.persistent and c.name for c in conversations)
    assert isinstance(app.persistence, DatabasePersistence)
    assert app.persistence.update_interval <= 1
    assert isinstance(app.bot.rate_limiter, PacedLimiter)
    # HTTP with aiohttp (bot/transport.py), for answers and for getUpdates.
    assert isinstance(app.bot.request, AiohttpRequest) and len(app.http) == 2
    # The database is opened on first use, not when the application is built.
    assert not app.db.connected


def test_the_process_collects_cycles_less_often_than_pythons_default() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > before[0]
    finally:
        gc.set_threshold(*before)


def test_every_handler_gets_its_kind_of_update(tmp_path: Path) -> None:
    """Telegram sends only ALLOWED_UPDATES (polling and webhook alike): a handler for another
    kind would never be called. A feature with a new kind of handler adds it to both lists."""
    from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler

    from bot.app import ALLOWED_UPDATES

    kinds: dict[type, set[str]] = {
        CallbackQueryHandler: {"callback_query"},
        CommandHandler: {"message"},
        MessageHandler: {"message"},
        TypeHandler: {"message", "callback_query", "my_chat_member"},  # users.track_user
    }
    settings = load_settings(
        BOT_TOKEN="123456:AAAAbbbbCCCCddddEEEEffffGGGG",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        DATA_DIR=str(tmp_path),
        _env_file=None,
    )
    app = build_application(settings)
    handlers = [h for group in app.handlers.values() for h in group]
    while any(isinstance(h, ConversationHandler) for h in handlers):
        flat = []
        for h in handlers:
            if isinstance(h, ConversationHandler):
                flat += h.entry_points + h.fallbacks
                flat += [s for states in h.states.values() for s in states]
            else:
                flat.append(h)
        handlers = flat
    for handler in handlers:
        assert type(handler) in kinds, f"{type(handler).__name__}: add its update kind"
        assert kinds[type(handler)] <= set(ALLOWED_UPDATES)
