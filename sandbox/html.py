"""Telegram-flavoured HTML (parse_mode=HTML): validation and conversion to text + entities."""

from __future__ import annotations

import re
from typing import Any

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z]{1,10});")
_START_RE = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_ATTR_RE = re.compile(r"""\s+([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_TAG_END_RE = re.compile(r"\s*>")
_END_RE = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")


class HtmlError(ValueError):
    """Text of Telegram's "can't parse entities: ..." error."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(src: str, pos: int) -> tuple[str, int] | None:
    m = _ENTITY_RE.match(src, pos)
    if not m:
        return None
    body = m.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), m.end()
    if body in _NAMED:
        return _NAMED[body], m.end()
    return None


def _unescape_attr(value: str) -> str:
    if value[:1] in ("'", '"'):
        value = value[1:-1]
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            dec = _decode_entity(value, i)
            if dec:
                out.append(dec[0])
                i = dec[1]
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, MessageEntity dicts) or raise HtmlError with Telegram-like text."""
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    n = len(src)

    def boff(pos: int) -> int:
        return len(src[:pos].encode("utf-8"))

    def emit(text: str) -> None:
        nonlocal u16
        out.append(text)
        u16 += utf16_len(text)

    while i < n:
        c = src[i]
        if c == "&":
            dec = _decode_entity(src, i)
            if dec is None:
                raise HtmlError(
                    f"Character '&' is reserved and must be escaped as &amp; "
                    f"(byte offset {boff(i)})"
                )
            emit(dec[0])
            i = dec[1]
            continue
        if c == ">":
            raise HtmlError(
                f"Character '>' is reserved and must be escaped as &gt; (byte offset {boff(i)})"
            )
        if c != "<":
            j = i
            while j < n and src[j] not in "<>&":
                j += 1
            emit(src[i:j])
            i = j
            continue
        # c == "<"
        if src.startswith("</", i):
            m = _END_RE.match(src, i)
            if not m or not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {boff(i)}")
            name = m.group(1).lower()
            top, start, top_attrs = stack[-1]
            if name != top:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {boff(i)}, expected "</{top}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            _close(top, start, u16, top_attrs, stack, entities)
            i = m.end()
            continue
        m = _START_RE.match(src, i)
        if not m:
            raise HtmlError(
                f"Character '<' is reserved and must be escaped as &lt; (byte offset {boff(i)})"
            )
        name = m.group(1).lower()
        if name not in _TAGS:
            raise HtmlError(f'Unsupported start tag "{name}" at byte offset {boff(i)}')
        j = m.end()
        attrs: dict[str, str] = {}
        while True:
            am = _ATTR_RE.match(src, j)
            if not am:
                break
            attrs[am.group(1).lower()] = _unescape_attr(am.group(2) or "")
            j = am.end()
        em = _TAG_END_RE.match(src, j)
        if not em:
            raise HtmlError(f"Unclosed start tag at byte offset {boff(i)}")
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {boff(i)}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {boff(i)}'
            )
        stack.append((name, u16, attrs))
        i = em.end()
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close(
    name: str,
    start: int,
    end: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
    entities: list[dict[str, Any]],
) -> None:
    length = end - start
    if length <= 0:
        return
    kind = _TAGS[name]
    ent: dict[str, Any] = {"type": kind, "offset": start, "length": length}
    if name == "a":
        href = attrs.get("href")
        if not href:
            return
        ent["url"] = href
    elif name == "tg-emoji":
        ent["custom_emoji_id"] = attrs["emoji-id"]
    elif name == "blockquote" and "expandable" in attrs:
        ent["type"] = "expandable_blockquote"
    elif name == "code":
        lang = attrs.get("class", "")
        if stack and stack[-1][0] == "pre" and lang.startswith("language-"):
            stack[-1][2]["language"] = lang[len("language-") :]
            return
    elif name == "pre" and attrs.get("language"):
        ent["language"] = attrs["language"]
    entities.append(ent)
