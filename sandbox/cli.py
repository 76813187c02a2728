"""Tiny client for driving a standalone sandbox by hand (python -m sandbox client ...)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any


def _request(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> str:
    data = json.dumps(body).encode() if body is not None else None
    if not url.startswith(("http://", "https://")):
        raise SystemExit(f"not an http URL: {url}")
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return str(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise SystemExit(f"error {e.code}: {e.read().decode('utf-8', 'replace')}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox client")
    parser.add_argument("--url", default="http://127.0.0.1:8081")
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="send a text message as a user (created on first use)")
    send.add_argument("--user", type=int, required=True)
    send.add_argument("--first-name")
    send.add_argument("--lang")
    send.add_argument("--username")
    send.add_argument("text")
    for name in ("press", "press-reply"):
        p = sub.add_parser(name, help=f"{name} a button by its label")
        p.add_argument("--user", type=int, required=True)
        p.add_argument("label")
    for name in ("transcript", "block", "unblock"):
        p = sub.add_parser(name)
        p.add_argument("--user", type=int, required=True)
    sub.add_parser("breaches", help="list refused requests")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/") + "/sandbox"
    out = sys.stdout
    if args.command == "send":
        _request(
            f"{base}/users",
            "POST",
            {
                "user_id": args.user,
                "first_name": args.first_name,
                "language_code": args.lang,
                "username": args.username,
            },
        )
        out.write(_request(f"{base}/users/{args.user}/send", "POST", {"text": args.text}) + "\n")
    elif args.command in ("press", "press-reply"):
        action = args.command.replace("-", "_")
        body = {"label": args.label}
        out.write(_request(f"{base}/users/{args.user}/{action}", "POST", body) + "\n")
    elif args.command in ("block", "unblock"):
        out.write(_request(f"{base}/users/{args.user}/{args.command}", "POST", {}) + "\n")
    elif args.command == "transcript":
        out.write(_request(f"{base}/users/{args.user}/transcript"))
    else:
        breaches = json.loads(_request(f"{base}/breaches"))
        for b in breaches:
            out.write(f"{b['method']}: {b['error_code']} {b['description']}\n")
        if not breaches:
            out.write("no breaches\n")
    return 0
