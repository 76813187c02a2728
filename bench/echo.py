"""`python -m bench.echo`: a bare python-telegram-bot echo bot, the yardstick of the benchmarks.

As the library's own examples build one: no database, no persistence, one update at a time
(the library's default). /start is answered with a greeting and any text with itself. With its
rate limiter (the default) it is a compliant bot: python-telegram-bot's AIORateLimiter, 30
messages a second, retrying after a 429 as Telegram asks; `--no-rate-limit` measures what it
can do without one.
"""

from __future__ import annotations

import argparse

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_user
    await update.effective_message.reply_text(f"Hello, {update.effective_user.first_name}!")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"Pressed: {query.data}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.echo")
    parser.add_argument("--api", required=True, help="the Bot API server's root")
    parser.add_argument("--token", required=True)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument(
        "--aiohttp", action="store_true", help="HTTP with aiohttp, as the project's bot does"
    )
    args = parser.parse_args()
    api = args.api.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(args.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
    )
    if args.aiohttp:  # not the library's default: only to tell the transport's share
        from bot.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    if not args.no_rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=5))  # type: ignore[arg-type]
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    app.run_polling(allowed_updates=["message", "callback_query"], timeout=5)


if __name__ == "__main__":
    main()
