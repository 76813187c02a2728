"""Checks every sending method shares: the rate limit, the chat, the text and its formatting,
the keyboard, the message replied to."""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

from .html import HtmlError, parse_html, utf16_len
from .spec import ApiError, bad_request
from .state import Msg, SimChat, World

Params = dict[str, Any]

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_rate(world: World) -> None:
    """Sliding one-second window over sending methods; raises 429 when exceeded."""
    now = time.monotonic()
    times = world.send_times
    while times and times[0] <= now - 1.0:
        times.popleft()
    if world.rate_limit > 0 and len(times) >= world.rate_limit:
        wait = times[0] + 1.0 - now
        retry = max(1, math.ceil(wait))
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
    times.append(now)


def resolve_chat(world: World, chat_id: Any, sending: bool = True) -> SimChat:
    chat = world.chats.get(chat_id) if isinstance(chat_id, int) else None
    if isinstance(chat_id, str):
        wanted = chat_id.lstrip("@").lower()
        for u in world.users.values():
            if u.username and u.username.lower() == wanted and u.private_chat:
                chat = u.private_chat
    if chat is None:
        raise bad_request("chat not found")
    if sending and chat.user is not None and chat.user.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def format_text(
    text: str | None, parse_mode: str | None, entities: Any, caption: bool
) -> tuple[str, list[dict[str, Any]], str | None]:
    """Return (plain text, entities, raw html) enforcing Telegram's limits."""
    raw = text or ""
    html: str | None = None
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            plain, ents = parse_html(raw)
        except HtmlError as e:
            raise bad_request(f"can't parse entities: {e}") from None
        html = raw
    elif mode in ("markdown", "markdownv2"):
        plain, ents = raw, []
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    else:
        plain = raw
        ents = list(entities or [])
        for ent in ents:
            if not isinstance(ent, dict) or "type" not in ent:
                raise bad_request("can't parse entities: invalid MessageEntity")
    limit = 1024 if caption else 4096
    if not caption and not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain, ents, html


def validate_markup(markup: Any, inline_only: bool = False) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard markup JSON object")
        total = 0
        for row in rows:
            for b in row:
                total += 1
                if not isinstance(b, dict) or not isinstance(b.get("text"), str):
                    raise bad_request("can't parse inline keyboard button: Text must be a String")
                if not b["text"]:
                    raise bad_request("can't parse inline keyboard button: Text must be non-empty")
                actions = [a for a in INLINE_ACTIONS if a in b]
                if not actions:
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                if len(actions) > 1:
                    raise bad_request(
                        "can't parse inline keyboard button: exactly one of the optional "
                        f"fields must be used, got {actions}"
                    )
                if "callback_data" in b:
                    data = b["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in b and not re.match(r"^(https?|tg)://\S+$", str(b["url"])):
                    raise bad_request("BUTTON_URL_INVALID")
        if total > 100:
            raise bad_request("reply markup is too long")
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse keyboard markup JSON object")
        for row in rows:
            for b in row:
                label = b if isinstance(b, str) else (b.get("text") if isinstance(b, dict) else 0)
                if not isinstance(label, str) or not label:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def resolve_reply(chat: SimChat, params: Params) -> Msg | None:
    rp = params.get("reply_parameters")
    mid = params.get("reply_to_message_id")
    allow = bool(params.get("allow_sending_without_reply"))
    if isinstance(rp, dict):
        mid = rp.get("message_id")
        allow = allow or bool(rp.get("allow_sending_without_reply"))
        if rp.get("chat_id") not in (None, chat.id):
            return None
    if mid is None:
        return None
    msg = chat.by_id.get(mid) if isinstance(mid, int) else None
    if msg is None or msg.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return msg


def canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
