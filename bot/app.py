"""build_application(settings): the one place where handlers are registered."""

from __future__ import annotations

import gc
import logging
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ContextTypes,
    Defaults,
)

from bot.config import Settings
from bot.context import BotContext, SolidarityApp
from bot.delivery.pacing import PacedLimiter
from bot.delivery.sender import Sender
from bot.handlers import (
    announcements,
    contacts_admin,
    desk,
    errors,
    events,
    fallback,
    members_desk,
    membership,
    reports,
    reports_desk,
    resolution,
    resolution_admin,
    roles,
    start,
    users,
)
from bot.menu import register_commands
from bot.persistence import DatabasePersistence
from bot.services.crypto import load_cipher
from bot.transport import AiohttpRequest
from bot.updates import DEFAULT_CONCURRENCY, PerPersonProcessor
from db.engine import Database

log = logging.getLogger(__name__)

# Retries of an answer to a person after a 429 "retry after N".
RATE_LIMIT_RETRIES = 5
# Telegram allows about 30 messages per second in all: 27, evenly spaced, and never more than 27
# starting in any one second (bot/delivery/pacing.py). The three to spare absorb the jitter of
# requests on their way (measured: at 28, one 429 now and then with 1,000 people at once).
MESSAGES_PER_SECOND = 27
# The kinds of update the bot asks Telegram for, by polling or by webhook: what its handlers
# take, nothing more (edited messages are not asked for; a feature that needs a new kind adds
# it here).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def webhook_arguments(settings: Settings) -> dict[str, Any]:
    """How python-telegram-bot's webhook server is started (run_webhook, start_webhook): on
    LISTEN:PORT, at the path of WEBHOOK_URL, refusing (403) any request without the secret
    header; setWebhook is called with the URL, the secret and the allowed kinds of update."""
    assert settings.webhook_secret is not None, "WEBHOOK_URL without WEBHOOK_SECRET"
    return {
        "listen": settings.listen,
        "port": settings.port,
        "url_path": settings.webhook_path,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get_secret_value(),
        "allowed_updates": ALLOWED_UPDATES,
    }


async def post_init(application: Application) -> None:
    """Open the database (if persistence has not already) and register the commands."""
    app: SolidarityApp = application  # type: ignore[assignment]
    await app.db.connect()
    app.db.keep_log_short()
    await register_commands(app)
    limiter = app.bot.rate_limiter
    app.sender = Sender(
        app,
        limiter=limiter if isinstance(limiter, PacedLimiter) else None,
        broadcast_rate=app.settings.broadcast_rate,
    )
    await app.sender.start()
    log.info("Bot @%s is ready", app.bot.username)
    await reports_desk.schedule_jobs(app)
    await events.schedule_jobs(app)
    await announcements.schedule_jobs(app)


async def post_stop(application: Application) -> None:
    """Stop the outbox's sender before the bot's connection closes (what it did not send stays
    in the outbox for the next start)."""
    app: SolidarityApp = application  # type: ignore[assignment]
    if app.sender is not None:
        await app.sender.stop()
        app.sender = None


async def post_shutdown(application: Application) -> None:
    """Close the database after persistence has written its last changes. The sender is
    stopped here too when the bot never started (e.g. the webhook port was taken): then
    python-telegram-bot calls no post_stop."""
    app: SolidarityApp = application  # type: ignore[assignment]
    await post_stop(app)
    await app.db.dispose()


# Python's cycle collector, less often than its default of every 700 new objects: each update
# makes thousands of short-lived objects (python-telegram-bot's, SQLAlchemy's), and collecting
# at the default pace cost a fifth of the bot's time with many people at once
# (docs/PERFORMANCE.md). Cycles still go, a little later: a few MB at most.
GC_THRESHOLDS = (10_000, 20, 20)


def tune_gc() -> None:
    """For the process that runs the bot (`python -m bot`), not for a library that imports it."""
    gc.set_threshold(*GC_THRESHOLDS)


def build_application(
    settings: Settings,
    db: Database | None = None,
    *,
    rate_limit: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> SolidarityApp:
    """The bot, ready to run. `rate_limit=False` only for benchmarks that measure the bot itself
    rather than Telegram's 30 messages per second. Up to `concurrency` updates of different
    people are handled at once, each person's in order (bot/updates.py)."""
    db = db or Database(
        settings.database_url,
        cipher=load_cipher(
            settings.data_key.get_secret_value() if settings.data_key else None,
            settings.data_dir,
            key_file=settings.key_file,
            previous_key=(
                settings.data_key_previous.get_secret_value()
                if settings.data_key_previous
                else None
            ),
        ),
        zone=settings.tz,
    )
    http = [AiohttpRequest(), AiohttpRequest(connection_pool_size=1)]
    builder = (
        ApplicationBuilder()
        .application_class(SolidarityApp, kwargs={"settings": settings, "db": db})
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .context_types(ContextTypes(context=BotContext))
        # HTTP with aiohttp rather than httpx: half the cost of an answer (bot/transport.py).
        .request(http[0])
        .get_updates_request(http[1])
        .persistence(DatabasePersistence(db))
        .concurrent_updates(PerPersonProcessor(concurrency))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if rate_limit:
        limiter = PacedLimiter(rate=MESSAGES_PER_SECOND, max_retries=RATE_LIMIT_RETRIES)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # PTB generics
    app: SolidarityApp = builder.build()  # type: ignore[assignment]
    app.http = [*http]  # closed by SolidarityApp.initialize if the start fails
    app.add_handlers(users.build_handlers(), group=-1)
    # Order matters within the group: the first handler that accepts an update takes it.
    features: list[BaseHandler[Update, BotContext, Any]] = [
        *resolution.build_handlers(),
        *resolution_admin.build_handlers(),
        *roles.build_handlers(),
        *members_desk.build_handlers(),
        *contacts_admin.build_handlers(),
        *desk.build_handlers(),
        *reports.build_handlers(),
        *reports_desk.build_handlers(),
        *events.build_handlers(),
        *membership.build_handlers(),
        *announcements.build_handlers(),
        *start.build_handlers(),
        *fallback.build_handlers(),
    ]
    app.add_handlers(features, group=0)
    app.add_error_handler(errors.on_error)
    return app
