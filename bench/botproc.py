"""`python -m bench.botproc`: the project's bot as `python -m bot` runs it (settings from the
environment), for the benchmarks; `--no-rate-limit` builds it without its rate limiter, to
measure the bot's own cost rather than Telegram's 30 messages a second."""

from __future__ import annotations

import argparse

from bot import app as bot_app
from bot.app import ALLOWED_UPDATES, build_application
from bot.config import load_settings
from bot.delivery import Recipient, Rendered, renderer
from bot.logs import setup_logging

# A kind of outbox message for the benchmarks' bulk sending (bench/mix.py writes the rows).
BULK_KIND = "bench.bulk"


@renderer(BULK_KIND)
async def render_bulk(recipient: Recipient) -> Rendered:
    return Rendered("Announcement: the benchmark's bulk message.")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.botproc")
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--concurrency", type=int, help="updates handled at once")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile statistics here")
    args = parser.parse_args()
    settings = load_settings()
    setup_logging(settings.log_level_number, settings.secrets)
    tune_gc = getattr(bot_app, "tune_gc", None)  # absent in versions measured as "before"
    if tune_gc is not None:
        tune_gc()  # as `python -m bot` does
    # Only when asked: the same benchmark also runs against earlier versions of the bot (to
    # measure before and after), which have no such argument.
    extra = {} if args.concurrency is None else {"concurrency": args.concurrency}
    app = build_application(settings, rate_limit=not args.no_rate_limit, **extra)
    if args.profile:
        import cProfile

        with cProfile.Profile() as profile:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, timeout=5)
        profile.dump_stats(args.profile)
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES, timeout=5)


if __name__ == "__main__":
    main()
