"""python -m sandbox [--host H] [--port P] [--rate-limit N]  |  python -m sandbox client ..."""

from __future__ import annotations

import argparse
import asyncio
import sys

from . import cli
from .server import Sandbox


async def _serve(host: str, port: int, rate_limit: float, bot_username: str) -> None:
    sb = Sandbox(rate_limit=rate_limit, bot_username=bot_username)
    await sb.start(host=host, port=port)
    print(f"Sandbox listening on {sb.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sb.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        return cli.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--rate-limit", type=float, default=30.0)
    parser.add_argument("--bot-username", default="solidarity_test_bot")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, args.rate_limit, args.bot_username))
    except KeyboardInterrupt:
        print("Sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
