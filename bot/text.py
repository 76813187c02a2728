"""Measuring and shortening text the way Telegram counts it."""

from __future__ import annotations

TEXT_LIMIT = 4096  # Telegram's limit for a message, in UTF-16 code units (after entities)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts message limits (an emoji may be two)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters: cut ones end with "…"."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
