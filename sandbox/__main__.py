"""python -m sandbox [--host H] [--port P] [--rate-limit N] [--webhook-proxy ORIGIN]
|  python -m sandbox client ..."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from . import cli
from .server import Sandbox


async def _serve(
    host: str, port: int, rate_limit: float, bot_username: str, webhook_proxy: str | None
) -> None:
    sb = Sandbox(rate_limit=rate_limit, bot_username=bot_username, webhook_proxy=webhook_proxy)
    await sb.start(host=host, port=port)
    print(f"Sandbox listening on {sb.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sb.stop()
    print("Sandbox stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        return cli.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--rate-limit", type=float, default=30.0)
    parser.add_argument("--bot-username", default="solidarity_test_bot")
    parser.add_argument(
        "--webhook-proxy",
        metavar="ORIGIN",
        help="post webhook updates to this origin (e.g. http://127.0.0.1:8080) instead of the "
        "https URL the bot registered, as a reverse proxy in front of the bot would",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _serve(args.host, args.port, args.rate_limit, args.bot_username, args.webhook_proxy)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
